// chat: a chat room and a price ticker, with the web page that uses them served by the
// same server on the same port. The page loads the browser client from the server
// (<path>/switchboard.js), lets a person pick the transport (or auto), and shows the
// connection's state, its transport, the round-trip time and the messages; "Drop
// connection" cuts the connection as a network would, and the session resumes with
// nothing lost.
//
//   switchboard-chat [--port 8080] [--address 127.0.0.1]
//   then open http://127.0.0.1:8080/ (?transport=sse&name=ada to choose from the URL)
//
// Events: "chat" (JSON {name, text}) goes to everyone with the server's time added;
// "ping" is answered with "pong" (the page's latency); "tick" comes every second.
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/switchboard.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace sb = switchboard;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* page = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>switchboard chat</title>
<style>
  :root { --line: #d8dde6; --muted: #5b6475; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f4f6f9; }
  header { background: #1d2330; color: #fff; padding: 14px 24px; display: flex; align-items: baseline; gap: 14px; }
  header h1 { font-size: 19px; margin: 0; } header span { color: #aab3c5; font-size: 13px; }
  main { padding: 16px 24px; max-width: 1000px; }
  .bar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin-bottom: 14px; }
  .bar label { font-size: 13px; color: var(--muted); } select, input, button { font: inherit; padding: 5px 9px; }
  button { border: 1px solid #98a2b3; background: #fff; border-radius: 6px; cursor: pointer; }
  .pill { font-size: 13px; padding: 2px 10px; border-radius: 11px; background: #e6e9ef; }
  #state.open { background: #d7f5dd; color: #17652a; } #state.reconnecting, #state.connecting { background: #fff1c9; color: #7a5a00; }
  #state.closed { background: #fbe0e0; color: #8a1f1f; }
  .cols { display: grid; grid-template-columns: 2fr 1fr; gap: 16px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
  h2 { font-size: 14px; margin: 0 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
  #messages { list-style: none; margin: 0; padding: 0; height: 260px; overflow-y: auto; }
  #messages li { padding: 3px 0; border-bottom: 1px solid #f0f2f5; } #messages b { margin-right: 6px; }
  #messages .sys { color: var(--muted); font-style: italic; }
  #messages time { color: #98a2b3; font-size: 12px; margin-right: 8px; font-variant-numeric: tabular-nums; }
  form { display: flex; gap: 8px; margin-top: 10px; } form input { flex: 1; }
  #price { font-size: 32px; font-variant-numeric: tabular-nums; margin: 4px 0; } #ticks { font: 12px ui-monospace, monospace; color: var(--muted); }
  .stats { font-size: 13px; color: var(--muted); margin-top: 10px; } .stats b { color: #1d2330; }
</style></head>
<body>
<header><h1>switchboard chat</h1><span>one endpoint, four transports, sessions that survive the network</span></header>
<main>
<div class="bar">
  <label>name <input id="name" size="10"></label>
  <label>transport <select id="transport">
    <option value="auto">auto</option><option>websocket</option><option>sse</option>
    <option>long-polling</option><option>polling</option></select></label>
  <button id="drop" title="cut the connection as a network would: the session resumes">Drop connection</button>
  <span id="state" class="pill">connecting</span>
  <span class="pill">on <b id="current">-</b></span>
  <span class="pill">round trip <b id="rtt">-</b></span>
</div>
<div class="cols">
  <section><h2>Chat</h2><ol id="messages"></ol>
    <form id="say"><input id="text" autocomplete="off" placeholder="say something"><button>Send</button></form></section>
  <section><h2>Ticker SBX</h2><div id="price">-</div><div id="ticks"></div>
    <div class="stats">events <b id="count">0</b> · resumes <b id="resumes">0</b> · gaps <b id="gaps">0</b></div></section>
</div>
</main>
<script type="module">
  import { Client } from './live/switchboard.js';
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  $('name').value = params.get('name') || 'guest' + Math.floor(Math.random() * 1000);
  $('transport').value = params.get('transport') || 'auto';
  let client = null, pings = new Map(), resumes = 0, count = 0, ticks = [];
  const line = (html, cls) => {
    const li = document.createElement('li');
    if (cls) li.className = cls;
    li.append(...html);
    $('messages').append(li);
    $('messages').scrollTop = 1e9;
  };
  const text = (t, tag) => { const e = document.createElement(tag || 'span'); e.textContent = t; return e; };
  function start() {
    if (client) client.close();
    const t = $('transport').value;
    const c = (client = new Client('./live', { transports: t === 'auto' ? undefined : [t], pollInterval: 500 }));
    c.on('state', (s) => {
      if (c !== client) return;
      $('state').textContent = s; $('state').className = 'pill ' + s;
      $('current').textContent = c.transport;
      if (s === 'reconnecting') { resumes++; $('resumes').textContent = resumes; }
    });
    c.on('gap', (g) => { $('gaps').textContent = +$('gaps').textContent + 1; line([text(`missed events ${g.first}-${g.last}`)], 'sys'); });
    c.on('event', (e) => {
      $('count').textContent = ++count;
      if (e.type === 'chat') {
        const m = JSON.parse(e.data);
        line([text(new Date(m.at).toLocaleTimeString(), 'time'), text(m.name, 'b'), text(m.text)]);
      } else if (e.type === 'pong' && pings.has(e.data)) {
        $('rtt').textContent = `${Math.round(performance.now() - pings.get(e.data))} ms`;
        pings.delete(e.data);
      } else if (e.type === 'tick') {
        const t = JSON.parse(e.data);
        $('price').textContent = t.price.toFixed(2);
        ticks = [t.price.toFixed(2), ...ticks].slice(0, 8);
        $('ticks').textContent = ticks.join('  ');
      }
    });
    c.connect().then(() => line([text(`connected over ${c.transport} as ${$('name').value}`)], 'sys'),
      () => setTimeout(() => c === client && start(), 2000)); // (the server is not there yet: again)
  }
  $('transport').onchange = start;
  $('drop').onclick = () => client && client.drop();
  $('say').onsubmit = (ev) => {
    ev.preventDefault();
    if (!$('text').value) return;
    client.send({ type: 'chat', data: JSON.stringify({ name: $('name').value, text: $('text').value }) });
    $('text').value = '';
  };
  setInterval(() => {
    if (!client || client.state !== 'open') return;
    const id = String(Math.random());
    pings.set(id, performance.now());
    client.send({ type: 'ping', data: id });
  }, 2000);
  window.chat = { get client() { return client; }, start }; // (for tests)
  start();
</script>
</body></html>
)html";

// A connection the server handed back (server::on_other_request): serves the page, and
// hands requests for the switchboard path back to the server. The server's limits no
// longer cover it, so it has its own: a deadline per request, and a cap on how many
// such connections are kept.
class page_connection : public std::enable_shared_from_this<page_connection> {
public:
    static constexpr int max_open = 256;
    static inline std::atomic<int> open{0};

    page_connection(sb::server& live, tcp::socket s, beast::flat_buffer b)
        : live_(live), stream_(std::move(s)), buffer_(std::move(b)) {
        ++open;
    }
    ~page_connection() { --open; }

    void serve(http::request<http::string_body> req) {
        if (req.target().starts_with("/live")) // (a request read here that is the server's)
            return live_.handle(stream_.release_socket(), std::move(req), std::move(buffer_));
        if (open > max_open) return; // (closed: too many)
        auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, req.version());
        const auto path = req.target().substr(0, req.target().find('?'));
        if (path == "/" || path == "/index.html") {
            res->set(http::field::content_type, "text/html; charset=utf-8");
            res->set(http::field::cache_control, "no-cache");
            if (req.method() != http::verb::head) res->body() = page;
        } else {
            res->result(http::status::not_found);
            res->set(http::field::content_type, "text/plain");
            res->body() = "not found\n";
        }
        res->keep_alive(req.keep_alive());
        res->prepare_payload();
        stream_.expires_after(std::chrono::seconds(10));
        http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
            if (!ec && res->keep_alive()) self->read();
        });
    }

private:
    void read() {
        req_ = {};
        stream_.expires_after(std::chrono::seconds(30)); // an idle keep-alive connection ends
        http::async_read(stream_, buffer_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec) self->serve(std::move(self->req_));
        });
    }

    sb::server& live_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> req_;
};

// The room's last messages, for those who join.
class history {
public:
    void add(sb::event e) {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(e));
        if (events_.size() > 20) events_.pop_front();
    }
    std::vector<sb::event> all() const {
        std::lock_guard lock(mutex_);
        return {events_.begin(), events_.end()};
    }

private:
    mutable std::mutex mutex_;
    std::deque<sb::event> events_;
};

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

int main(int argc, char** argv) {
    sb::server_options o;
    o.port = 8080;
    o.address = "127.0.0.1";
    o.max_message_size = 4096; // chat lines, not files
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--port") o.port = static_cast<unsigned short>(std::stoul(argv[i + 1]));
        else if (flag == "--address") o.address = argv[i + 1];
        else {
            std::cerr << "usage: switchboard-chat [--port 8080] [--address 127.0.0.1]\n";
            return 2;
        }
    }
    asio::io_context ioc;
    history past; // (before the server: its callbacks use it)
    sb::server live{ioc, o};
    live.on_open([&past](sb::session s) {
        s.join("room");
        for (auto& e : past.all()) s.send(std::move(e));
    });
    live.on_event([&](sb::session s, sb::event e) {
        if (e.type == "ping") return s.send({.type = "pong", .data = std::move(e.data)});
        if (e.type != "chat" || e.binary) return;
        const auto m = nlohmann::json::parse(e.data, nullptr, false);
        if (!m.is_object() || !m.contains("name") || !m["name"].is_string() || !m.contains("text") || !m["text"].is_string())
            return;
        sb::event out{.type = "chat",
                      .data = nlohmann::json{{"name", m["name"]}, {"text", m["text"]}, {"at", now_ms()}}.dump()};
        past.add(out);
        live.publish("room", std::move(out));
    });
    live.on_other_request([&live](tcp::socket s, http::request<http::string_body> req, beast::flat_buffer b) {
        std::make_shared<page_connection>(live, std::move(s), std::move(b))->serve(std::move(req));
    });
    live.start();

    // The ticker: a random walk, every second, to every session.
    asio::steady_timer tick{ioc};
    std::mt19937 random{std::random_device{}()};
    double price = 100;
    int n = 0;
    std::function<void()> next = [&] {
        tick.expires_after(std::chrono::seconds(1));
        tick.async_wait([&](boost::system::error_code ec) {
            if (ec) return;
            price = std::max(1.0, std::round((price + std::normal_distribution<>(0, 0.4)(random)) * 100) / 100);
            live.publish("room", {.type = "tick", .data = nlohmann::json{{"symbol", "SBX"}, {"price", price}, {"n", ++n}}.dump()});
            next();
        });
    };
    next();

    asio::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&](boost::system::error_code, int) {
        tick.cancel();
        live.stop();
        ioc.stop();
    });
    std::cout << "chat on http://" << o.address << ":" << live.port() << "/ (switchboard at /live)" << std::endl;
    std::thread second([&] { ioc.run(); });
    ioc.run();
    second.join();
}
