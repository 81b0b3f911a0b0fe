// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/session/inbound_sequencer.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using switchboard::gap;
using switchboard::inbound_sequencer;
using switchboard::replay_options;

TEST_CASE("in-order events are delivered once each") {
    inbound_sequencer in;
    for (switchboard::sequence_number s = 1; s <= 3; ++s) {
        auto v = in.accept(s);
        CHECK(v.deliver);
        CHECK_FALSE(v.missed);
    }
    CHECK(in.last_delivered() == 3);
}

TEST_CASE("a replayed event already delivered is dropped") {
    inbound_sequencer in;
    in.accept(1);
    in.accept(2);
    CHECK_FALSE(in.accept(2).deliver);
    CHECK_FALSE(in.accept(1).deliver);
    CHECK(in.accept(3).deliver);
}

TEST_CASE("an event that skips numbers is delivered after reporting the skipped range") {
    inbound_sequencer in;
    in.accept(1);
    auto v = in.accept(5);
    CHECK(v.deliver);
    REQUIRE(v.missed);
    CHECK(*v.missed == gap{2, 4});
    CHECK(in.last_delivered() == 5);
}

TEST_CASE("an announced gap is skipped and only its undelivered part reported") {
    inbound_sequencer in;
    in.accept(1);
    in.accept(2);
    auto reported = in.skip(gap{1, 6});
    REQUIRE(reported);
    CHECK(*reported == gap{3, 6});
    CHECK(in.last_delivered() == 6);
    CHECK_FALSE(in.skip(gap{4, 5})); // already past it
    CHECK(in.accept(7).deliver);
}

TEST_CASE("a gap notice that starts past the next number reports the numbers before it too") {
    inbound_sequencer in;
    in.accept(1);
    auto reported = in.skip(gap{5, 7}); // 2 to 4 were never delivered either
    REQUIRE(reported);
    CHECK(*reported == gap{2, 7});
    CHECK(in.last_delivered() == 7);
}

TEST_CASE("an acknowledgement is due after ack_every events") {
    const auto t0 = inbound_sequencer::clock::time_point{};
    inbound_sequencer in{replay_options{.ack_every = 3}, t0};
    CHECK_FALSE(in.ack_due(t0));
    in.accept(1);
    in.accept(2);
    CHECK_FALSE(in.ack_due(t0));
    in.accept(2); // a duplicate does not count
    CHECK_FALSE(in.ack_due(t0));
    in.accept(3);
    CHECK(in.ack_due(t0));
    CHECK(in.take_ack(t0) == 3);
    CHECK_FALSE(in.ack_due(t0));
}

TEST_CASE("an acknowledgement is due after ack_interval when events arrived") {
    const auto t0 = inbound_sequencer::clock::time_point{};
    inbound_sequencer in{replay_options{.ack_every = 100, .ack_interval = 1s}, t0};
    CHECK_FALSE(in.ack_due(t0 + 5s)); // nothing arrived: nothing to acknowledge
    in.accept(1);
    CHECK_FALSE(in.ack_due(t0 + 999ms));
    CHECK(in.ack_due(t0 + 1s));
    CHECK(in.take_ack(t0 + 1s) == 1);
    in.accept(2);
    CHECK_FALSE(in.ack_due(t0 + 1500ms));
    CHECK(in.ack_due(t0 + 2s));
}

TEST_CASE("the unacknowledged count is what the next acknowledgement covers") {
    inbound_sequencer in;
    in.accept(1);
    in.accept(2);
    in.accept(2);
    CHECK(in.unacknowledged() == 2);
    in.take_ack(inbound_sequencer::clock::now());
    CHECK(in.unacknowledged() == 0);
}
