// Raw peers for tests against exact bytes: a synchronous RFC 6455 client, an
// event-stream reader, one-shot HTTP requests, and a session opened by a raw reader.
// Distributed under the Boost Software License, Version 1.0.
#pragma once

#include "fixture.hpp"

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/protocol.hpp>
#include <switchboard/sse/parser.hpp>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/time.h>

namespace harness::raw {

namespace sb = switchboard;
namespace beast = boost::beast;
namespace bws = boost::beast::websocket;
namespace http = boost::beast::http;

// A connected socket whose reads fail after 5 s instead of hanging a test; `from`: its
// own address (any of 127.0.0.0/8, to stand for another peer).
inline tcp::socket connect_to(asio::io_context& ioc, unsigned short port, const char* from = nullptr) {
    tcp::socket s(ioc);
    if (from) {
        s.open(tcp::v4());
        s.bind(tcp::endpoint(asio::ip::make_address(from), 0));
    }
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{5, 0}; // a broken server fails the test instead of hanging it
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
}

// A raw event-stream reader of our server: sends the GET, parses what comes back.
struct stream_reader {
    asio::io_context ioc;
    tcp::socket s;
    std::string head;    // the response head
    std::string pending; // body bytes read with the head
    sb::detail::sse_parser parser;
    std::vector<sb::event> events;
    std::vector<std::string> comments;
    std::vector<std::chrono::milliseconds> retries;
    bool ended = false;

    stream_reader(unsigned short port, const std::string& target, const std::string& extra_headers = {})
        : s(connect_to(ioc, port)) {
        raw_http_server::write(s, "GET " + target + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n" +
                                      extra_headers + "\r\n");
        boost::system::error_code ec;
        const auto n = asio::read_until(s, asio::dynamic_buffer(pending), "\r\n\r\n", ec);
        REQUIRE(!ec);
        head = pending.substr(0, n);
        pending.erase(0, n);
        feed(pending);
    }
    void on_event(sb::event e) { events.push_back(std::move(e)); }
    void on_retry(std::chrono::milliseconds d) { retries.push_back(d); }
    void on_comment(std::string_view c) { comments.emplace_back(c); }
    void feed(std::string_view bytes) { REQUIRE(!parser.feed(bytes, *this)); }
    // Reads until `pred` holds or the stream ends; returns pred().
    bool read_until(const std::function<bool()>& pred) {
        char buf[65536];
        while (!pred() && !ended) {
            boost::system::error_code ec;
            const auto n = s.read_some(asio::buffer(buf), ec);
            if (ec) ended = true;
            else feed(std::string_view(buf, n));
        }
        return pred();
    }
    std::string welcome_token() const {
        for (const auto& e : events)
            if (e.type == "switchboard" && e.data[0] == 'W') return sb::detail::proto::parse_welcome(e.data.substr(1))->token;
        return {};
    }
    std::size_t count(const std::string& type) const {
        return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](auto& e) { return e.type == type; }));
    }
};

// One HTTP request on a new connection; the response.
inline http::response<http::string_body> request(unsigned short port, http::verb verb, const std::string& target,
                                          std::string body = {}, const std::string& accept = {}) {
    asio::io_context ioc;
    auto s = connect_to(ioc, port);
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "x");
    if (!accept.empty()) req.set(http::field::accept, accept);
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(s, req);
    beast::flat_buffer b;
    http::response<http::string_body> res;
    http::response_parser<http::string_body> p;
    p.body_limit(64u << 20);
    http::read(s, b, p);
    return p.release();
}

inline std::string framed(std::initializer_list<std::string> frames) {
    std::string out;
    for (const auto& f : frames) sb::detail::proto::append_framed(out, f);
    return out;
}

// A session opened by a raw reader: its token, for POSTs.
struct raw_session {
    stream_reader reader;
    std::string token;
    explicit raw_session(unsigned short port) : reader(port, "/live?sb=1") {
        REQUIRE(reader.read_until([&] { return !reader.welcome_token().empty(); }));
        token = reader.welcome_token();
    }
    http::response<http::string_body> post(unsigned short port, std::string body) {
        return request(port, http::verb::post, "/live?sb=1&token=" + token, std::move(body));
    }
};


// A plain RFC 6455 client (Beast, synchronous) on its own io_context.
struct raw_client {
    asio::io_context ioc;
    bws::stream<tcp::socket> ws{ioc};
    explicit raw_client(unsigned short port, const std::string& target = "/live") {
        ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        timeval tv{5, 0}; // a broken server fails the test instead of hanging it
        ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ws.handshake("127.0.0.1:" + std::to_string(port), target);
    }
    // Reads until the server closes; returns its close code (0 if the TCP connection just ended).
    int read_close_code() {
        beast::flat_buffer b;
        beast::error_code ec;
        while (!ec) ws.read(b, ec);
        return ec == bws::error::closed ? static_cast<int>(ws.reason().code) : 0;
    }
};

// Sends raw bytes after a valid handshake and returns the close code the server answers.
inline int close_code_after(unsigned short port, const std::string& bytes) {
    raw_client c(port);
    asio::write(c.ws.next_layer(), asio::buffer(bytes));
    return c.read_close_code();
}

inline std::string masked_frame(std::uint8_t first, std::string_view payload) {
    std::string f{static_cast<char>(first), static_cast<char>(0x80 | payload.size())};
    f.append("\0\0\0\0", 4); // a zero mask keeps the payload readable
    f.append(payload);
    return f;
}

// The header of a masked client frame of any length (with a zero mask key).
inline std::string masked_header(std::uint8_t first, std::uint64_t len) {
    std::string f{static_cast<char>(first)};
    if (len < 126) {
        f.push_back(static_cast<char>(0x80 | len));
    } else if (len <= 0xffff) {
        f.push_back(static_cast<char>(0x80 | 126));
        for (int i = 1; i >= 0; --i) f.push_back(static_cast<char>(len >> (8 * i)));
    } else {
        f.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(len >> (8 * i)));
    }
    f.append("\0\0\0\0", 4);
    return f;
}

inline http::response<http::string_body> http_get(unsigned short port, const std::string& target,
                                           const std::string& extra_header = {}) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra_header + "\r\n";
    asio::write(s, asio::buffer(req));
    beast::flat_buffer b;
    http::response<http::string_body> res;
    http::read(s, b, res);
    return res;
}

// Sends a raw request; returns the response head (a stream's body is not waited for).
inline std::string response_head(unsigned short port, const std::string& request, const char* from = nullptr) {
    asio::io_context ioc;
    auto s = connect_to(ioc, port, from);
    asio::write(s, asio::buffer(request));
    std::string buf;
    const auto n = asio::read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n");
    return buf.substr(0, n);
}

inline bool has(const std::string& head, const std::string& line) {
    return head.find("\r\n" + line + "\r\n") != std::string::npos;
}
inline bool status_is(const std::string& head, int status) { return head.rfind("HTTP/1.1 " + std::to_string(status), 0) == 0; }

inline const std::string ws_upgrade = "GET /live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
inline const std::string sse_get = "GET /live HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n";
inline const std::string preflight = "OPTIONS /live?sb=1 HTTP/1.1\r\nHost: x\r\nAccess-Control-Request-Method: POST\r\n";
inline const std::string bad_post = "POST /live HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n";


} // namespace harness::raw
