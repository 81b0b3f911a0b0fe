// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SESSION_INBOUND_SEQUENCER_HPP
#define SWITCHBOARD_SESSION_INBOUND_SEQUENCER_HPP

#include <switchboard/options.hpp>
#include <switchboard/session/sequence.hpp>

#include <chrono>
#include <optional>

namespace switchboard {

/** The receiving half of one direction of a session: de-duplicates by sequence
    number, detects gaps, and decides when to acknowledge.

    Every event is delivered at most once and in order: an event whose number was
    already delivered is a duplicate (a replay after a reconnect) and is dropped; an
    event that skips numbers is delivered after the skipped range is reported as a
    gap. Not thread safe; use it from one strand.
*/
class inbound_sequencer {
public:
    using clock = std::chrono::steady_clock;

    /// What to do with a received event: see `accept`.
    struct verdict {
        /// False for a duplicate: drop the event.
        bool deliver = false;
        /// The events skipped before this one: report them before delivering it.
        std::optional<gap> missed;
    };

    /// A sequencer that has delivered nothing; the first event expected is 1.
    explicit inbound_sequencer(const replay_options& options = {}, clock::time_point now = clock::now())
        : ack_every_(options.ack_every), ack_interval_(options.ack_interval), last_ack_time_(now) {}

    /// Judges the event numbered `seq` and, unless it is a duplicate, records it as delivered.
    verdict accept(sequence_number seq) noexcept {
        verdict v;
        if (seq <= last_) return v;
        if (seq > last_ + 1) v.missed = gap{last_ + 1, seq - 1};
        v.deliver = true;
        last_ = seq;
        ++unacked_;
        return v;
    }

    /** The sender announced that `lost` cannot be replayed: skip past it.

        @return what is skipped and was never delivered, to report to the application:
        from the first undelivered number (a notice that starts further on skips the
        numbers before it too, and says so) to the end of `lost`; nothing if every
        number in it was delivered before.
    */
    std::optional<gap> skip(gap lost) noexcept {
        if (lost.last <= last_) return std::nullopt;
        gap reported{last_ + 1, lost.last};
        last_ = lost.last;
        ++unacked_;
        return reported;
    }

    /// Every event up to `last` was delivered elsewhere (another node of a cluster):
    /// they count as delivered here, and are acknowledged with the next.
    void advance_to(sequence_number last) noexcept {
        if (last <= last_) return;
        last_ = last;
        ++unacked_;
    }

    /// The number of the last event delivered (0 if none): the resume point.
    sequence_number last_delivered() const noexcept { return last_; }

    /// Whether an acknowledgement is due: `ack_every` events arrived, or some arrived
    /// and `ack_interval` passed since the last acknowledgement.
    bool ack_due(clock::time_point now) const noexcept {
        return unacked_ >= ack_every_ || (unacked_ > 0 && now - last_ack_time_ >= ack_interval_);
    }

    /// How many events were delivered (or skipped) since the last acknowledgement.
    std::size_t unacknowledged() const noexcept { return unacked_; }

    /// Records that an acknowledgement is being sent and returns the number it carries.
    sequence_number take_ack(clock::time_point now) noexcept {
        unacked_ = 0;
        last_ack_time_ = now;
        return last_;
    }

private:
    std::size_t ack_every_;
    clock::duration ack_interval_;
    clock::time_point last_ack_time_;
    sequence_number last_ = 0;
    std::size_t unacked_ = 0;
};

} // namespace switchboard

#endif
