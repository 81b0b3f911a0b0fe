// embedded: an existing Beast HTTP server that serves its own page and hands every
// request for /live (WebSocket upgrades, event streams, session POSTs) to a switchboard
// server, which listens on no port of its own.
//
// The page at / is a live demo for a browser: it reads /live with a plain EventSource
// and talks on /live with a plain WebSocket; what the WebSocket sends is broadcast to
// every session, so it shows up on both.
//
//   switchboard-embedded [--port P]
//
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/switchboard.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <memory>

namespace sb = switchboard;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* page = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>switchboard: one endpoint, two transports</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 20px; margin: 0 0 4px; } p.sub { margin: 0 0 16px; color: #5b6475; }
  .cols { display: flex; gap: 16px; }
  section { flex: 1; background: #fff; border: 1px solid #d8dde6; border-radius: 8px; padding: 12px 14px; }
  h2 { font-size: 15px; margin: 0 0 8px; display: flex; justify-content: space-between; }
  .state { font-weight: normal; font-size: 13px; padding: 1px 8px; border-radius: 10px; background: #eee; }
  .state.open { background: #d7f5dd; color: #17652a; } .state.closed { background: #fbe0e0; color: #8a1f1f; }
  ol { margin: 0; padding-left: 22px; min-height: 120px; font-family: ui-monospace, monospace; font-size: 13px; }
  form { margin-top: 16px; display: flex; gap: 8px; } input { flex: 1; padding: 6px 8px; }
</style></head>
<body>
<h1>switchboard: one endpoint, two transports</h1>
<p class="sub">Both panels talk to <code>/live</code> on this server. What the WebSocket sends is broadcast to every session.</p>
<div class="cols">
  <section><h2>EventSource (SSE) <span id="sse-state" class="state">connecting</span></h2><ol id="sse"></ol></section>
  <section><h2>WebSocket <span id="ws-state" class="state">connecting</span></h2><ol id="ws"></ol></section>
</div>
<form id="f"><input id="text" value="hello from the browser" autocomplete="off"><button>Send over WebSocket</button></form>
<script>
  const add = (id, text) => { const li = document.createElement('li'); li.textContent = text; document.getElementById(id).append(li); };
  const state = (id, s) => { const e = document.getElementById(id + '-state'); e.textContent = s; e.className = 'state ' + s; };
  let open = 0; // say hello once both are open, so that both panels show it
  const opened = () => { if (++open === 2) send(document.getElementById('text').value); };
  const es = new EventSource('/live');
  es.onopen = () => { state('sse', 'open'); opened(); };
  es.onerror = () => state('sse', es.readyState === 2 ? 'closed' : 'connecting');
  es.addEventListener('broadcast', (e) => add('sse', e.data));
  const ws = new WebSocket(`ws://${location.host}/live`);
  const send = (text) => ws.send(text);
  ws.onopen = () => { state('ws', 'open'); opened(); };
  ws.onclose = () => state('ws', 'closed');
  ws.onmessage = (e) => add('ws', e.data);
  document.getElementById('f').onsubmit = (e) => { e.preventDefault(); send(document.getElementById('text').value); };
</script>
</body></html>
)html";

// One HTTP connection of the application's own server.
void serve(tcp::socket socket, sb::server& live) {
    auto stream = std::make_shared<tcp::socket>(std::move(socket));
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<http::request<http::string_body>>();
    http::async_read(*stream, *buffer, *req, [stream, buffer, req, &live](beast::error_code ec, std::size_t) {
        if (ec) return;
        const auto target = req->target();
        if (target.substr(0, target.find('?')) == "/live")
            return live.handle(std::move(*stream), std::move(*req), std::move(*buffer)); // switchboard takes over
        auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, req->version());
        res->set(http::field::content_type, "text/html; charset=utf-8");
        res->body() = page;
        res->prepare_payload();
        http::async_write(*stream, *res, [stream, res](beast::error_code, std::size_t) {});
    });
}

void accept(tcp::acceptor& acceptor, sb::server& live) {
    acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
        if (!ec) serve(std::move(socket), live);
        accept(acceptor, live);
    });
}

} // namespace

int main(int argc, char** argv) {
    unsigned short port = 8081;
    if (argc == 3 && std::string(argv[1]) == "--port") port = static_cast<unsigned short>(std::stoul(argv[2]));
    asio::io_context ioc;
    sb::server live{ioc}; // never started: it only serves what it is handed
    live.on_open([](sb::session s) { s.join("everyone"); });
    // Every event goes to everyone as type "broadcast" (the page's EventSource listens
    // for it; a plain WebSocket sees just the data).
    live.on_event([&live](sb::session, sb::event e) {
        live.publish("everyone", {.type = "broadcast", .data = std::move(e.data), .binary = e.binary});
    });
    tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), port}};
    accept(acceptor, live);
    std::clog << "application on http://127.0.0.1:" << port << "/, switchboard on http://127.0.0.1:" << port
              << "/live (WebSocket and SSE)" << std::endl;
    ioc.run();
}
