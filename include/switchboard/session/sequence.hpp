// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SESSION_SEQUENCE_HPP
#define SWITCHBOARD_SESSION_SEQUENCE_HPP

#include <cstdint>
#include <ostream>

namespace switchboard {

/** The position of an event in one direction of a session.

    Each direction numbers its events 1, 2, 3, ... in the order they were sent; 0
    means "nothing yet". Acknowledgements and resume points are sequence numbers.
*/
using sequence_number = std::uint64_t;

/** A range of events that can no longer be delivered: `first` to `last`, inclusive.

    Reported to the application (never silently skipped) when a peer resumes from a
    point older than the sender's replay window.
*/
struct gap {
    sequence_number first = 0; ///< The first lost sequence number.
    sequence_number last = 0;  ///< The last lost sequence number (>= first).

    /// How many events were lost.
    constexpr std::uint64_t size() const noexcept { return last - first + 1; }

    friend bool operator==(const gap&, const gap&) = default;
};

/// Writes the gap as "[first, last]".
inline std::ostream& operator<<(std::ostream& os, const gap& g) {
    return os << '[' << g.first << ", " << g.last << ']';
}

} // namespace switchboard

#endif
