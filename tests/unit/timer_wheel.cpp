// The server's timer wheel: never early, about a tick late at most, far deadlines kept
// across turns, gone owners skipped, and a stopped wheel lets the io_context finish.
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/detail/timer_wheel.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {
struct owner {
    std::vector<clock_type::time_point> woken;
    std::vector<clock_type::time_point> asked; // the deadlines the wake-ups were for
    void wake(clock_type::time_point when) {
        woken.push_back(clock_type::now());
        asked.push_back(when);
    }
};
using wheel = switchboard::detail::timer_wheel<owner>;
} // namespace

TEST_CASE("timer wheel: wake-ups come at their deadline or up to a tick later, never early") {
    boost::asio::io_context ioc;
    auto w = std::make_shared<wheel>(ioc, 1ms);
    const auto start = clock_type::now();
    std::vector<std::shared_ptr<owner>> owners;
    std::vector<clock_type::duration> delays{0ms, 3ms, 12ms, 40ms, 700ms}; // 700 ms: beyond one turn (512 x 1 ms)
    for (auto d : delays) {
        owners.push_back(std::make_shared<owner>());
        w->schedule(owners.back(), start + d);
    }
    w->stop(); // it still turns until everything scheduled has fired
    ioc.run();  // returns: nothing left
    for (std::size_t i = 0; i < delays.size(); ++i) {
        INFO("delay " << std::chrono::duration_cast<std::chrono::milliseconds>(delays[i]).count() << " ms");
        REQUIRE(owners[i]->woken.size() == 1);
        const auto at = owners[i]->woken[0] - start;
        CHECK(at >= delays[i]);
        CHECK(at < delays[i] + 250ms); // one tick, plus the scheduling slack of a loaded (or sanitized) run
        CHECK(owners[i]->asked[0] == start + delays[i]); // an owner can tell which of its wake-ups this is
    }
}

TEST_CASE("timer wheel: an owner that is gone is not woken, and does not keep the wheel turning") {
    boost::asio::io_context ioc;
    auto w = std::make_shared<wheel>(ioc, 2ms);
    auto kept = std::make_shared<owner>();
    {
        auto gone = std::make_shared<owner>();
        w->schedule(gone, clock_type::now() + 10ms);
    }
    w->schedule(kept, clock_type::now() + 20ms);
    w->stop();
    const auto start = clock_type::now();
    ioc.run();
    CHECK(kept->woken.size() == 1);
    CHECK(clock_type::now() - start < 1s);
}

TEST_CASE("timer wheel: once stopped, it stops turning when its owners are gone, not at their deadlines") {
    boost::asio::io_context ioc;
    auto w = std::make_shared<wheel>(ioc, 2ms);
    {
        auto gone = std::make_shared<owner>();
        w->schedule(gone, clock_type::now() + 30s); // as a connection's next heartbeat
    }
    w->stop();
    const auto start = clock_type::now();
    ioc.run();
    CHECK(clock_type::now() - start < 1s);
}
