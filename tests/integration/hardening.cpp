// What a hostile or broken peer can do to the server: each case reproduces a way one
// client could crash, hang or exhaust it, and checks that the server refuses it and goes
// on serving everyone else.
// Distributed under the Boost Software License, Version 1.0.
#include "raw.hpp"

using namespace harness;
using namespace harness::raw;
using namespace std::chrono_literals;

namespace {

// The server still serves: a new client connects and gets its echo within `within`.
template <class Transport>
bool still_serving(test_server& srv, std::chrono::milliseconds within = 2s) {
    test_client<Transport> c(srv.io.ioc, srv.template url<Transport>());
    if (c.connect_error(within)) return false;
    c.client.async_send({.type = "echo", .data = "still here"}, [](sb::error_code) {});
    return wait_until([&] { return c.events.size() == 1; }, within);
}

// A session-mode WebSocket peer that has read its welcome.
struct raw_ws_session : raw_client {
    explicit raw_ws_session(unsigned short port) : raw_client(port, "/live?sb=1") {
        beast::flat_buffer b;
        ws.read(b);
        REQUIRE(beast::buffers_to_string(b.data()).rfind("W", 0) == 0);
    }
};

} // namespace

TEMPLATE_TEST_CASE("a publish that closes a slow consumer from the publisher's own handler leaves the server serving",
                   "[hardening]", SWITCHBOARD_TRANSPORTS) {
    // Found: publish held the server-wide lock while it sent to a session on its own
    // strand; the send overflowed the session's queue, and closing the session took the
    // same lock. Every thread of the server then waited forever.
    test_server srv;
    // The event a "publish" makes is twice as large as any queue may hold.
    srv.server.on_event([&srv](sb::session s, sb::event e) {
        if (e.type == "join") s.join(e.data);
        if (e.type == "publish") srv.server.publish("news", {.type = "news", .data = std::string(64u << 20, 'x')});
        if (e.type == "echo") s.send(e);
        srv.received.add(e);
    });
    test_client<TestType> c(srv.io.ioc, srv.template url<TestType>());
    c.connect();
    c.send({.type = "join", .data = "news"});
    REQUIRE(wait_until([&] { return srv.received.size() == 1; }));
    // The publish comes from the session's own handler, on its strand: the publisher is
    // a subscriber, and the event is past max_queued_bytes (32 MiB) at once.
    c.client.async_send({.type = "publish"}, [](sb::error_code) {});
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }, 5s));
    CHECK(srv.closed.items()[0] == sb::error::queue_full);
    CHECK(still_serving<TestType>(srv));
}

TEST_CASE("an event of the reserved type 'switchboard' from a client is refused where it enters") {
    // Found: the server delivered it, and the application's echo (session::send) threw
    // out of an Asio handler: the process aborted.
    test_server srv;
    SECTION("over WebSocket: close 1002") {
        raw_ws_session c(srv.server.port());
        c.ws.write(asio::buffer(std::string("E1 t switchboard\nhello")));
        CHECK(c.read_close_code() == 1002);
    }
    SECTION("over SSE: the POST is answered 400 and the session closed") {
        raw_session s(srv.server.port());
        auto res = s.post(srv.server.port(), framed({"E1 t switchboard\nhello"}));
        CHECK(res.result() == http::status::bad_request);
    }
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }));
    CHECK(srv.closed.items()[0] == sb::error::protocol_violation);
    CHECK(srv.received.size() == 0);
    CHECK(still_serving<sb::websocket>(srv));
}

TEST_CASE("an event with an empty type from a client is delivered as type 'message'") {
    test_server srv;
    raw_ws_session c(srv.server.port());
    c.ws.write(asio::buffer(std::string("E1 t \nhello")));
    REQUIRE(wait_until([&] { return srv.received.size() == 1; }));
    CHECK(srv.received.items()[0].type == "message");
    beast::flat_buffer b;
    c.ws.read(b); // the echo (sent as "message") does not throw either
    CHECK(beast::buffers_to_string(b.data()) == "E1 t message\nhello");
}

TEST_CASE("WebSocket frame lengths from the peer cannot wrap the message size check") {
    // Found: a 1-byte fragment, then a continuation whose 64-bit length is 2^64-1:
    // message_size() + len wrapped to 0, passed the check, and the server buffered
    // whatever the peer sent after it.
    test_server srv;
    const auto port = srv.server.port();
    SECTION("a 64-bit length with its most significant bit set is a protocol error (RFC 6455 5.2)") {
        CHECK(close_code_after(port, masked_frame(0x01, "a") + masked_header(0x80, ~std::uint64_t{0})) == 1002);
        CHECK(close_code_after(port, masked_header(0x82, std::uint64_t{1} << 63)) == 1002);
    }
    SECTION("the largest valid length after a fragment is too big, not a wrap") {
        CHECK(close_code_after(port, masked_frame(0x01, "a") + masked_header(0x80, ~std::uint64_t{0} >> 1)) == 1009);
    }
    SECTION("a length not in its shortest form is a protocol error") {
        std::string h{'\x81', static_cast<char>(0x80 | 127), 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0};
        CHECK(close_code_after(port, h + "hello") == 1002);
    }
    CHECK(still_serving<sb::websocket>(srv));
}
