// The SSE carrier against exact bytes: our server read by a raw socket, and our client
// reading hand-written servers. SSE only: these cases are about event-stream fields,
// HTTP statuses and POST upstream, which WebSocket does not have.
// Distributed under the Boost Software License, Version 1.0.
#include "raw.hpp"

using namespace harness;
using namespace harness::raw;
using namespace std::chrono_literals;

namespace {

const char* const sse_ok = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";

} // namespace

// ---------------------------------------------------------------------------
// The server

TEST_CASE("an event-stream GET in plain mode is answered as EventSource expects, with native fields") {
    test_server srv;
    stream_reader r(srv.server.port(), "/live");
    CHECK(r.head.find("200 OK") != std::string::npos);
    CHECK(r.head.find("Content-Type: text/event-stream") != std::string::npos);
    CHECK(r.head.find("Cache-Control: no-cache") != std::string::npos);
    CHECK(r.head.find("X-Accel-Buffering: no") != std::string::npos);
    REQUIRE(r.read_until([&] { return !r.retries.empty(); }));
    CHECK(r.retries[0] == 20ms); // server_options::sse_retry (the fixture's)
    REQUIRE(wait_until([&] { return srv.server.session_count() == 1; }));

    srv.server.broadcast({.type = "message", .data = "one"});
    srv.server.broadcast({.type = "chat", .data = "two\nlines", .id = "app-7"});
    srv.server.broadcast({.type = "bin", .data = std::string("\0\xff", 2), .binary = true});
    REQUIRE(r.read_until([&] { return r.events.size() >= 3; }));
    CHECK(r.events[0] == sb::event{.type = "message", .data = "one", .binary = false, .id = ""});
    CHECK(r.events[1] == sb::event{.type = "chat", .data = "two\nlines", .binary = false, .id = "app-7"});
    CHECK(r.events[2].data == sb::detail::base64_encode(std::string("\0\xff", 2))); // plain mode: base64, no flag
}

TEST_CASE("session mode: control frames are 'switchboard' events, event ids carry the token and resume natively") {
    test_server srv;
    std::string token;
    {
        raw_session first(srv.server.port());
        token = first.token;
        auto& r = first.reader;
        CHECK(r.events[0].id == token + "-0"); // the welcome: a drop before any event still resumes
        REQUIRE(wait_until([&] { return srv.opened.size() == 1; }));
        srv.server.broadcast({.type = "news", .data = "1"});
        srv.server.broadcast({.type = "news", .data = "with\rCR"});
        srv.server.broadcast({.type = "news", .data = std::string("\0\x01", 2), .binary = true});
        REQUIRE(r.read_until([&] { return r.count("news") >= 3; }));
        CHECK(r.events[1].id == token + "-1");
        CHECK(r.events[2].id == token + "-2e"); // text with a CR: base64, flag e
        CHECK(r.events[2].data == sb::detail::base64_encode("with\rCR"));
        CHECK(r.events[3].id == token + "-3b");
    } // the connection drops; the session waits for its client
    srv.server.broadcast({.type = "news", .data = "4"});
    // As a reconnecting EventSource does: the same URL, and the last id it saw.
    stream_reader again(srv.server.port(), "/live?sb=1", "Last-Event-ID: " + token + "-2e\r\n");
    REQUIRE(again.read_until([&] { return again.count("news") >= 2; }));
    const auto w = sb::detail::proto::parse_welcome(again.events[0].data.substr(1));
    REQUIRE(w);
    CHECK(w->resumed);
    CHECK(w->token != token); // rotated: the old token is void from here on
    CHECK(again.events[1].id == w->token + "-3b"); // 1 and 2 are not sent again
    CHECK(again.events[2].data == "4");
    CHECK(srv.opened.size() == 1);
    // Once the client used the new token (its first acknowledgement), whoever holds the old
    // one (a log, an old id) gets a new session, not this one.
    CHECK(request(srv.server.port(), http::verb::post, "/live?sb=1&token=" + w->token, framed({"A0"})).result() ==
          http::status::ok);
    stream_reader stolen(srv.server.port(), "/live?sb=1", "Last-Event-ID: " + token + "-2e\r\n");
    REQUIRE(stolen.read_until([&] { return stolen.count("switchboard") >= 1; }));
    const auto w2 = sb::detail::proto::parse_welcome(stolen.events[0].data.substr(1));
    REQUIRE(w2);
    CHECK_FALSE(w2->resumed);
    CHECK(srv.opened.size() == 2);
}

TEST_CASE("a resume point can come in the query, for clients that cannot set headers") {
    test_server srv;
    std::string token;
    {
        raw_session first(srv.server.port());
        token = first.token;
        srv.server.broadcast({.type = "news", .data = "1"});
        srv.server.broadcast({.type = "news", .data = "2"});
        REQUIRE(first.reader.read_until([&] { return first.reader.count("news") >= 2; }));
    }
    stream_reader again(srv.server.port(), "/live?sb=1&token=" + token + "&last=1");
    REQUIRE(again.read_until([&] { return again.count("news") >= 1; }));
    CHECK(again.events[1].data == "2");
}

TEST_CASE("upstream POSTs are delivered once, in order, binary raw, and acknowledged") {
    test_server srv;
    raw_session session(srv.server.port());
    const auto port = srv.server.port();
    auto res = session.post(port, framed({"E1 t up\none", "E2 t up\ntwo"}));
    CHECK(res.result() == http::status::ok);
    CHECK(res.body() == framed({"A2"}));
    // A client that did not see the answer sends 2 again: it is not delivered twice.
    res = session.post(port, framed({"E2 t up\ntwo", "E3 b up\n" + std::string("\0\r\n", 3)}));
    CHECK(res.body() == framed({"A3"}));
    REQUIRE(wait_until([&] { return srv.received.size() >= 3; }));
    const auto got = srv.received.items();
    CHECK(got.size() == 3);
    CHECK(got[0].data == "one");
    CHECK(got[1].data == "two");
    CHECK(got[2] == sb::event{.type = "up", .data = std::string("\0\r\n", 3), .binary = true, .id = "3"});
    // The echoes come down the stream.
    REQUIRE(session.reader.read_until([&] { return session.reader.count("up") >= 3; }));
}

TEST_CASE("bad POSTs get a clear status, and a malformed one ends the session") {
    sb::server_options o;
    o.max_message_size = 100;
    o.max_body_size = 1000;
    test_server srv(o);
    const auto port = srv.server.port();
    CHECK(request(port, http::verb::post, "/live", "x").result() == http::status::bad_request);
    CHECK(request(port, http::verb::post, "/live?sb=1&token=0123", framed({"E1 t a\nb"})).result() ==
          http::status::not_found);
    CHECK(request(port, http::verb::get, "/live").result() == http::status::bad_request); // neither stream nor upgrade
    {
        raw_session s(port);
        CHECK(s.post(port, std::string(2000, 'x')).result() == http::status::payload_too_large);
    }
    {
        raw_session s(port);
        CHECK(s.post(port, framed({"E1 t a\n" + std::string(101, 'x')})).result() == http::status::payload_too_large);
        REQUIRE(wait_until([&] { return srv.closed.size() >= 1; }));
        CHECK(srv.closed.items().back() == sb::error::message_too_big);
    }
    {
        raw_session s(port);
        CHECK(s.post(port, "5:E1 t").result() == http::status::bad_request);  // length beyond the body
        REQUIRE(wait_until([&] { return srv.closed.size() >= 2; }));
        CHECK(srv.closed.items().back() == sb::error::protocol_violation);
        // The stream says why, then ends.
        REQUIRE(s.reader.read_until([&] { return s.reader.ended; }));
        CHECK(s.reader.events.back().data.rfind("C", 0) == 0);
    }
}

TEST_CASE("an idle event stream gets heartbeat comments") {
    sb::server_options o;
    o.heartbeat.interval = 50ms;
    o.heartbeat.timeout = 200ms; // the server does not expect anything back on a stream
    test_server srv(o);
    stream_reader r(srv.server.port(), "/live");
    REQUIRE(r.read_until([&] { return r.comments.size() >= 6; })); // past the timeout: still served
    CHECK(srv.closed.size() == 0);
}

TEST_CASE("an event-stream reader slower than max_queued_bytes is closed and the queue stays bounded") {
    sb::server_options o;
    o.max_queued_bytes = 64u << 10;
    o.max_message_size = 16u << 10;
    test_server srv(o);
    asio::io_context ioc;
    auto s = connect_to(ioc, srv.server.port());
    int rcvbuf = 4096;
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    raw_http_server::write(s, "GET /live?sb=1 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n");
    REQUIRE(wait_until([&] { return srv.opened.size() == 1; }));
    const std::string chunk(4096, 'x');
    for (int i = 0; i < 2000 && srv.closed.size() == 0; ++i) srv.server.broadcast({.type = "news", .data = chunk});
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }));
    CHECK(srv.closed.items()[0] == sb::error::queue_full);
}

// ---------------------------------------------------------------------------
// The client against hand-written servers

TEST_CASE("plain mode reads any SSE endpoint: chunked, fields, retry, and Last-Event-ID on reconnect") {
    recorder<std::string> heads;
    raw_http_server server([&](tcp::socket& s, const std::string& head, int index) {
        heads.add(head);
        if (index == 0) {
            // Chunked, as Node's http module writes it, split mid-line.
            raw_http_server::write(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n");
            for (std::string chunk : {std::string("retry: 50\nid: 7\nevent: chat\nda"), std::string("ta: hi\n\n"),
                                      std::string(": a comment\ndata: a\ndata: b\n\n")}) {
                std::ostringstream size;
                size << std::hex << chunk.size();
                raw_http_server::write(s, size.str() + "\r\n" + chunk + "\r\n");
            }
            raw_http_server::write(s, "0\r\n\r\n"); // the stream ends: EventSource reconnects
            return;
        }
        raw_http_server::write(s, std::string(sse_ok) + "data: again\n\n");
        std::this_thread::sleep_for(300ms);
    });
    io_threads io;
    test_client<sb::sse> c(io.ioc, server.url(), {.session = false});
    c.connect();
    REQUIRE(wait_until([&] { return c.events.size() >= 3; }));
    const auto got = c.events.items();
    CHECK(got[0] == sb::event{.type = "chat", .data = "hi", .binary = false, .id = "7"});
    CHECK(got[1] == sb::event{.type = "message", .data = "a\nb", .binary = false, .id = "7"});
    CHECK(got[2].data == "again");
    const auto h = heads.items();
    REQUIRE(h.size() >= 2);
    CHECK(h[0].find("Accept: text/event-stream") != std::string::npos);
    CHECK(h[1].find("Last-Event-ID: 7\r\n") != std::string::npos);
}

namespace {
// How long a plain client waits between a stream that ended after `retry_field` and its
// reconnect, in ms, with reconnect.max_delay at `max_delay`.
std::int64_t reconnect_wait(const std::string& retry_field, std::chrono::milliseconds max_delay) {
    std::atomic<std::int64_t> first_end{0}, second_start{0};
    auto now_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    };
    raw_http_server server([&](tcp::socket& s, const std::string&, int index) {
        if (index == 0) {
            raw_http_server::write(s, std::string(sse_ok) + retry_field + "data: x\n\n");
            first_end = now_ms();
            return;
        }
        second_start = now_ms();
        raw_http_server::write(s, std::string(sse_ok) + "data: y\n\n");
        std::this_thread::sleep_for(200ms);
    });
    io_threads io;
    sb::client_options o{.session = false};
    o.reconnect.max_delay = max_delay;
    test_client<sb::sse> c(io.ioc, server.url(), o);
    c.connect();
    REQUIRE(wait_until([&] { return c.events.size() >= 2; }, 5s));
    return second_start - first_end;
}
} // namespace

TEST_CASE("the client waits at least the server's retry before reconnecting") {
    CHECK(reconnect_wait("retry: 400\n", 1000ms) >= 390);
}

TEST_CASE("a server's retry cannot postpone reconnects beyond reconnect.max_delay") {
    const auto waited = reconnect_wait("retry: 31536000000\n", 300ms); // a year
    CHECK(waited >= 290);
    CHECK(waited < 2000);
}

TEST_CASE("HTTP 204 stops reconnecting: a clean close") {
    raw_http_server server([&](tcp::socket& s, const std::string&, int index) {
        if (index == 0) return raw_http_server::write(s, std::string(sse_ok) + "data: x\n\n");
        raw_http_server::write(s, "HTTP/1.1 204 No Content\r\n\r\n");
    });
    io_threads io;
    test_client<sb::sse> c(io.ioc, server.url(), {.session = false});
    recorder<sb::error_code> errors;
    c.client.on_error([&](sb::error_code ec) { errors.add(ec); });
    c.connect();
    REQUIRE(wait_until([&] { return c.client.current_state() == sb::state::closed; }));
    std::this_thread::sleep_for(200ms);
    CHECK(server.connections() == 2);
    CHECK(c.events.size() == 1);
    CHECK(errors.size() == 0);
}

TEST_CASE("a wrong Content-Type or an HTTP error fails with a clear error and no events") {
    auto status = GENERATE(as<std::string>{}, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ndata: x\n\n",
                           "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
                           "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    raw_http_server server([&](tcp::socket& s, const std::string&, int) { raw_http_server::write(s, status); });
    io_threads io;
    test_client<sb::sse> c(io.ioc, server.url(), {.session = false});
    const auto ec = c.connect_error(10s);
    if (status.find("text/plain") != std::string::npos) CHECK(ec == sb::error::bad_content_type);
    else CHECK(ec == sb::error::bad_http_status);
    CHECK(c.events.size() == 0);
}

TEST_CASE("redirects are followed, up to max_redirects") {
    raw_http_server server([&](tcp::socket& s, const std::string& head, int) {
        if (head.rfind("GET /loop", 0) == 0)
            return raw_http_server::write(s, "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
        if (head.rfind("GET /old", 0) == 0)
            return raw_http_server::write(s, "HTTP/1.1 307 Temporary Redirect\r\nLocation: /new?x=1\r\n"
                                             "Content-Length: 0\r\n\r\n");
        raw_http_server::write(s, std::string(sse_ok) + "data: " + head.substr(4, head.find(' ', 4) - 4) + "\n\n");
        std::this_thread::sleep_for(200ms);
    });
    io_threads io;
    {
        test_client<sb::sse> c(io.ioc, server.url("/old"), {.session = false});
        c.connect();
        REQUIRE(wait_until([&] { return c.events.size() >= 1; }));
        CHECK(c.events.items()[0].data == "/new?x=1");
    }
    test_client<sb::sse> loop(io.ioc, server.url("/loop"), {.session = false, .max_redirects = 3});
    CHECK(loop.connect_error(10s) == sb::error::too_many_redirects);
}

TEST_CASE("redirects to another origin are refused unless cross_origin_redirects allows them") {
    raw_http_server target([&](tcp::socket& s, const std::string&, int) {
        raw_http_server::write(s, std::string(sse_ok) + "data: elsewhere\n\n");
        std::this_thread::sleep_for(200ms);
    });
    const auto to = target.url("/there");
    raw_http_server server([&](tcp::socket& s, const std::string& head, int) {
        if (head.rfind("GET /space", 0) == 0)
            return raw_http_server::write(s, "HTTP/1.1 302 Found\r\nLocation: /a b\r\nContent-Length: 0\r\n\r\n");
        raw_http_server::write(s, "HTTP/1.1 302 Found\r\nLocation: " + to + "\r\nContent-Length: 0\r\n\r\n");
    });
    io_threads io;
    {
        test_client<sb::sse> c(io.ioc, server.url("/away"), {.session = false});
        CHECK(c.connect_error(10s) == sb::error::redirect_refused);
        CHECK(target.connections() == 0);
    }
    {
        test_client<sb::sse> c(io.ioc, server.url("/away"), {.session = false, .cross_origin_redirects = true});
        c.connect();
        REQUIRE(wait_until([&] { return c.events.size() >= 1; }));
        CHECK(c.events.items()[0].data == "elsewhere");
    }
    // A Location that would break the request line is not followed.
    test_client<sb::sse> c(io.ioc, server.url("/space"), {.session = false});
    CHECK(c.connect_error(10s) == sb::error::bad_http_status);
}

TEST_CASE("plain mode: the last event ID persists across reconnections, and an id without data still sets it") {
    // WHATWG: the last event ID buffer is set by every id field and kept across
    // reconnections; an event without an id field reports the one in force.
    recorder<std::string> heads;
    raw_http_server server([&](tcp::socket& s, const std::string& head, int index) {
        heads.add(head);
        if (index == 0) return raw_http_server::write(s, std::string(sse_ok) + "id: 7\ndata: a\n\n");
        if (index == 1) return raw_http_server::write(s, std::string(sse_ok) + "data: b\n\nid: 8\n\n");
        raw_http_server::write(s, std::string(sse_ok) + "data: c\n\n");
        std::this_thread::sleep_for(300ms);
    });
    io_threads io;
    test_client<sb::sse> c(io.ioc, server.url(), {.session = false});
    c.connect();
    REQUIRE(wait_until([&] { return c.events.size() >= 3; }));
    const auto got = c.events.items();
    CHECK(got[0].id == "7");
    CHECK(got[1].id == "7"); // after a reconnect, no id field: the last one seen
    CHECK(got[2].id == "8"); // set by a block without data
    const auto h = heads.items();
    REQUIRE(h.size() >= 3);
    CHECK(h[1].find("Last-Event-ID: 7\r\n") != std::string::npos);
    CHECK(h[2].find("Last-Event-ID: 8\r\n") != std::string::npos);
}

TEST_CASE("bad streams end with a clear error or a bounded wait, never unbounded memory") {
    SECTION("endless data without a newline") {
        raw_http_server server([&](tcp::socket& s, const std::string&, int) {
            raw_http_server::write(s, std::string(sse_ok) + "data: ");
            const std::string chunk(64u << 10, 'x');
            for (int i = 0; i < 200; ++i) raw_http_server::write(s, chunk); // 12.5 MiB, then the limit stops it
        });
        io_threads io;
        test_client<sb::sse> c(io.ioc, server.url(), {.session = false, .max_message_size = 1u << 20});
        c.connect();
        CHECK(c.receive_error(10s) == sb::error::line_too_long); // the error that ends the client
        CHECK(c.events.size() == 0);
    }
    SECTION("a 10 MiB single event over the limit, then under it") {
        const std::string big(10u << 20, 'y');
        raw_http_server server([&](tcp::socket& s, const std::string&, int) {
            raw_http_server::write(s, std::string(sse_ok) + "data: " + big + "\n\n");
            std::this_thread::sleep_for(500ms);
        });
        io_threads io;
        {
            test_client<sb::sse> small(io.ioc, server.url(), {.session = false, .max_message_size = 1u << 20});
            small.connect();
            REQUIRE(wait_until([&] { return small.client.current_state() == sb::state::closed; }));
            CHECK(small.events.size() == 0);
        }
        test_client<sb::sse> c(io.ioc, server.url(), {.session = false});
        c.connect();
        REQUIRE(wait_until([&] { return c.events.size() >= 1; }, 60s)); // (10 MiB parsed under TSan on a loaded machine)
        CHECK(c.events.items()[0].data == big);
    }
    SECTION("a flood of comments") {
        raw_http_server server([&](tcp::socket& s, const std::string&, int) {
            raw_http_server::write(s, sse_ok);
            std::string comments;
            for (int i = 0; i < 100000; ++i) comments += ": keep-alive comment, not an event\n";
            raw_http_server::write(s, comments); // 3.5 MiB
            raw_http_server::write(s, "data: after\n\n");
            std::this_thread::sleep_for(300ms);
        });
        io_threads io;
        test_client<sb::sse> c(io.ioc, server.url(), {.session = false});
        c.connect();
        REQUIRE(wait_until([&] { return c.events.size() >= 1; }));
        CHECK(c.events.items()[0].data == "after");
    }
    SECTION("a server that never answers after the headers") {
        raw_http_server server([&](tcp::socket& s, const std::string&, int) {
            raw_http_server::write(s, sse_ok);
            std::this_thread::sleep_for(2s);
        });
        io_threads io;
        sb::client_options o{.session = false};
        o.heartbeat.interval = 100ms;
        o.heartbeat.timeout = 200ms;
        o.reconnect.enabled = false;
        test_client<sb::sse> c(io.ioc, server.url(), o);
        c.connect();
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(wait_until([&] { return c.client.current_state() == sb::state::closed; }, 1500ms));
        CHECK(std::chrono::steady_clock::now() - start < 1500ms);
    }
    SECTION("a server that never sends its headers") {
        raw_http_server server([&](tcp::socket&, const std::string&, int) { std::this_thread::sleep_for(2s); });
        io_threads io;
        test_client<sb::sse> c(io.ioc, server.url(), {.session = false, .connect_timeout = 200ms});
        CHECK(c.connect_error(1500ms) == sb::error::handshake_timeout);
    }
}
