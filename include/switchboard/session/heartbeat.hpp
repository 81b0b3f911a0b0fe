// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SESSION_HEARTBEAT_HPP
#define SWITCHBOARD_SESSION_HEARTBEAT_HPP

#include <switchboard/options.hpp>

#include <algorithm>
#include <chrono>

namespace switchboard {

/** Heartbeat timing of one connection (see `heartbeat_options`): when to send a
    heartbeat and when the peer is dead.

    Any frame counts: a data frame sent postpones the next heartbeat, and anything
    received proves the peer alive. The owner arms one timer at `next_deadline()` and,
    when it fires, asks `peer_dead` and `ping_due`. Not thread safe.
*/
class heartbeat {
public:
    using clock = std::chrono::steady_clock;

    /// Timing that starts at `now` (as if a frame was just sent and received).
    explicit heartbeat(const heartbeat_options& options, clock::time_point now = clock::now())
        : interval_(options.interval), timeout_(options.timeout), last_sent_(now), last_received_(now) {}

    /// Something was sent at `now`.
    void sent(clock::time_point now) noexcept { last_sent_ = std::max(last_sent_, now); }

    /// Something was received at `now`.
    void received(clock::time_point now) noexcept { last_received_ = std::max(last_received_, now); }

    /// Whether a heartbeat should be sent at `now` (nothing sent for `interval`).
    bool ping_due(clock::time_point now) const noexcept { return now - last_sent_ >= interval_; }

    /// Whether the peer is dead at `now` (nothing received for `timeout`).
    bool peer_dead(clock::time_point now) const noexcept { return now - last_received_ >= timeout_; }

    /// The earliest time at which `ping_due` or `peer_dead` can become true.
    clock::time_point next_deadline() const noexcept {
        return std::min(last_sent_ + interval_, last_received_ + timeout_);
    }

private:
    clock::duration interval_;
    clock::duration timeout_;
    clock::time_point last_sent_;
    clock::time_point last_received_;
};

} // namespace switchboard

#endif
