// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/session/heartbeat.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using switchboard::heartbeat;
using switchboard::heartbeat_options;

TEST_CASE("a heartbeat is due after interval without sending") {
    const auto t0 = heartbeat::clock::time_point{};
    heartbeat hb{heartbeat_options{.interval = 10s, .timeout = 30s}, t0};
    CHECK_FALSE(hb.ping_due(t0 + 9s));
    CHECK(hb.ping_due(t0 + 10s));
    hb.sent(t0 + 8s); // a data frame postpones the heartbeat
    CHECK_FALSE(hb.ping_due(t0 + 10s));
    CHECK(hb.ping_due(t0 + 18s));
}

TEST_CASE("the peer is dead after timeout without receiving anything") {
    const auto t0 = heartbeat::clock::time_point{};
    heartbeat hb{heartbeat_options{.interval = 10s, .timeout = 30s}, t0};
    CHECK_FALSE(hb.peer_dead(t0 + 29s));
    CHECK(hb.peer_dead(t0 + 30s));
    hb.received(t0 + 25s);
    CHECK_FALSE(hb.peer_dead(t0 + 54s));
    CHECK(hb.peer_dead(t0 + 55s));
    hb.sent(t0 + 54s); // sending does not prove the peer alive
    CHECK(hb.peer_dead(t0 + 55s));
}

TEST_CASE("the next deadline is the earlier of the heartbeat and the timeout") {
    const auto t0 = heartbeat::clock::time_point{};
    heartbeat hb{heartbeat_options{.interval = 10s, .timeout = 30s}, t0};
    CHECK(hb.next_deadline() == t0 + 10s);
    hb.sent(t0 + 25s);
    CHECK(hb.next_deadline() == t0 + 30s); // timeout comes first now
    hb.received(t0 + 25s);
    CHECK(hb.next_deadline() == t0 + 35s);
}

TEST_CASE("time stamps older than the last one are ignored") {
    const auto t0 = heartbeat::clock::time_point{};
    heartbeat hb{heartbeat_options{.interval = 10s, .timeout = 30s}, t0 + 5s};
    hb.received(t0);
    hb.sent(t0);
    CHECK(hb.next_deadline() == t0 + 15s);
}
