// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_TIMER_WHEEL_HPP
#define SWITCHBOARD_DETAIL_TIMER_WHEEL_HPP

// One timer for every connection of a server (heartbeats, close linger): a hashed wheel
// of slots, `tick` apart, turned by one steady_timer. A connection costs an entry of 24
// bytes instead of a timer object and a pending wait of its own (about 250 bytes). An
// entry never fires early and fires at most one tick late; there is no cancel: the owner
// ignores a wake-up it no longer needs.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace switchboard::detail {

// What the server's wheel wakes: a streaming connection (heartbeats, close linger) or a
// held request (a long-poll's deadline, a poll session's liveness).
class wakeable {
public:
    // Called (from any thread) at a deadline given to the wheel; `when` is that deadline,
    // so that a wake-up since replaced by an earlier one can be ignored.
    virtual void wake(std::chrono::steady_clock::time_point when) = 0;

protected:
    ~wakeable() = default;
};

// Owner: has `void wake(clock::time_point when)` (`when`: the deadline it was scheduled
// for, so that an owner can tell a wake-up it still wants from one it replaced), which
// must be callable from any thread.
template <class Owner>
class timer_wheel : public std::enable_shared_from_this<timer_wheel<Owner>> {
public:
    using clock = std::chrono::steady_clock;

    timer_wheel(boost::asio::io_context& ioc, clock::duration tick)
        : timer_(ioc), tick_(std::max<clock::duration>(tick, std::chrono::milliseconds(1))), slots_(slot_count) {}

    // Wakes `owner` once at `when` or up to one tick later.
    void schedule(std::weak_ptr<Owner> owner, clock::time_point when) {
        std::lock_guard lock(mutex_);
        if (!running_) {
            running_ = true;
            cursor_time_ = clock::now();
            arm();
        }
        place(entry{std::move(owner), when});
        ++size_;
    }

    // No new turns once nothing is scheduled for an owner still alive (the io_context
    // can then run out of work).
    void stop() {
        std::lock_guard lock(mutex_);
        stopped_ = true;
    }

private:
    static constexpr std::int64_t slot_count = 512;

    struct entry {
        std::weak_ptr<Owner> owner;
        clock::time_point when;
    };

    // Into the slot whose turn comes at or after `e.when` (the farthest slot, to be placed
    // again then, if it is beyond the wheel); never the current slot. Mutex held.
    void place(entry e) {
        const auto ahead = e.when <= cursor_time_ ? 1 : (e.when - cursor_time_ + tick_ - clock::duration(1)) / tick_;
        const auto steps = std::clamp<std::int64_t>(ahead, 1, slot_count - 1);
        slots_[(cursor_ + static_cast<std::size_t>(steps)) % slot_count].push_back(std::move(e));
    }

    void arm() { // with the mutex held
        timer_.expires_at(cursor_time_ + tick_);
        timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->turn();
        });
    }

    void turn() {
        std::vector<std::pair<std::shared_ptr<Owner>, clock::time_point>> due;
        {
            std::lock_guard lock(mutex_);
            const auto now = clock::now();
            while (cursor_time_ + tick_ <= now) {
                cursor_time_ += tick_;
                cursor_ = (cursor_ + 1) % slot_count;
                std::vector<entry> slot;
                slot.swap(slots_[cursor_]);
                for (auto& e : slot) {
                    if (e.when <= cursor_time_) {
                        --size_;
                        if (auto o = e.owner.lock()) due.emplace_back(std::move(o), e.when);
                    } else {
                        place(std::move(e)); // beyond one turn of the wheel: closer now
                    }
                }
            }
            // Once stopped, owners that are gone are forgotten at once rather than at
            // their deadlines: io_context::run() returns as soon as the last is gone.
            if (stopped_)
                for (auto& slot : slots_)
                    size_ -= static_cast<std::size_t>(
                        std::erase_if(slot, [](const entry& e) { return e.owner.expired(); }));
            if (size_ == 0 && stopped_) running_ = false;
            else arm();
        }
        for (auto& [o, when] : due) o->wake(when);
    }

    boost::asio::steady_timer timer_;
    clock::duration tick_;
    std::mutex mutex_;
    std::vector<std::vector<entry>> slots_;
    std::size_t cursor_ = 0;
    clock::time_point cursor_time_{};
    std::size_t size_ = 0;
    bool running_ = false;
    bool stopped_ = false;
};

} // namespace switchboard::detail

#endif
