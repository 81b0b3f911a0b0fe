// Sessions outlive connections: drops, resumes, gaps and expiry, over every transport.
// The network failures are real: a TCP proxy between client and server cuts them.
// Distributed under the Boost Software License, Version 1.0.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace harness;
using namespace std::chrono_literals;
namespace sb = switchboard;

namespace {

// A client connected through a cuttable proxy that joined topic "news".
template <class Transport>
struct news_subscriber {
    explicit news_subscriber(test_server& srv)
        : proxy(srv.port()), c(srv.io.ioc, srv.template url<Transport>(proxy.port())) {
        c.connect();
        c.send({.type = "join", .data = "news"});
        REQUIRE(wait_until([&] { return srv.received.size() >= 1; }));
    }
    // The network goes away (and stays away until `restore`).
    void cut() {
        proxy.block(true);
        proxy.cut();
        REQUIRE(wait_until([&] { return c.client.current_state() == sb::state::reconnecting; }));
    }
    void restore() { proxy.block(false); }
    tcp_proxy proxy;
    test_client<Transport> c;
};

std::vector<sb::event> of_type(const std::vector<sb::event>& all, const std::string& type) {
    std::vector<sb::event> out;
    for (const auto& e : all)
        if (e.type == type) out.push_back(e);
    return out;
}

// Waits for `downstream` "news" events at the client and `upstream` "up" events each
// way (the server echoes them), then checks each arrived once, in order, with no gap.
template <class Client>
void check_exactly_once(test_server& srv, Client& c, int downstream, int upstream) {
    const auto down = static_cast<std::size_t>(downstream), up = static_cast<std::size_t>(upstream);
    REQUIRE(wait_until([&] { return of_type(c.events.items(), "news").size() >= down; }));
    REQUIRE(wait_until([&] { return of_type(srv.received.items(), "up").size() >= up; }));
    REQUIRE(wait_until([&] { return of_type(c.events.items(), "up").size() >= up; }));
    std::this_thread::sleep_for(50ms); // anything duplicated would have arrived by now

    CHECK(data_of(of_type(c.events.items(), "news")) == numbered(1, downstream));
    CHECK(data_of(of_type(srv.received.items(), "up")) == numbered(1, upstream));
    CHECK(data_of(of_type(c.events.items(), "up")) == numbered(1, upstream));
    CHECK(c.gaps.size() == 0);
}
} // namespace

TEMPLATE_TEST_CASE("a client whose connection drops mid-stream resumes with every event exactly once, in order",
                   "[integration][tls]", SWITCHBOARD_TRANSPORTS) {
    test_server srv;
    news_subscriber<TestType> sub(srv);
    auto& c = sub.c;
    auto& proxy = sub.proxy;

    constexpr int downstream = 3000, upstream = 300;
    for (int i = 1; i <= downstream; ++i) {
        srv.server.publish("news", {.type = "news", .data = std::to_string(i)});
        if (i <= upstream) c.send({.type = "up", .data = std::to_string(i)});
        if (i % 700 == 0) { // the network drops, mid-stream, in both directions
            // ...once the client is back on a new connection after the previous cut.
            // (Counted in opens: a carrier may use several TCP connections, as SSE's POSTs.)
            const auto connection = static_cast<std::ptrdiff_t>(i / 700);
            REQUIRE(wait_until([&] {
                const auto states = c.states.items();
                return std::count(states.begin(), states.end(), sb::state::open) >= connection &&
                       c.client.current_state() == sb::state::open;
            }));
            proxy.cut();
        }
        if (i % 100 == 0) std::this_thread::sleep_for(2ms);
    }
    check_exactly_once(srv, c, downstream, upstream);
    CHECK(proxy.connections() >= 5); // it really did reconnect
    const auto states = c.states.items();
    CHECK(std::count(states.begin(), states.end(), sb::state::reconnecting) >= 4);
    CHECK(srv.opened.size() == 1); // one session throughout
}

TEMPLATE_TEST_CASE("events published while a client is away are replayed when it returns", "[integration][tls]",
                   SWITCHBOARD_TRANSPORTS) {
    test_server srv;
    news_subscriber<TestType> sub(srv);
    auto& c = sub.c;
    sub.cut();
    for (int i = 1; i <= 100; ++i) srv.server.publish("news", {.type = "news", .data = std::to_string(i)});
    c.send({.type = "up", .data = "sent while away"}); // queued, delivered once on resume
    std::this_thread::sleep_for(100ms);
    sub.restore();
    REQUIRE(wait_until([&] { return c.events.size() >= 101; }));
    std::this_thread::sleep_for(50ms);
    CHECK(data_of(of_type(c.events.items(), "news")) == numbered(1, 100));
    CHECK(of_type(srv.received.items(), "up").size() == 1);
    CHECK(c.gaps.size() == 0);
}

TEMPLATE_TEST_CASE("a resume from beyond the replay window reports the exact gap, then delivers the rest",
                   "[integration][tls]", SWITCHBOARD_TRANSPORTS) {
    sb::server_options o;
    o.replay.max_events = 10;
    test_server srv(o);
    news_subscriber<TestType> sub(srv);
    auto& c = sub.c;
    for (int i = 1; i <= 5; ++i) srv.server.publish("news", {.type = "news", .data = std::to_string(i)});
    REQUIRE(wait_until([&] { return c.events.size() >= 5; }));

    sub.cut();
    for (int i = 6; i <= 50; ++i) srv.server.publish("news", {.type = "news", .data = std::to_string(i)});
    std::this_thread::sleep_for(50ms);
    sub.restore();

    REQUIRE(wait_until([&] { return c.events.size() >= 15; }));
    REQUIRE(c.gaps.size() == 1);
    CHECK(c.gaps.items()[0] == sb::gap{6, 40});
    auto expected = numbered(1, 5);
    for (auto& s : numbered(41, 50)) expected.push_back(s);
    CHECK(data_of(c.events.items()) == expected);
}

TEMPLATE_TEST_CASE("a client that returns after its session expired is told, and gets a new session",
                   "[integration][tls]", SWITCHBOARD_TRANSPORTS) {
    sb::server_options o;
    o.session_timeout = 100ms;
    // Long-polling and polling clients are known gone when they ask nothing for the
    // heartbeat timeout (a stream's drop is seen at once).
    o.heartbeat = {.interval = 100ms, .timeout = 400ms};
    test_server srv(o);
    tcp_proxy proxy(srv.port());
    test_client<TestType> c(srv.io.ioc, srv.template url<TestType>(proxy.port()));
    recorder<sb::error_code> errors;
    c.client.on_error([&](sb::error_code ec) { errors.add(ec); });
    c.connect();
    proxy.block(true);
    proxy.cut();
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; })); // expired on the server
    CHECK(srv.closed.items()[0] == sb::error::session_expired);
    proxy.block(false);
    REQUIRE(wait_until([&] { return errors.size() >= 1; }));
    CHECK(errors.items()[0] == sb::error::session_expired);
    REQUIRE(wait_until([&] { return c.client.current_state() == sb::state::open; }));
    c.send({.type = "echo", .data = "new session"});
    REQUIRE(wait_until([&] { return c.events.size() >= 1; }));
    CHECK(c.events.items().back().data == "new session");
    CHECK(srv.opened.size() == 2);
}

// any_client: transport fallback. Not a template: the client picks the transport.

TEST_CASE("any_client uses the first transport that gets through: WebSocket, else SSE") {
    test_server srv;
    const auto url = [&](unsigned short port) { return "http://127.0.0.1:" + std::to_string(port) + "/live"; };
    {
        any_test_client c(srv.io.ioc, url(srv.port()));
        c.connect();
        CHECK(c.client.current_transport() == sb::transport_kind::websocket);
        c.send({.type = "echo", .data = "over websocket"});
        REQUIRE(wait_until([&] { return c.events.size() >= 1; }));
        CHECK(c.errors.size() == 0);
    }
    {
        tcp_proxy proxy(srv.port());
        proxy.refuse_upgrades(true); // as a proxy that does not pass WebSocket
        any_test_client c(srv.io.ioc, url(proxy.port()));
        c.connect();
        CHECK(c.client.current_transport() == sb::transport_kind::sse);
        c.send({.type = "echo", .data = "over sse"});
        REQUIRE(wait_until([&] { return c.events.size() >= 1; }));
        CHECK(c.events.items()[0].data == "over sse");
        CHECK(proxy.refused_upgrades() == 1);
        REQUIRE(c.errors.size() == 1); // the fallback, and why
        CHECK(c.errors.items()[0] == sb::error::bad_http_status);
    }
    {
        // Connection refused is the server's, not a transport's: no fallback.
        io_threads io;
        unsigned short closed_port;
        {
            tcp::acceptor a(io.ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
            closed_port = a.local_endpoint().port();
        }
        any_test_client c(io.ioc, url(closed_port));
        CHECK(c.connect_error() == asio::error::connection_refused);
        CHECK(c.client.current_transport() == sb::transport_kind::websocket);
    }
}

TEST_CASE("any_client falls back when an event stream is buffered: its welcome never comes") {
    // SSE first, through a proxy that holds back event streams: the welcome does not
    // arrive within connect_timeout, and the client moves on to WebSocket.
    test_server srv;
    tcp_proxy proxy(srv.port());
    proxy.hold_streams(true);
    sb::client_options o;
    o.connect_timeout = 300ms;
    any_test_client c(srv.io.ioc, "http://127.0.0.1:" + std::to_string(proxy.port()) + "/live", o,
                      std::vector{sb::transport_kind::sse, sb::transport_kind::websocket});
    c.connect();
    CHECK(c.client.current_transport() == sb::transport_kind::websocket);
    REQUIRE(c.errors.size() == 1);
    CHECK(c.errors.items()[0] == sb::error::handshake_timeout);
    c.send({.type = "echo", .data = "after the fallback"});
    REQUIRE(wait_until([&] { return c.events.size() >= 1; }));
    CHECK(c.events.items()[0].data == "after the fallback");
}

TEST_CASE("a session falls back from WebSocket to SSE mid-stream and loses and duplicates nothing") {
    test_server srv;
    tcp_proxy proxy(srv.port());
    any_test_client c(srv.io.ioc, "http://127.0.0.1:" + std::to_string(proxy.port()) + "/live");
    c.connect();
    REQUIRE(c.client.current_transport() == sb::transport_kind::websocket);
    c.send({.type = "join", .data = "news"});
    REQUIRE(wait_until([&] { return srv.received.size() >= 1; }));

    constexpr int downstream = 2000, upstream = 200;
    for (int i = 1; i <= downstream; ++i) {
        srv.server.publish("news", {.type = "news", .data = std::to_string(i)});
        if (i <= upstream) c.send({.type = "up", .data = std::to_string(i)});
        if (i == 700) { // the network starts refusing WebSocket, and drops what is open
            proxy.refuse_upgrades(true);
            proxy.cut();
        }
        if (i % 100 == 0) std::this_thread::sleep_for(2ms);
    }
    check_exactly_once(srv, c, downstream, upstream);
    CHECK(c.client.current_transport() == sb::transport_kind::sse);
    CHECK(proxy.refused_upgrades() >= 1);
    CHECK(srv.opened.size() == 1); // one session throughout, on two transports
}

TEST_CASE("one session falls back WebSocket -> SSE -> long-polling -> polling mid-stream, losing and duplicating nothing") {
    test_server srv;
    tcp_proxy proxy(srv.port());
    sb::client_options o;
    o.connect_timeout = 500ms; // a held-back event stream is given up on after this
    any_test_client c(srv.io.ioc, "http://127.0.0.1:" + std::to_string(proxy.port()) + "/live", o);
    c.connect();
    REQUIRE(c.client.current_transport() == sb::transport_kind::websocket);
    c.send({.type = "join", .data = "news"});
    REQUIRE(wait_until([&] { return srv.received.size() >= 1; }));

    constexpr int downstream = 2000, upstream = downstream / 7;
    for (int i = 1; i <= downstream; ++i) {
        srv.server.publish("news", {.type = "news", .data = std::to_string(i)});
        if (i % 7 == 0) c.send({.type = "up", .data = std::to_string(i / 7)});
        // Each step the network gets worse, and drops what is open.
        if (i == 400) proxy.refuse_upgrades(true);                           // no WebSocket
        if (i == 900) proxy.hold_streams(true);                              // event streams buffered
        if (i == 1400) proxy.refuse_requests_with("transport=long-polling"); // no held GETs (a client never goes back)
        if (i == 400 || i == 900 || i == 1400) {
            proxy.cut();
            const auto before = c.client.current_transport();
            INFO("step at event " << i << " from " << before);
            REQUIRE(wait_until([&] { return c.client.current_transport() != before; }));
            REQUIRE(wait_until([&] { return c.client.current_state() == sb::state::open; }));
        }
        if (i % 100 == 0) std::this_thread::sleep_for(2ms);
    }
    INFO("server received " << of_type(srv.received.items(), "up").size() << " ups; client got "
                             << of_type(c.events.items(), "news").size() << " news, " << of_type(c.events.items(), "up").size()
                             << " ups; state " << c.client.current_state() << " on " << c.client.current_transport());
    check_exactly_once(srv, c, downstream, upstream);
    CHECK(c.client.current_transport() == sb::transport_kind::polling);
    CHECK(srv.opened.size() == 1); // one session throughout, on four transports
    const auto errors = c.errors.items();
    CHECK(errors == std::vector<sb::error_code>{sb::error::bad_http_status, sb::error::handshake_timeout,
                                                sb::error::bad_http_status});
}
