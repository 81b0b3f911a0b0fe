// Long-polling and polling on the wire (docs/protocol.md, section 6): each case sends
// raw HTTP requests to the server and reads the answers with the SSE parser, as a
// third-party client would. The client side is covered by every templated case.
// Distributed under the Boost Software License, Version 1.0.
#include "raw.hpp"

#include <future>

using namespace harness;
using namespace harness::raw;
using namespace std::chrono_literals;

namespace {

// One answer of a poll: its status, headers and the events of its body.
struct answer {
    http::response<http::string_body> res;
    std::vector<sb::event> events;
    std::vector<std::string> comments;
    void on_event(sb::event e) { events.push_back(std::move(e)); }
    void on_retry(std::chrono::milliseconds) {}
    void on_comment(std::string_view c) { comments.emplace_back(c); }
    std::vector<std::string> data(const std::string& type) const {
        std::vector<std::string> out;
        for (const auto& e : events)
            if (e.type == type) out.push_back(e.data);
        return out;
    }
};

// (No assertion here: it also runs on threads of its own, where Catch2 cannot assert.)
answer get(unsigned short port, const std::string& target, const std::string& extra_header = {}) {
    answer a;
    a.res = http_get(port, target, extra_header);
    sb::detail::sse_parser parser;
    if (parser.feed(a.res.body(), a)) a.events.push_back({.type = "unparsable body"});
    return a;
}

// A session opened by a raw long-polling (or polling) handshake.
struct poll_session {
    unsigned short port;
    std::string transport;
    std::string token;
    poll_session(unsigned short p, std::string t = "long-polling") : port(p), transport(std::move(t)) {
        auto a = get(port, "/live?sb=1&transport=" + transport);
        REQUIRE(a.res.result() == http::status::ok);
        CHECK(a.res[http::field::content_type] == "text/event-stream; charset=utf-8");
        REQUIRE(a.events.size() == 1);
        REQUIRE(a.events[0].type == "switchboard");
        token = sb::detail::proto::parse_welcome(a.events[0].data.substr(1))->token;
    }
    std::string target(std::uint64_t last) const {
        return "/live?sb=1&transport=" + transport + "&token=" + token + "&last=" + std::to_string(last) + "&poll=1";
    }
    answer poll(std::uint64_t last) const { return get(port, target(last)); }
    std::future<answer> poll_async(std::uint64_t last) const {
        return std::async(std::launch::async, [this, last] { return poll(last); });
    }
    http::response<http::string_body> post(std::string body) const {
        return request(port, http::verb::post, "/live?sb=1&token=" + token, std::move(body));
    }
};

} // namespace

TEST_CASE("a long-poll is held until an event comes, then answered with it at once") {
    test_server srv;
    poll_session s(srv.server.port());
    auto held = s.poll_async(0);
    CHECK(held.wait_for(300ms) == std::future_status::timeout); // nothing to answer yet
    const auto sent = std::chrono::steady_clock::now();
    REQUIRE(s.post(framed({"E1 t echo\nhello"})).result() == http::status::ok);
    REQUIRE(held.wait_for(5s) == std::future_status::ready);
    CHECK(std::chrono::steady_clock::now() - sent < 1s); // the event, not long_poll_timeout (25 s)
    const auto a = held.get();
    CHECK(a.data("echo") == std::vector<std::string>{"hello"});
    CHECK(a.events[0].id == s.token + "-1");
}

TEST_CASE("an answer lost in transit is sent again by the next GET, an acknowledged one is not") {
    sb::server_options o;
    o.long_poll_timeout = 200ms;
    test_server srv(o);
    poll_session s(srv.server.port(), "polling");
    REQUIRE(s.post(framed({"E1 t echo\none", "E2 t echo\ntwo"})).result() == http::status::ok);
    REQUIRE(wait_until([&] { return s.poll(0).data("echo").size() == 2; }));
    // The client never saw that answer: it asks from 0 again and gets both again.
    CHECK(s.poll(0).data("echo") == std::vector<std::string>{"one", "two"});
    // It delivered the first only.
    CHECK(s.poll(1).data("echo") == std::vector<std::string>{"two"});
    // Both acknowledged: nothing more, and nothing older ever again.
    CHECK(s.poll(2).events.empty());
    CHECK(s.poll(1).data("echo").empty()); // (event 2 left the window with the acknowledgement)
}

TEST_CASE("a second GET for a session ends the held one with an empty answer") {
    test_server srv;
    poll_session s(srv.server.port());
    auto first = s.poll_async(0);
    CHECK(first.wait_for(300ms) == std::future_status::timeout);
    auto second = s.poll_async(0);
    REQUIRE(first.wait_for(5s) == std::future_status::ready);
    const auto a = first.get();
    CHECK(a.res.result() == http::status::ok);
    CHECK(a.res.body().empty());
    // The second is the one held now: the event goes to it, once.
    REQUIRE(s.post(framed({"E1 t echo\nonce"})).result() == http::status::ok);
    REQUIRE(second.wait_for(5s) == std::future_status::ready);
    CHECK(second.get().data("echo") == std::vector<std::string>{"once"});
}

TEST_CASE("long_poll_timeout: a held GET with nothing to send is answered empty") {
    sb::server_options o;
    o.long_poll_timeout = 300ms;
    test_server srv(o);
    poll_session s(srv.server.port());
    const auto start = std::chrono::steady_clock::now();
    const auto a = s.poll(0);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(a.res.result() == http::status::ok);
    CHECK(a.res.body().empty());
    CHECK(took >= 250ms);
    CHECK(took < 3s);
}

TEST_CASE("max_batch_bytes: an answer carries a batch of events and says more is pending") {
    sb::server_options o;
    o.max_batch_bytes = 1000;
    test_server srv(o);
    poll_session s(srv.server.port(), "polling");
    const std::string big(400, 'x');
    REQUIRE(s.post(framed({"E1 t echo\n" + big, "E2 t echo\n" + big, "E3 t echo\n" + big, "E4 t echo\n" + big,
                           "E5 t echo\n" + std::string(5000, 'y')}))
                .result() == http::status::ok);
    REQUIRE(wait_until([&] { return !s.poll(0).events.empty(); }));
    std::uint64_t last = 0;
    std::vector<std::size_t> batches;
    for (int i = 0; i < 10 && last < 5; ++i) {
        const auto a = s.poll(last);
        const auto got = a.data("echo");
        REQUIRE(!got.empty());
        batches.push_back(got.size());
        last += got.size();
        // ":more" exactly when events are left.
        CHECK((a.comments == std::vector<std::string>{"more"}) == (last < 5));
    }
    // Two 400-byte events fit in 1000 bytes, a third does not; an event larger than the
    // batch still goes, alone.
    CHECK(batches == std::vector<std::size_t>{2, 2, 1});
}

TEST_CASE("polls get clear statuses: unknown session 404, no session mode 400, a bad last 400 and the session ends") {
    test_server srv;
    const auto port = srv.server.port();
    CHECK(http_get(port, "/live?transport=long-polling").result() == http::status::bad_request);
    CHECK(http_get(port, "/live?sb=1&transport=polling&token=0123&last=0&poll=1").result() == http::status::not_found);
    CHECK(http_get(port, "/live?sb=1&transport=polling&poll=1").result() == http::status::bad_request);
    poll_session s(port, "polling");
    CHECK(http_get(port, "/live?sb=1&transport=polling&token=" + s.token + "&last=1x&poll=1").result() ==
          http::status::bad_request); // last is not a number
    CHECK(s.poll(7).res.result() == http::status::bad_request); // never sent
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }));
    CHECK(srv.closed.items()[0] == sb::error::invalid_resume);
    // The next poll learns how the session ended, once; then it is unknown.
    const auto last = s.poll(0).data("switchboard");
    REQUIRE(last.size() == 1);
    CHECK(last[0].rfind("C" + std::to_string(static_cast<int>(sb::error::invalid_resume)) + " ", 0) == 0);
    CHECK(s.poll(0).res.result() == http::status::not_found);
}

TEST_CASE("a session the server closes between polls still tells its client how it ended") {
    test_server srv;
    poll_session s(srv.server.port(), "polling");
    REQUIRE(s.post(framed({"E1 t echo\nlast words", "E2 t close-me\n"})).result() == http::status::ok);
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }));
    // No GET was waiting: the next one gets the event sent before the close, and the close.
    const auto a = s.poll(0);
    CHECK(a.data("echo") == std::vector<std::string>{"last words"});
    REQUIRE(a.data("switchboard").size() == 1);
    CHECK(a.data("switchboard")[0].rfind("C0 ", 0) == 0);
    CHECK(s.poll(1).res.result() == http::status::not_found); // once
}

TEST_CASE("allowed_origins applies to polls as to every request") {
    sb::server_options o;
    o.allowed_origins = {"https://app.example"};
    test_server srv(o);
    const auto port = srv.server.port();
    CHECK(http_get(port, "/live?sb=1&transport=polling", "Origin: https://evil.example\r\n").result() ==
          http::status::forbidden);
    const auto a = get(port, "/live?sb=1&transport=polling", "Origin: https://app.example\r\n");
    CHECK(a.res.result() == http::status::ok);
    CHECK(a.res[http::field::access_control_allow_origin] == "https://app.example");
}

TEST_CASE("a poll session whose client asks nothing for the heartbeat timeout is taken for gone, then expires") {
    sb::server_options o;
    o.heartbeat = {.interval = 100ms, .timeout = 300ms};
    o.session_timeout = 200ms;
    test_server srv(o);
    poll_session s(srv.server.port(), "polling");
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }, 5s));
    CHECK(srv.closed.items()[0] == sb::error::session_expired);
}

namespace {
std::vector<std::string> unframed(std::string_view body) {
    std::vector<std::string> out;
    std::string_view frame;
    while (!body.empty() && sb::detail::proto::next_framed(body, frame)) out.emplace_back(frame);
    return out;
}
} // namespace

TEST_CASE("a POST that asks for events (last) gets them in its answer, and the held GET skips them") {
    test_server srv;
    const auto port = srv.server.port();
    poll_session s(port);
    auto held = s.poll_async(0);
    CHECK(held.wait_for(300ms) == std::future_status::timeout);
    const auto post = [&](const std::string& last, std::string body) {
        return request(port, http::verb::post, "/live?sb=1&token=" + s.token + "&last=" + last, std::move(body));
    };
    // The echo comes back on the POST's answer, after the acknowledgement.
    const auto res = post("0", framed({"E1 t echo\nhello"}));
    REQUIRE(res.result() == http::status::ok);
    CHECK(unframed(res.body()) == std::vector<std::string>{"A1", "E1 t echo\nhello"});
    CHECK(held.wait_for(300ms) == std::future_status::timeout); // not sent a second time
    // The next event, published while no POST asks, goes to the held GET: only that one.
    REQUIRE(s.post(framed({"E2 t echo\nsecond"})).result() == http::status::ok);
    REQUIRE(held.wait_for(5s) == std::future_status::ready);
    CHECK(held.get().data("echo") == std::vector<std::string>{"second"});
    // A POST's last acknowledges as a poll's does: nothing after 2 is left to carry.
    CHECK(unframed(post("2", framed({"A2"})).body()) == std::vector<std::string>{"A2"});
    // A last that is not a number is refused; one never sent ends the session.
    CHECK(post("x", framed({"A2"})).result() == http::status::bad_request);
    CHECK(srv.closed.size() == 0);
    CHECK(post("99", framed({"A2"})).result() == http::status::bad_request);
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }));
    CHECK(srv.closed.items()[0] == sb::error::invalid_resume);
}

TEST_CASE("max_batch_bytes bounds a POST's answer too, and the next GET carries the rest") {
    sb::server_options o;
    o.max_batch_bytes = 10;
    test_server srv(o);
    const auto port = srv.server.port();
    poll_session s(port, "polling");
    // Three echoes wait in the window (this POST does not ask for them).
    REQUIRE(s.post(framed({"E1 t echo\n11111111", "E2 t echo\n22222222", "E3 t echo\n33333333"})).result() ==
            http::status::ok);
    REQUIRE(wait_until([&] { return srv.received.size() == 3; }));
    const auto res = request(port, http::verb::post, "/live?sb=1&token=" + s.token + "&last=0", framed({"A0"}));
    CHECK(unframed(res.body()) == std::vector<std::string>{"A3", "E1 t echo\n11111111"}); // one event fits
    // A poll still at 0 gets what followed (the POST's answer goes first), a batch at a time.
    const auto a = s.poll(0);
    CHECK(a.data("echo") == std::vector<std::string>{"22222222"});
    CHECK(a.comments == std::vector<std::string>{"more"});
    CHECK(s.poll(2).data("echo") == std::vector<std::string>{"33333333"});
}

TEST_CASE("a POST from before a resume, processed after it, carries no events the new polls would skip") {
    // Found in review: such a POST's answer (to a carrier that is gone) made the new
    // channel's polls skip the events it carried, and the client reported a false gap.
    // (The resume rotated the token; the old one stays valid until the client uses the
    // new one, so such a POST still finds its session.)
    test_server srv;
    const auto port = srv.server.port();
    poll_session s(port, "polling");
    REQUIRE(s.post(framed({"E1 t echo\none"})).result() == http::status::ok);
    asio::io_context ioc;
    auto old = connect_to(ioc, port); // the previous carrier's POST connection
    REQUIRE(wait_until([&] { return srv.server.connection_count() == 1; }));
    // The client resumes: a handshake with its token, a new channel.
    const auto resumed = get(port, "/live?sb=1&transport=polling&token=" + s.token + "&last=0");
    CHECK(resumed.data("echo") == std::vector<std::string>{"one"});
    const auto w = sb::detail::proto::parse_welcome(resumed.events.at(0).data.substr(1));
    REQUIRE(w);
    CHECK(w->resumed);
    CHECK(w->token != s.token);
    // The old carrier's POST arrives now, asking for events after 0.
    http::request<http::string_body> req{http::verb::post, "/live?sb=1&token=" + s.token + "&last=0", 11};
    req.set(http::field::host, "x");
    req.body() = framed({"E2 t echo\ntwo"});
    req.prepare_payload();
    http::write(old, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(old, buffer, res);
    CHECK(unframed(res.body()) == std::vector<std::string>{"A2"}); // the acknowledgement only
    // The new carrier polls with the new token: the old one is void from then on.
    const auto old_token = s.token;
    s.token = w->token;
    CHECK(s.poll(1).data("echo") == std::vector<std::string>{"two"});
    s.token = old_token;
    CHECK(s.post(framed({"E3 t echo\nthree"})).result() == http::status::not_found);
    CHECK(srv.received.size() == 2);
}

TEST_CASE("a client that goes away while its GET is held is noticed at once: connection freed, session detached") {
    sb::server_options o;
    o.heartbeat = {.interval = 20s, .timeout = 60s}; // neither the hold nor the idle clock ends it here
    o.session_timeout = 300ms;
    test_server srv(o);
    poll_session s(srv.server.port());
    {
        asio::io_context ioc;
        auto held = connect_to(ioc, srv.server.port());
        raw_http_server::write(held, "GET " + s.target(0) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(wait_until([&] { return srv.server.connection_count() == 1; }));
        std::this_thread::sleep_for(200ms);
        CHECK(srv.server.connection_count() == 1); // held
    } // the client goes: its connection closes
    REQUIRE(wait_until([&] { return srv.server.connection_count() == 0; }, 2s));
    // Detached then: with no request back within session_timeout, the session expires.
    REQUIRE(wait_until([&] { return srv.closed.size() == 1; }, 5s));
    CHECK(srv.closed.items()[0] == sb::error::session_expired);
}

TEST_CASE("a long-polling client facing a server that answers at once polls at its interval, not in a loop") {
    // A server (or proxy) that never holds a GET: every poll is answered empty at once.
    std::atomic<int> polls{0};
    raw_http_server server([&](tcp::socket& s, const std::string& first, int) {
        for (std::string head = first; !head.empty(); head = raw_http_server::read_head(s)) {
            std::string body;
            if (head.find("poll=1") != std::string::npos) ++polls;
            else body = "event: switchboard\ndata: W{\"heartbeat\":25000,\"last\":0,\"max_message\":16777216,"
                        "\"resumed\":false,\"timeout\":60000,\"token\":\"abc\",\"v\":1}\n\n";
            raw_http_server::write(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " +
                                          std::to_string(body.size()) + "\r\n\r\n" + body);
        }
    });
    io_threads io;
    test_client<sb::long_polling> c(io.ioc, server.url("/live"), {.poll_interval = 100ms});
    c.connect();
    std::this_thread::sleep_for(1s);
    const int seen = polls.load();
    CHECK(seen >= 3);   // it goes on polling
    CHECK(seen <= 15);  // about one per interval (a tight loop makes thousands)
    CHECK(c.errors.size() == 0);
}

TEST_CASE("a GET's answer held back for a POST still arrives when that POST is answered 404") {
    // Found in review: the client holds a GET's answer while a POST is on its way (the
    // POST's answer may carry earlier events); a 404 to the POST never let it go, so the
    // close that answer carried was never read and the client hung open.
    std::atomic<bool> posted{false}, closed_sent{false};
    raw_http_server server([&](tcp::socket& s, const std::string& first, int) {
        const auto reply = [&](const std::string& status, const std::string& type, const std::string& body) {
            raw_http_server::write(s, "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " +
                                          std::to_string(body.size()) + "\r\n\r\n" + body);
        };
        for (std::string head = first; !head.empty(); head = raw_http_server::read_head(s)) {
            if (head.rfind("POST", 0) == 0) { // the session is gone by the time it is read
                posted = true;
                wait_until([&] { return closed_sent.load(); }, 5s);
                std::this_thread::sleep_for(100ms); // the GET's answer is in first
                reply("404 Not Found", "text/plain", "unknown or expired session\n");
                return;
            }
            if (head.find("poll=1") == std::string::npos) {
                reply("200 OK", "text/event-stream", "event: switchboard\ndata: W{\"heartbeat\":25000,\"last\":0,"
                      "\"max_message\":16777216,\"resumed\":false,\"timeout\":60000,\"token\":\"abc\",\"v\":1}\n\n");
                continue;
            }
            wait_until([&] { return posted.load(); }, 5s); // held until the client posts
            reply("200 OK", "text/event-stream", "event: switchboard\ndata: C0 done\n\n");
            closed_sent = true;
        }
    });
    io_threads io;
    test_client<sb::long_polling> c(io.ioc, server.url("/live"));
    c.connect();
    c.send({.data = "up"});
    REQUIRE(wait_until([&] { return c.client.current_state() == sb::state::closed; }, 5s));
}

TEST_CASE("an event on a POST's answer over the client's max_message_size ends the client with message_too_big") {
    raw_http_server server([&](tcp::socket& s, const std::string& first, int) {
        const auto reply = [&](const std::string& type, const std::string& body) {
            raw_http_server::write(s, "HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " +
                                          std::to_string(body.size()) + "\r\n\r\n" + body);
        };
        for (std::string head = first; !head.empty(); head = raw_http_server::read_head(s)) {
            if (head.rfind("POST", 0) == 0) { // (the body is not read: the answer is all that matters)
                reply("application/octet-stream", framed({"A1", "E1 t message\n" + std::string(2000, 'x')}));
                return;
            }
            if (head.find("poll=1") != std::string::npos) {
                std::this_thread::sleep_for(1s); // held
                return;
            }
            reply("text/event-stream", "event: switchboard\ndata: W{\"heartbeat\":25000,\"last\":0,"
                  "\"max_message\":16777216,\"resumed\":false,\"timeout\":60000,\"token\":\"abc\",\"v\":1}\n\n");
        }
    });
    io_threads io;
    test_client<sb::long_polling> c(io.ioc, server.url("/live"), {.max_message_size = 1000});
    c.connect();
    c.client.async_send({.data = "up"}, [](sb::error_code) {}); // (its answer brings the event)
    CHECK(c.receive_error(5s) == sb::error::message_too_big); // fatal: the client ends with it
    CHECK(c.client.current_state() == sb::state::closed);
    CHECK(c.events.size() == 0);
}
