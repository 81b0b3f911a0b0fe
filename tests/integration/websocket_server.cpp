// The WebSocket server's RFC 6455 frame path and its limits, against Beast's client and
// raw sockets, and the HTTP front every transport shares (paths, header limits,
// origins). WebSocket only: these cases are about WebSocket frames and handshakes, or
// about HTTP requests themselves (each kind of request is sent raw).
// Distributed under the Boost Software License, Version 1.0.
#include "raw.hpp"

#include <switchboard/browser/script.hpp>

using namespace harness;
using namespace harness::raw;
using namespace std::chrono_literals;

TEST_CASE("a plain RFC 6455 client (no session protocol) is served: each message is an event") {
    test_server srv;
    raw_client c(srv.server.port());
    c.ws.write(asio::buffer(std::string("hello")));
    beast::flat_buffer b;
    c.ws.read(b);
    CHECK(beast::buffers_to_string(b.data()) == "hello");
    CHECK(c.ws.got_text());
    REQUIRE(wait_until([&] { return srv.received.size() == 1; }));
    CHECK(srv.received.items()[0] == sb::event{.type = "message", .data = "hello"});
    c.ws.binary(true);
    c.ws.write(asio::buffer(std::string("\x00\x01", 2)));
    b.clear();
    c.ws.read(b);
    CHECK(c.ws.got_binary());
    c.ws.close(bws::close_code::normal);
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }));
    CHECK_FALSE(srv.closed.items()[0]); // a normal close ends a plain session cleanly
}

TEST_CASE("fragmented messages and pings between fragments are handled") {
    test_server srv;
    raw_client c(srv.server.port());
    c.ws.auto_fragment(true);
    c.ws.write_buffer_bytes(8);
    const std::string text(100, 'f');
    c.ws.write(asio::buffer(text));
    beast::flat_buffer b;
    c.ws.read(b);
    CHECK(beast::buffers_to_string(b.data()) == text);
}

TEST_CASE("a message over max_message_size closes with 1009") {
    sb::server_options o;
    o.max_message_size = 1000;
    test_server srv(o);
    raw_client c(srv.server.port());
    c.ws.write(asio::buffer(std::string(2000, 'x')));
    CHECK(c.read_close_code() == 1009);
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }));
    CHECK(srv.closed.items()[0] == sb::error::message_too_big);
}

TEST_CASE("invalid UTF-8 in a text message closes with 1007") {
    test_server srv;
    raw_client c(srv.server.port());
    c.ws.write(asio::buffer(std::string("\xc0\xaf")));
    CHECK(c.read_close_code() == 1007);
}

TEST_CASE("malformed frames close with 1002") {
    test_server srv;
    const auto port = srv.server.port();
    std::string unmasked = masked_frame(0x81, "x");
    unmasked[1] = 0x01; // clear the mask bit (and keep the length)
    unmasked.erase(2, 4);
    CHECK(close_code_after(port, unmasked) == 1002);
    CHECK(close_code_after(port, masked_frame(0xC1, "x")) == 1002); // reserved bit
    CHECK(close_code_after(port, masked_frame(0x83, "x")) == 1002); // reserved opcode
    CHECK(close_code_after(port, masked_frame(0x80, "x")) == 1002); // continuation first
}

TEST_CASE("a malformed switchboard frame in session mode closes with 1002") {
    test_server srv;
    raw_client c(srv.server.port(), "/live?sb=1");
    beast::flat_buffer b;
    c.ws.read(b); // the welcome
    CHECK(beast::buffers_to_string(b.data()).rfind("W{", 0) == 0);
    c.ws.write(asio::buffer(std::string("E1 x nonsense")));
    CHECK(c.read_close_code() == 1002);
}

TEST_CASE("a connection that never completes its handshake is closed after handshake_timeout") {
    sb::server_options o;
    o.handshake_timeout = 200ms;
    test_server srv(o);
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), srv.server.port()));
    asio::write(s, asio::buffer(std::string("GET /live HTTP/1.1\r\n"))); // and never the rest
    const auto start = std::chrono::steady_clock::now();
    char c;
    beast::error_code read_ec = asio::error::would_block;
    s.async_read_some(asio::buffer(&c, 1), [&](beast::error_code ec, std::size_t) { read_ec = ec; });
    ioc.run_for(5s); // bounded: a server that never closes fails the test instead of hanging it
    CHECK(read_ec != asio::error::would_block);
    CHECK(read_ec); // closed by the server
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    REQUIRE(wait_until([&] { return srv.server.connection_count() == 0; }));
}

TEST_CASE("a client that stops answering is dropped after the heartbeat timeout") {
    sb::server_options o;
    o.heartbeat = {.interval = 50ms, .timeout = 300ms};
    test_server srv(o);
    raw_client c(srv.server.port()); // never reads again, so never answers a ping
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }, 5s));
    CHECK(srv.closed.items()[0] == sb::error::heartbeat_timeout);
}

TEST_CASE("a client that answers pings stays connected past the heartbeat timeout") {
    sb::server_options o;
    o.heartbeat = {.interval = 50ms, .timeout = 300ms};
    test_server srv(o);
    test_client<sb::websocket> c(srv.io.ioc, srv.url<sb::websocket>());
    c.connect();
    std::this_thread::sleep_for(800ms);
    CHECK(srv.closed.size() == 0);
    CHECK(c.client.current_state() == sb::state::open);
}

TEST_CASE("a consumer slower than max_queued_bytes is closed and the queue stays bounded") {
    sb::server_options o;
    o.max_message_size = 16 << 10;
    o.max_queued_bytes = 256 << 10;
    test_server srv(o);
    srv.server.on_open([](sb::session s) {
        const std::string payload(1024, 'p');
        for (int i = 0; i < 20000; ++i) s.send({.data = payload}); // 20 MiB to a client that never reads
    });
    raw_client c(srv.server.port());
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }));
    CHECK(srv.closed.items()[0] == sb::error::queue_full);
}

TEST_CASE("connections beyond max_connections are refused with 503") {
    sb::server_options o;
    o.max_connections = 2;
    test_server srv(o);
    raw_client a(srv.server.port()), b(srv.server.port());
    REQUIRE(wait_until([&] { return srv.server.connection_count() == 2; }));
    CHECK(http_get(srv.server.port(), "/live").result() == http::status::service_unavailable);
}

TEST_CASE("sessions beyond max_sessions are refused with 503") {
    sb::server_options o;
    o.max_sessions = 1;
    test_server srv(o);
    raw_client a(srv.server.port());
    REQUIRE(wait_until([&] { return srv.server.session_count() == 1; }));
    asio::io_context ioc;
    bws::stream<tcp::socket> ws{ioc};
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), srv.server.port()));
    bws::response_type res;
    beast::error_code ec;
    ws.handshake(res, "127.0.0.1", "/live", ec);
    CHECK(ec == bws::error::upgrade_declined);
    CHECK(res.result() == http::status::service_unavailable);
}

TEST_CASE("allowed_origins: other origins are refused on every kind of request, listed ones get CORS headers") {
    sb::server_options o;
    o.allowed_origins = {"https://app.example"};
    test_server srv(o);
    const auto port = srv.server.port();
    const std::string app = "Origin: https://app.example\r\n\r\n", evil = "Origin: https://evil.example\r\n\r\n";
    for (const auto& request : {ws_upgrade, sse_get, preflight, bad_post}) {
        INFO(request);
        CHECK(status_is(response_head(port, request + evil), 403));
        const auto head = response_head(port, request + app);
        CHECK_FALSE(status_is(head, 403));
        if (request != ws_upgrade) { // a WebSocket needs no CORS headers: the Origin check is all
            CHECK(has(head, "Access-Control-Allow-Origin: https://app.example"));
            CHECK(has(head, "Vary: Origin"));
        }
        // No Origin: not a browser, always served, no CORS headers.
        const auto plain = response_head(port, request + "\r\n");
        CHECK_FALSE(status_is(plain, 403));
        CHECK(plain.find("Access-Control-Allow-Origin") == std::string::npos);
    }
    CHECK(status_is(response_head(port, ws_upgrade + app), 101));
    CHECK(status_is(response_head(port, sse_get + app), 200));
    const auto pre = response_head(port, preflight + app);
    CHECK(status_is(pre, 204));
    CHECK(has(pre, "Access-Control-Allow-Methods: GET, POST"));
    CHECK(has(pre, "Access-Control-Allow-Headers: Content-Type, Last-Event-ID, Cache-Control"));
    CHECK(status_is(response_head(port, bad_post + app), 400)); // readable by the page: it has the CORS header
}

TEST_CASE("allowed_origins: empty allows the server's own origin only and sends no CORS headers, \"*\" allows any origin") {
    const std::string evil = "Origin: https://evil.example\r\n\r\n";
    {
        test_server srv;
        // A page of another site: not even a WebSocket (cross-site WebSocket hijacking).
        CHECK(status_is(response_head(srv.server.port(), ws_upgrade + evil), 403));
        CHECK(status_is(response_head(srv.server.port(), sse_get + evil), 403));
        // The server's own pages (Origin = the Host asked for, "Host: x" here, the
        // default port made explicit), and non-browser clients (no Origin).
        const std::string own = "Origin: HTTP://X:80\r\n\r\n";
        const auto head = response_head(srv.server.port(), sse_get + own);
        CHECK(status_is(head, 200));
        CHECK(head.find("Access-Control-Allow-Origin") == std::string::npos);
        CHECK(status_is(response_head(srv.server.port(), ws_upgrade + own), 101));
        CHECK(status_is(response_head(srv.server.port(), ws_upgrade + "Origin: http://x\r\n\r\n"), 101));
        CHECK(status_is(response_head(srv.server.port(), ws_upgrade + "Origin: http://x:1\r\n\r\n"), 403));
        CHECK(status_is(response_head(srv.server.port(), ws_upgrade + "Origin: https://x\r\n\r\n"), 403));
        CHECK(status_is(response_head(srv.server.port(), ws_upgrade + "Origin: null\r\n\r\n"), 403));
        CHECK(status_is(response_head(srv.server.port(), ws_upgrade + "\r\n"), 101));
    }
    {
        sb::server_options o;
        o.allowed_origins = {"*"};
        test_server srv(o);
        const auto head = response_head(srv.server.port(), sse_get + evil);
        CHECK(status_is(head, 200));
        CHECK(has(head, "Access-Control-Allow-Origin: https://evil.example"));
    }
}

TEST_CASE("other paths are 404 and oversize request headers are 431") {
    test_server srv;
    CHECK(http_get(srv.server.port(), "/other").result() == http::status::not_found);
    CHECK(http_get(srv.server.port(), "/live", "X-Big: " + std::string(10000, 'b') + "\r\n").result() ==
          http::status::request_header_fields_too_large);
}

TEST_CASE("a bad WebSocket handshake is refused with a clear status") {
    test_server srv;
    const auto port = srv.server.port();
    const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    CHECK(http_get(port, "/live", upgrade + "Sec-WebSocket-Version: 13\r\n").result() == http::status::bad_request);
    CHECK(http_get(port, "/live", upgrade + "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
              .result() == http::status::upgrade_required);
    CHECK(http_get(port, "/live?sb=99", upgrade +
                                            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
              .result() == http::status::bad_request);
}

TEST_CASE("the server serves requests handed over by an existing Beast HTTP server") {
    io_threads io;
    sb::server srv(io.ioc, {.address = "127.0.0.1", .port = 0});
    srv.on_event([](sb::session s, sb::event e) { s.send(e); });
    // The application's own listener: reads the request itself, hands over the upgrade.
    tcp::acceptor app(io.ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    app.async_accept([&](beast::error_code ec, tcp::socket socket) {
        REQUIRE_FALSE(ec);
        auto buffer = std::make_shared<beast::flat_buffer>();
        auto req = std::make_shared<http::request<http::string_body>>();
        auto sock = std::make_shared<tcp::socket>(std::move(socket));
        http::async_read(*sock, *buffer, *req, [&srv, sock, buffer, req](beast::error_code, std::size_t) {
            srv.handle(std::move(*sock), std::move(*req), std::move(*buffer));
        });
    });
    test_client<sb::websocket> c(io.ioc, "ws://127.0.0.1:" + std::to_string(app.local_endpoint().port()) + "/app/ws");
    c.connect();
    c.send({.data = "embedded"});
    REQUIRE(wait_until([&] { return c.events.size() == 1; }));
    CHECK(c.events.items()[0].data == "embedded");
}

TEST_CASE("the server serves the browser client at <path>/switchboard.js, with an ETag, unless told not to") {
    test_server srv;
    const auto port = srv.server.port();
    const auto res = http_get(port, "/live/switchboard.js");
    REQUIRE(res.result() == http::status::ok);
    CHECK(res[http::field::content_type] == "text/javascript; charset=utf-8");
    CHECK(res[http::field::cache_control] == "no-cache");
    CHECK(res.body() == switchboard::browser::script);
    const std::string etag(res[http::field::etag]);
    REQUIRE(etag.size() > 2);
    const auto again = http_get(port, "/live/switchboard.js", "If-None-Match: W/\"other\", " + etag + "\r\n");
    CHECK(again.result() == http::status::not_modified);
    CHECK(again.body().empty());
    CHECK(again.count(http::field::content_length) == 0);
    CHECK(http_get(port, "/live/switchboard.js", "If-None-Match: \"other\"\r\n").result() == http::status::ok);
    // Origins as for every request: same origin by default.
    CHECK(http_get(port, "/live/switchboard.js", "Origin: http://evil.example\r\n").result() == http::status::forbidden);
    CHECK(http_get(port, "/live/other.js").result() == http::status::not_found);
    CHECK(http_get(port, "/livex/switchboard.js").result() == http::status::not_found);
    test_server off({.serve_client_script = false});
    CHECK(http_get(off.server.port(), "/live/switchboard.js").result() == http::status::not_found);
}

TEST_CASE("requests for other paths go to on_other_request with their connection, kept-alive ones included") {
    std::atomic<int> handed{0}; // (declared before the server: its hook uses it)
    test_server srv;
    srv.server.on_other_request([&](tcp::socket s, http::request<http::string_body> req, beast::flat_buffer b) {
        ++handed;
        // The socket comes as a plain one: blocking reads and writes work on it.
        for (beast::error_code ec; !ec;) {
            http::response<http::string_body> res(http::status::ok, 11);
            res.body() = "the application's " + std::string(req.target());
            res.prepare_payload();
            http::write(s, res, ec);
            req = {};
            if (!ec) http::read(s, b, req, ec);
        }
    });
    const auto port = srv.server.port();
    CHECK(http_get(port, "/index.html").body() == "the application's /index.html");
    // A browser reuses a connection the server answered on for the page's next request.
    asio::io_context ioc;
    auto s = connect_to(ioc, port);
    asio::write(s, asio::buffer(std::string("GET /live?sb=1&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n")));
    beast::flat_buffer b;
    http::response<http::string_body> first;
    http::read(s, b, first);
    CHECK(first.result() == http::status::ok);
    CHECK(first.body().find("event: switchboard") != std::string::npos);
    asio::write(s, asio::buffer(std::string("GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n")));
    http::response<http::string_body> second;
    http::read(s, b, second);
    CHECK(second.body() == "the application's /favicon.ico");
    asio::write(s, asio::buffer(std::string("GET /about HTTP/1.1\r\nHost: x\r\n\r\n")));
    http::response<http::string_body> third;
    http::read(s, b, third);
    CHECK(third.body() == "the application's /about");
    CHECK(handed == 2);
    // A request with a body is not handed over.
    CHECK(status_is(response_head(port, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"), 404));
}
