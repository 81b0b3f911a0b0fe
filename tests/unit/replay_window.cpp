// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/session/replay_window.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using switchboard::gap;
using switchboard::replay_options;
using switchboard::replay_window;
using switchboard::sequence_number;

namespace {

// The sequence numbers the window would replay after `after`.
std::vector<sequence_number> held_after(const replay_window<std::string>& w, sequence_number after) {
    std::vector<sequence_number> out;
    w.for_each_after(after, [&](sequence_number s, const std::string&) { out.push_back(s); });
    return out;
}

} // namespace

TEST_CASE("pushed events are numbered from 1 in order") {
    replay_window<std::string> w;
    CHECK(w.last_sent() == 0);
    CHECK(w.push("a", 1) == 1);
    CHECK(w.push("b", 1) == 2);
    CHECK(w.push("c", 1) == 3);
    CHECK(w.last_sent() == 3);
    CHECK(w.size() == 3);
}

TEST_CASE("an acknowledgement drops the acknowledged events and their bytes") {
    replay_window<std::string> w;
    for (int i = 0; i < 5; ++i) w.push("xx", 2);
    CHECK(w.bytes() == 10);
    REQUIRE_FALSE(w.acknowledge(3));
    CHECK(w.size() == 2);
    CHECK(w.bytes() == 4);
    CHECK(held_after(w, 0) == std::vector<sequence_number>{4, 5});
}

TEST_CASE("acknowledging a sequence number never sent is an error and changes nothing") {
    replay_window<std::string> w;
    w.push("a", 1);
    CHECK(w.acknowledge(2) == switchboard::error::invalid_resume);
    CHECK(w.size() == 1);
}

TEST_CASE("resume replays exactly the events after the resume point") {
    replay_window<std::string> w;
    for (int i = 0; i < 6; ++i) w.push(std::to_string(i + 1), 1);
    auto plan = w.resume(4);
    REQUIRE_FALSE(plan.ec);
    CHECK_FALSE(plan.lost);
    CHECK(plan.replay_after == 4);
    std::vector<std::string> replayed;
    w.for_each_after(plan.replay_after, [&](sequence_number, const std::string& e) { replayed.push_back(e); });
    CHECK(replayed == std::vector<std::string>{"5", "6"});
    CHECK(w.size() == 2); // resuming acknowledged 1..4
}

TEST_CASE("resume from the last event sent replays nothing and reports no gap") {
    replay_window<std::string> w;
    w.push("a", 1);
    w.push("b", 1);
    auto plan = w.resume(2);
    CHECK_FALSE(plan.ec);
    CHECK_FALSE(plan.lost);
    CHECK(held_after(w, plan.replay_after).empty());
}

TEST_CASE("the window keeps at most max_events and reports a gap for the dropped ones") {
    replay_window<std::string> w{replay_options{.max_events = 3}};
    for (int i = 0; i < 10; ++i) w.push("e", 1);
    CHECK(w.size() == 3);
    auto plan = w.resume(2);
    REQUIRE_FALSE(plan.ec);
    REQUIRE(plan.lost);
    CHECK(*plan.lost == gap{3, 7});
    CHECK(held_after(w, plan.replay_after) == std::vector<sequence_number>{8, 9, 10});
}

TEST_CASE("the window keeps at most max_bytes but always the newest event") {
    replay_window<std::string> w{replay_options{.max_bytes = 10}};
    w.push("a", 4);
    w.push("b", 4);
    CHECK(w.size() == 2);
    w.push("c", 4); // 12 bytes > 10: the oldest goes
    CHECK(w.size() == 2);
    CHECK(w.bytes() == 8);
    w.push("huge", 100); // larger than the bound on its own: kept alone
    CHECK(w.size() == 1);
    CHECK(w.bytes() == 100);
    auto plan = w.resume(0);
    REQUIRE(plan.lost);
    CHECK(*plan.lost == gap{1, 3});
}

TEST_CASE("resume from a point never sent is invalid") {
    replay_window<std::string> w;
    w.push("a", 1);
    auto plan = w.resume(5);
    CHECK(plan.ec == switchboard::error::invalid_resume);
}

TEST_CASE("resume after everything was acknowledged and more was sent reports what was acknowledged past the resume point as lost") {
    replay_window<std::string> w;
    for (int i = 0; i < 4; ++i) w.push("e", 1);
    REQUIRE_FALSE(w.acknowledge(4));
    w.push("e", 1); // 5
    // A peer that acknowledged 4 then resumes from 2 no longer has 3..4 here.
    auto plan = w.resume(2);
    REQUIRE(plan.lost);
    CHECK(*plan.lost == gap{3, 4});
    CHECK(held_after(w, plan.replay_after) == std::vector<sequence_number>{5});
}
