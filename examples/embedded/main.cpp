// embedded: an existing Beast HTTP server that serves its own pages and hands the
// WebSocket upgrades on /live to a switchboard server (which listens on no port).
//
//   switchboard-embedded [--port P]
//
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/switchboard.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <iostream>
#include <memory>

namespace sb = switchboard;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One HTTP connection of the application's own server.
void serve(tcp::socket socket, sb::server& live) {
    auto stream = std::make_shared<tcp::socket>(std::move(socket));
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<http::request<http::string_body>>();
    http::async_read(*stream, *buffer, *req, [stream, buffer, req, &live](beast::error_code ec, std::size_t) {
        if (ec) return;
        if (req->target() == "/live" && beast::websocket::is_upgrade(*req))
            return live.handle(std::move(*stream), std::move(*req), std::move(*buffer)); // switchboard takes over
        auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, req->version());
        res->set(http::field::content_type, "text/plain");
        res->body() = "the application's own page; realtime events are on /live\n";
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
    live.on_event([](sb::session s, sb::event e) { s.send(std::move(e)); });
    tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), port}};
    accept(acceptor, live);
    std::clog << "application on http://127.0.0.1:" << port << "/, switchboard on ws://127.0.0.1:" << port << "/live"
              << std::endl;
    ioc.run();
}
