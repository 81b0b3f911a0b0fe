// Authorization: the server's hook, sessions bound to their principal, token rotation,
// the clients' headers; every case over every transport.
// Distributed under the Boost Software License, Version 1.0.
#include "fixture.hpp"
#include "raw.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>

using namespace harness;
using namespace harness::raw;
namespace sb = switchboard;

namespace {

// Bearer tokens of the test's users.
const std::map<std::string, std::string, std::less<>> users{{"alice-token", "alice"}, {"bob-token", "bob"}};

struct user {
    std::string name;
};

sb::client_options bearer(const std::string& token) {
    sb::client_options o;
    o.headers = {{"Authorization", "Bearer " + token}};
    return o;
}

sb::authorization check(const sb::request_info& r) {
    const auto it = users.find(r.bearer_token());
    if (it == users.end()) return sb::authorization::deny(401, "who are you");
    return sb::authorization::allow(it->second, user{it->second});
}

} // namespace

TEMPLATE_TEST_CASE("the authorization hook lets known credentials in and names the session's principal",
                   "[integration]", SWITCHBOARD_TRANSPORTS) {
    recorder<std::string> seen; // principal and data of each opened session (declared first: it outlives the server)
    test_server srv;
    srv.server.on_authorize(&check);
    srv.server.on_open([&](sb::session s) {
        seen.add(std::string(s.principal()) + "/" + std::any_cast<const user&>(s.data()).name);
    });
    test_client<TestType> c(srv.io.ioc, srv.template url<TestType>(), bearer("alice-token"));
    c.connect();
    c.send({.type = "echo", .data = "hi"});
    REQUIRE(wait_until([&] { return c.events.size() == 1; }));
    CHECK(seen.items() == std::vector<std::string>{"alice/alice"});
}

TEMPLATE_TEST_CASE("a request the hook denies is refused with its status and the client stops with unauthorized",
                   "[integration]", SWITCHBOARD_TRANSPORTS) {
    test_server srv;
    srv.server.on_authorize(&check);
    test_client<TestType> c(srv.io.ioc, srv.template url<TestType>(), bearer("forged"));
    CHECK(c.connect_error() == sb::error::unauthorized);
    CHECK(c.client.current_state() == sb::state::closed);
    CHECK(srv.server.session_count() == 0);
    // Raw: the status and the reason.
    const auto res = http_get(srv.port(), "/live?sb=1&transport=polling", "Authorization: Bearer forged\r\n");
    CHECK(res.result() == http::status::unauthorized);
    CHECK(res.body() == "who are you\n");
}

TEMPLATE_TEST_CASE("an asynchronous hook may answer later from another thread", "[integration]", SWITCHBOARD_TRANSPORTS) {
    // (Declared before the server: the hook may run until it is gone.)
    std::mutex m;
    std::vector<std::thread> lookups; // as a database would answer
    bool at_once = false;             // the test is ending: no more threads
    test_server srv;
    srv.server.on_authorize([&](const sb::request_info& r, sb::server::authorize_callback done) {
        std::unique_lock lock(m);
        if (at_once) {
            lock.unlock();
            return done(check(r));
        }
        lookups.emplace_back([r, done = std::move(done)] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            done(check(r));
        });
    });
    {
        test_client<TestType> c(srv.io.ioc, srv.template url<TestType>(), bearer("bob-token"));
        c.connect();
        for (int i = 1; i <= 20; ++i) c.send({.type = "echo", .data = std::to_string(i)});
        REQUIRE(wait_until([&] { return c.events.size() == 20; }));
        CHECK(data_of(c.events.items()) == numbered(1, 20));
    }
    {
        std::lock_guard lock(m);
        at_once = true;
    }
    for (auto& t : lookups) t.join(); // (their answers reach a server still running)
}

TEST_CASE("a hook that never answers: the request is refused with 503 after handshake_timeout") {
    sb::server_options o;
    o.handshake_timeout = std::chrono::milliseconds(200);
    std::vector<sb::server::authorize_callback> never; // kept, never called (declared first: it outlives the server)
    std::mutex m;
    test_server srv(o);
    srv.server.on_authorize([&](const sb::request_info&, sb::server::authorize_callback done) {
        std::lock_guard lock(m);
        never.push_back(std::move(done));
    });
    const auto res = http_get(srv.port(), "/live?sb=1&transport=polling");
    CHECK(res.result() == http::status::service_unavailable);
    REQUIRE(wait_until([&] { return srv.server.connection_count() == 0; }));
    std::lock_guard lock(m);
    for (auto& d : never) d(sb::authorization::allow()); // too late: ignored
    never.clear(); // (what they hold goes while the server runs)
}

TEST_CASE("a stolen token used by another principal is refused on every kind of request") {
    test_server srv;
    srv.server.on_authorize(&check);
    const auto port = srv.port();
    // Alice's session (a raw polling handshake: its token is in the welcome).
    const auto opened = http_get(port, "/live?sb=1&transport=polling", "Authorization: Bearer alice-token\r\n");
    REQUIRE(opened.result() == http::status::ok);
    const auto at = opened.body().find("\"token\":\"");
    REQUIRE(at != std::string::npos);
    const auto token = opened.body().substr(at + 9, 32);
    // Bob learned it (it travels in queries and SSE ids) and tries everything with it.
    const std::string bob = "Authorization: Bearer bob-token\r\n";
    const std::string resume = "?sb=1&token=" + token + "&last=0";
    for (const auto& target : {"/live" + resume + "&transport=polling", "/live" + resume + "&transport=long-polling",
                               "/live" + resume + "&transport=polling&poll=1"}) {
        const auto res = http_get(port, target, bob);
        CHECK(res.result() == http::status::forbidden);
        CHECK(res.body() == "this session belongs to another principal\n");
    }
    CHECK(status_is(response_head(port, "GET /live" + resume + ws_upgrade.substr(ws_upgrade.find(" HTTP")) + bob + "\r\n"), 403));
    CHECK(status_is(response_head(port, "GET /live" + resume + sse_get.substr(sse_get.find(" HTTP")) + bob + "\r\n"), 403));
    CHECK(status_is(response_head(port, "GET /live?sb=1" + sse_get.substr(sse_get.find(" HTTP")) + bob +
                                            "Last-Event-ID: " + token + "-0\r\n\r\n"),
                    403));
    const auto body = framed({"E1 t echo\nfrom bob"});
    CHECK(status_is(response_head(port, "POST /live?sb=1&token=" + token + " HTTP/1.1\r\nHost: x\r\n" + bob +
                                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body),
                    403));
    // Without credentials at all: 401 before anything else.
    CHECK(http_get(port, "/live" + resume + "&transport=polling").result() == http::status::unauthorized);
    // Alice herself goes on.
    CHECK(http_get(port, "/live" + resume + "&transport=polling&poll=1", "Authorization: Bearer alice-token\r\n").result() ==
          http::status::ok);
    CHECK(srv.received.size() == 0); // nothing of Bob's reached the session
    CHECK(srv.server.session_count() == 1);
}

TEMPLATE_TEST_CASE("with a hook, the owner of a session resumes it after a cut", "[integration]", SWITCHBOARD_TRANSPORTS) {
    test_server srv;
    srv.server.on_authorize(&check);
    tcp_proxy proxy(srv.port());
    test_client<TestType> alice(srv.io.ioc, srv.template url<TestType>(proxy.port()), bearer("alice-token"));
    alice.connect();
    alice.send({.type = "join", .data = "news"});
    REQUIRE(wait_until([&] { return srv.received.size() == 1; }));
    proxy.cut();
    srv.server.publish("news", {.type = "news", .data = "after the cut"});
    REQUIRE(wait_until([&] { return alice.events.size() == 1; }));
    CHECK(alice.events.items()[0].data == "after the cut");
    CHECK(srv.opened.size() == 1);
    CHECK(alice.errors.size() == 0);
}

TEST_CASE("a resume rotates the token: the one the client holds stays valid until it uses the new one") {
    test_server srv;
    const auto port = srv.port();
    const auto token_in = [](const http::response<http::string_body>& res) {
        const auto at = res.body().find("\"token\":\"");
        return at == std::string::npos ? std::string() : res.body().substr(at + 9, 32);
    };
    const auto handshake = [&](const std::string& token) {
        return http_get(port, "/live?sb=1&transport=polling" + (token.empty() ? "" : "&token=" + token + "&last=0"));
    };
    const auto poll = [&](const std::string& token) {
        return http_get(port, "/live?sb=1&transport=polling&token=" + token + "&last=0&poll=1").result();
    };
    const auto t1 = token_in(handshake(""));
    const auto r2 = handshake(t1);
    const auto t2 = token_in(r2);
    REQUIRE(r2.body().find("\"resumed\":true") != std::string::npos);
    CHECK(t2 != t1);
    CHECK(poll(t1) == http::status::ok); // the welcome with t2 may not have arrived
    // It did not: the client resumes with t1 again. t2 never reached it: void.
    const auto t3 = token_in(handshake(t1));
    CHECK(t3 != t2);
    CHECK(poll(t2) == http::status::not_found);
    // The client uses t3: from then on t1 is void too.
    CHECK(poll(t3) == http::status::ok);
    CHECK(poll(t1) == http::status::not_found);
    CHECK(srv.opened.size() == 1);
}

TEST_CASE("a request refused for its principal does not confirm the newest token") {
    // Confirming voids the token before: a thief holding the newest must not void the
    // one the owner still uses.
    test_server srv;
    srv.server.on_authorize(&check);
    const auto port = srv.port();
    const std::string alice = "Authorization: Bearer alice-token\r\n", bob = "Authorization: Bearer bob-token\r\n";
    const auto token_in = [](const http::response<http::string_body>& res) {
        const auto at = res.body().find("\"token\":\"");
        return at == std::string::npos ? std::string() : res.body().substr(at + 9, 32);
    };
    const auto t1 = token_in(http_get(port, "/live?sb=1&transport=polling", alice));
    const auto t2 = token_in(http_get(port, "/live?sb=1&transport=polling&token=" + t1 + "&last=0", alice));
    REQUIRE(!t2.empty());
    REQUIRE(t2 != t1);
    CHECK(http_get(port, "/live?sb=1&transport=polling&token=" + t2 + "&last=0&poll=1", bob).result() ==
          http::status::forbidden);
    const auto body = framed({"E1 t echo\nfrom bob"});
    CHECK(status_is(response_head(port, "POST /live?sb=1&token=" + t2 + " HTTP/1.1\r\nHost: x\r\n" + bob +
                                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body),
                    403));
    CHECK(http_get(port, "/live?sb=1&transport=polling&token=" + t1 + "&last=0&poll=1", alice).result() ==
          http::status::ok); // still valid
    CHECK(http_get(port, "/live?sb=1&transport=polling&token=" + t2 + "&last=0&poll=1", alice).result() ==
          http::status::ok); // the owner confirms it
    CHECK(http_get(port, "/live?sb=1&transport=polling&token=" + t1 + "&last=0&poll=1", alice).result() ==
          http::status::not_found);
}

TEMPLATE_TEST_CASE("resumes rotate the token, and the client goes on as one session through each", "[integration]",
                   SWITCHBOARD_TRANSPORTS) {
    test_server srv;
    tcp_proxy proxy(srv.port());
    test_client<TestType> c(srv.io.ioc, srv.template url<TestType>(proxy.port()));
    c.connect();
    c.send({.type = "join", .data = "news"});
    REQUIRE(wait_until([&] { return srv.received.size() == 1; }));
    for (int round = 1; round <= 3; ++round) {
        proxy.cut();
        srv.server.publish("news", {.type = "news", .data = std::to_string(round)});
        REQUIRE(wait_until([&] { return c.events.size() == static_cast<std::size_t>(round); }));
    }
    CHECK(data_of(c.events.items()) == numbered(1, 3));
    CHECK(srv.opened.size() == 1); // one session throughout
    CHECK(c.errors.size() == 0);   // never taken for a new session
}

TEMPLATE_TEST_CASE("refresh_headers supplies fresh credentials to every attempt", "[integration]", SWITCHBOARD_TRANSPORTS) {
    // (The hook's state is declared first: the server may call it until it is gone.)
    std::atomic<int> issued{0};
    std::mutex m;
    std::set<std::string> valid; // tokens issued and not yet used: each works once
    test_server srv;
    srv.server.on_authorize([&](const sb::request_info& r) {
        std::lock_guard lock(m);
        const auto t = std::string(r.bearer_token());
        if (!valid.count(t)) return sb::authorization::deny(401, "expired");
        return sb::authorization::allow("carol");
    });
    tcp_proxy proxy(srv.port());
    sb::client_options o;
    o.refresh_headers = [&] {
        const auto t = "t" + std::to_string(++issued);
        std::lock_guard lock(m);
        valid.insert(t);
        return sb::header_list{{"Authorization", "Bearer " + t}};
    };
    test_client<TestType> c(srv.io.ioc, srv.template url<TestType>(proxy.port()), o);
    c.connect();
    c.send({.type = "join", .data = "news"});
    REQUIRE(wait_until([&] { return srv.received.size() == 1; }));
    proxy.cut();
    srv.server.publish("news", {.type = "news", .data = "again"});
    REQUIRE(wait_until([&] { return c.events.size() == 1; }));
    CHECK(issued.load() >= 2);
    CHECK(srv.opened.size() == 1);
}

TEST_CASE("client headers with a CR or LF, or a bad name, are refused at construction") {
    asio::io_context ioc;
    sb::client_options o;
    o.headers = {{"X-Ok", "fine\r\nInjected: yes"}};
    CHECK_THROWS_AS(sb::websocket_client(ioc, "ws://127.0.0.1:1/live", o), std::invalid_argument);
    o.headers = {{"Bad Name", "x"}};
    CHECK_THROWS_AS(sb::basic_client<sb::sse>(ioc, "http://127.0.0.1:1/live", o), std::invalid_argument);
    o.headers = {{"X-Ok", "fine"}};
    CHECK_NOTHROW(sb::basic_client<sb::sse>(ioc, "http://127.0.0.1:1/live", o));
}

TEST_CASE("request_info reads headers, cookies, the bearer token and the query") {
    sb::request_info r;
    r.target = "/live?sb=1&room=a%20b";
    r.headers.insert("Authorization", "Bearer  abc ");
    r.headers.insert(http::field::cookie, "a=1; session=\"xyz\"; b=2");
    CHECK(r.bearer_token() == "abc");
    CHECK(r.cookie("session") == std::optional<std::string>("xyz"));
    CHECK(r.cookie("b") == std::optional<std::string>("2"));
    CHECK_FALSE(r.cookie("c"));
    CHECK(r.query("room") == std::optional<std::string>("a b"));
    CHECK(r.header("authorization") == "Bearer  abc"); // (surrounding spaces are not kept)
    CHECK(r.header("X-None").empty());
}
