// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_STATE_HPP
#define SWITCHBOARD_STATE_HPP

#include <ostream>
#include <string_view>

namespace switchboard {

/** The state of a session, as reported to `on_state`.

    A session starts `connecting`, becomes `open` once the handshake completes, goes
    to `reconnecting` when a connection drops and back to `open` when it resumes, and
    ends `closed`. `closed` is final.

    @code
    connecting -> open -> reconnecting -> open -> ... -> closed
    @endcode
*/
enum class state {
    connecting,   ///< The first connection is being established.
    open,         ///< Connected; events flow both ways.
    reconnecting, ///< The connection dropped; the session waits to resume.
    closed,       ///< Closed by either side or given up; final.
};

/// The lower-case name of a state, e.g. "reconnecting".
constexpr std::string_view to_string(state s) noexcept {
    switch (s) {
    case state::connecting: return "connecting";
    case state::open: return "open";
    case state::reconnecting: return "reconnecting";
    case state::closed: return "closed";
    }
    return "unknown";
}

/** Whether a session may move from `from` to `to`.

    Allowed: connecting to open, reconnecting or closed; open to reconnecting or
    closed; reconnecting to open or closed. Nothing leaves closed, and no state moves
    to itself or back to connecting.
*/
constexpr bool can_transition(state from, state to) noexcept {
    switch (from) {
    case state::connecting: return to != state::connecting;
    case state::open: return to == state::reconnecting || to == state::closed;
    case state::reconnecting: return to == state::open || to == state::closed;
    case state::closed: return false;
    }
    return false;
}

/// Writes `to_string(s)`.
inline std::ostream& operator<<(std::ostream& os, state s) { return os << to_string(s); }

} // namespace switchboard

#endif
