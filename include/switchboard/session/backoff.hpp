// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SESSION_BACKOFF_HPP
#define SWITCHBOARD_SESSION_BACKOFF_HPP

#include <switchboard/options.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>

namespace switchboard {

/** Reconnect delays: exponential growth with full jitter, a cap, and a reset after a
    stable connection (see `reconnect_options`).

    @code
    switchboard::backoff b{opts.reconnect};
    timer.expires_after(b.next_delay());  // after a drop
    b.connected(now);                     // the reconnect worked
    b.disconnected(later);                // resets if the connection was stable
    @endcode

    Not thread safe; use it from one strand.
*/
class backoff {
public:
    using clock = std::chrono::steady_clock;

    /// A backoff with a random seed.
    explicit backoff(const reconnect_options& options) : backoff(options, std::random_device{}()) {}

    /// A backoff whose jitter is reproducible from `seed`.
    backoff(const reconnect_options& options, std::uint64_t seed) : options_(options), rng_(seed) {}

    /// The upper bound of the delay before the next attempt (before jitter).
    std::chrono::milliseconds ceiling() const noexcept {
        const double base = static_cast<double>(options_.initial_delay.count()) *
                            std::pow(options_.multiplier, static_cast<double>(attempts_));
        const double cap = static_cast<double>(options_.max_delay.count());
        return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(base, cap)));
    }

    /// Counts one more attempt and returns how long to wait before it: uniform in
    /// [0, ceiling()].
    std::chrono::milliseconds next_delay() {
        const auto hi = ceiling().count();
        ++attempts_;
        return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, hi)(rng_));
    }

    /// How many attempts were made since the last reset.
    std::size_t attempts() const noexcept { return attempts_; }

    /// Whether `max_attempts` attempts were made and none is left.
    bool exhausted() const noexcept {
        return options_.max_attempts != 0 && attempts_ >= options_.max_attempts;
    }

    /// A connection opened at `now`.
    void connected(clock::time_point now) noexcept { connected_at_ = now; }

    /// The connection dropped at `now`: a connection that lasted `stable_after`
    /// starts the attempt count again.
    void disconnected(clock::time_point now) noexcept {
        if (connected_at_ && now - *connected_at_ >= options_.stable_after) attempts_ = 0;
        connected_at_.reset();
    }

    /// Starts the attempt count again.
    void reset() noexcept { attempts_ = 0; }

private:
    reconnect_options options_;
    std::mt19937_64 rng_;
    std::size_t attempts_ = 0;
    std::optional<clock::time_point> connected_at_;
};

} // namespace switchboard

#endif
