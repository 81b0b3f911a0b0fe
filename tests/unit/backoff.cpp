// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/session/backoff.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace std::chrono_literals;
using switchboard::backoff;
using switchboard::reconnect_options;

TEST_CASE("the delay ceiling grows exponentially up to max_delay") {
    backoff b{reconnect_options{.initial_delay = 100ms, .max_delay = 1000ms, .multiplier = 2.0}, 1};
    CHECK(b.ceiling() == 100ms);
    b.next_delay();
    CHECK(b.ceiling() == 200ms);
    b.next_delay();
    CHECK(b.ceiling() == 400ms);
    b.next_delay();
    CHECK(b.ceiling() == 800ms);
    b.next_delay();
    CHECK(b.ceiling() == 1000ms);
    for (int i = 0; i < 100; ++i) b.next_delay(); // no overflow far past the cap
    CHECK(b.ceiling() == 1000ms);
}

TEST_CASE("every delay is drawn within [0, ceiling] and the draws are spread (full jitter)") {
    backoff b{reconnect_options{.initial_delay = 1000ms, .max_delay = 1000ms}, 42};
    std::set<std::chrono::milliseconds::rep> seen;
    std::chrono::milliseconds::rep lo = 1000000, hi = -1;
    for (int i = 0; i < 2000; ++i) {
        const auto d = b.next_delay().count();
        REQUIRE(d >= 0);
        REQUIRE(d <= 1000);
        lo = std::min(lo, d);
        hi = std::max(hi, d);
        seen.insert(d);
    }
    CHECK(lo < 100); // full jitter reaches near zero...
    CHECK(hi > 900); // ...and near the ceiling
    CHECK(seen.size() > 500);
}

TEST_CASE("the same seed gives the same delays") {
    const reconnect_options o{.initial_delay = 50ms, .max_delay = 5000ms};
    backoff a{o, 7}, b{o, 7};
    for (int i = 0; i < 20; ++i) CHECK(a.next_delay() == b.next_delay());
}

TEST_CASE("a connection that stays up for stable_after resets the attempt count") {
    const auto t0 = backoff::clock::time_point{};
    backoff b{reconnect_options{.initial_delay = 100ms, .stable_after = 10s}, 1};
    b.next_delay();
    b.next_delay();
    b.next_delay();
    CHECK(b.attempts() == 3);

    b.connected(t0);
    b.disconnected(t0 + 9s); // too short to count as stable
    CHECK(b.attempts() == 3);

    b.connected(t0 + 20s);
    b.disconnected(t0 + 30s);
    CHECK(b.attempts() == 0);
    CHECK(b.ceiling() == 100ms);
}

TEST_CASE("max_attempts bounds the attempts, and zero means unbounded") {
    backoff limited{reconnect_options{.max_attempts = 2}, 1};
    CHECK_FALSE(limited.exhausted());
    limited.next_delay();
    CHECK_FALSE(limited.exhausted());
    limited.next_delay();
    CHECK(limited.exhausted());

    backoff unlimited{reconnect_options{.max_attempts = 0}, 1};
    for (int i = 0; i < 1000; ++i) unlimited.next_delay();
    CHECK_FALSE(unlimited.exhausted());
}
