// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SESSION_REPLAY_WINDOW_HPP
#define SWITCHBOARD_SESSION_REPLAY_WINDOW_HPP

#include <switchboard/error.hpp>
#include <switchboard/event.hpp>
#include <switchboard/options.hpp>
#include <switchboard/session/sequence.hpp>

#include <cstddef>
#include <type_traits>
#include <vector>
#include <optional>
#include <utility>

namespace switchboard {

/** What a sender must do when its peer resumes: see `replay_window::resume`.

    When `ec` is set nothing is replayed. Otherwise `lost`, when present, is the range
    the window no longer holds (report it to the peer before replaying), and every
    event after `replay_after` that the window holds is to be sent again, in order.
*/
struct resume_plan {
    error_code ec;                  ///< error::invalid_resume, or success.
    std::optional<gap> lost;        ///< The events that cannot be replayed.
    sequence_number replay_after{}; ///< Replay the held events after this number.
};

/** The sending half of one direction of a session: numbers outgoing events and
    keeps them until the peer acknowledges them.

    The window is bounded by `replay_options::max_events` and `max_bytes`. When a
    push goes past either bound the oldest events are dropped (the newest event is
    always kept); a later resume from before them yields a gap, never a silent loss.

    `Entry` is what is kept for replay: an `event`, or an already encoded frame that
    can be sent again as is. The window is not thread safe; use it from one strand.
*/
template <class Entry = event>
class replay_window {
public:
    /// An empty window; the first event pushed gets sequence number 1.
    explicit replay_window(const replay_options& options = {})
        : max_events_(options.max_events), max_bytes_(options.max_bytes) {}

    /** Numbers `entry`, keeps it for replay, and returns its sequence number.

        @param bytes The size charged against `max_bytes` (the payload size).
    */
    sequence_number push(Entry entry, std::size_t bytes) {
        const sequence_number seq = ++last_sent_;
        entries_.push_back(item{seq, bytes, std::move(entry)});
        bytes_ += bytes;
        while (size() > 1 && (size() > max_events_ || bytes_ > max_bytes_)) pop_front();
        return seq;
    }

    /** The peer has every event up to and including `upto`: stop keeping them.

        @return error::invalid_resume if `upto` was never sent (nothing changes).
    */
    error_code acknowledge(sequence_number upto) {
        if (upto > last_sent_) return error::invalid_resume;
        while (!empty() && entries_[head_].seq <= upto) pop_front();
        return {};
    }

    /** The peer resumes having received every event up to `last_seen`.

        Acknowledges `last_seen`, then says what to send again: the held events after
        `last_seen`, preceded by the gap of events no longer held, if any.
    */
    resume_plan resume(sequence_number last_seen) {
        resume_plan plan;
        if (auto ec = acknowledge(last_seen)) {
            plan.ec = ec;
            return plan;
        }
        plan.replay_after = last_seen;
        const sequence_number first_held = empty() ? last_sent_ + 1 : entries_[head_].seq;
        if (last_seen + 1 < first_held) plan.lost = gap{last_seen + 1, first_held - 1};
        return plan;
    }

    /// Calls `f(sequence_number, const Entry&)` for each held event after `after`, in order.
    /// `f` may return bool: false stops the walk.
    template <class F>
    void for_each_after(sequence_number after, F&& f) const {
        for (std::size_t i = head_; i < entries_.size(); ++i) {
            if (entries_[i].seq <= after) continue;
            if constexpr (std::is_same_v<std::invoke_result_t<F&, sequence_number, const Entry&>, bool>) {
                if (!f(entries_[i].seq, entries_[i].entry)) return;
            } else {
                f(entries_[i].seq, entries_[i].entry);
            }
        }
    }

    /** Holds nothing, and numbers the next event pushed `n + 1`: the events up to `n`
        are not held (a resume from before them reports them lost). For a window made
        again elsewhere from a point where its peer had everything (a cluster's node).
    */
    void start_after(sequence_number n) {
        while (!empty()) pop_front();
        last_sent_ = n;
    }

    /// The number of the last event pushed (0 if none).
    sequence_number last_sent() const noexcept { return last_sent_; }
    /// How many events are held for replay.
    std::size_t size() const noexcept { return entries_.size() - head_; }
    /// The bytes charged by the held events.
    std::size_t bytes() const noexcept { return bytes_; }
    /// Whether no event is held.
    bool empty() const noexcept { return head_ == entries_.size(); }

private:
    struct item {
        sequence_number seq;
        std::size_t bytes;
        Entry entry;
    };

    // A vector used as a queue from head_: nothing is allocated until the first push,
    // and the memory goes back as soon as the window empties (an idle session holds none).
    void pop_front() {
        bytes_ -= entries_[head_].bytes;
        entries_[head_].entry = Entry{}; // release what it holds now
        if (++head_ == entries_.size()) {
            entries_ = {};
            head_ = 0;
        } else if (head_ >= 64 && head_ * 2 >= entries_.size()) {
            entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }

    std::size_t max_events_;
    std::size_t max_bytes_;
    std::vector<item> entries_;
    std::size_t head_ = 0;
    std::size_t bytes_ = 0;
    sequence_number last_sent_ = 0;
};

} // namespace switchboard

#endif
