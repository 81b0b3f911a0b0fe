// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SESSION_HPP
#define SWITCHBOARD_SESSION_HPP

#include <switchboard/config.hpp>
#include <switchboard/event.hpp>
#include <switchboard/transport.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <any>
#include <string_view>

namespace switchboard {

namespace detail {
class server_session;
}

/** The server's handle to one client session.

    A session outlives its connections: in session mode a client that reconnects
    resumes the same session, and events sent meanwhile are replayed. Handles are
    cheap to copy and compare; a handle to a closed session is still valid, and
    operations on it do nothing.

    Thread safety: every member function may be called from any thread. Lifetime: a
    handle must not outlive the `io_context` its server runs on (it holds a strand).
*/
class session {
public:
    /// An empty handle (`!handle`).
    session() = default;

    /// Sends `e` to this client. Never blocks; the event is queued and, in session
    /// mode, kept for replay until the client acknowledges it. Throws
    /// `std::invalid_argument` when `e.type` has a CR or LF or is "switchboard" (reserved
    /// for the session protocol); an empty type is sent as "message".
    SWITCHBOARD_DECL void send(event e) const;

    /// Subscribes this session to `topic` (see `server::publish`).
    SWITCHBOARD_DECL void join(std::string topic) const;

    /// Unsubscribes this session from `topic`.
    SWITCHBOARD_DECL void leave(std::string topic) const;

    /// Ends the session: the client is told, and does not resume. `on_close` runs.
    SWITCHBOARD_DECL void close(std::string reason = {}) const;

    /// A number that identifies the session within its server (not its token).
    SWITCHBOARD_DECL std::uint64_t id() const noexcept;

    /// The transport of the session's current (or last) connection.
    SWITCHBOARD_DECL transport_kind transport() const noexcept;

    /// Whether the client speaks the session protocol (false: plain mode).
    SWITCHBOARD_DECL bool resumable() const noexcept;

    /// Who opened the session, as `server::on_authorize` named them (empty without a
    /// hook). Every resume, poll and POST of the session must be for the same one.
    SWITCHBOARD_DECL std::string_view principal() const noexcept;

    /// The data the authorization hook attached when the session opened (empty when
    /// none): `std::any_cast<const user&>(s.data())`.
    SWITCHBOARD_DECL const std::any& data() const noexcept;

    /// Whether the handle refers to a session.
    explicit operator bool() const noexcept { return impl_ != nullptr; }

    friend bool operator==(const session& a, const session& b) noexcept { return a.impl_ == b.impl_; }

    /// For the library: wraps a session's state.
    explicit session(std::shared_ptr<detail::server_session> impl) noexcept : impl_(std::move(impl)) {}

private:
    friend struct std::hash<session>;
    std::shared_ptr<detail::server_session> impl_;
};

} // namespace switchboard

/// Sessions can be keys of unordered containers.
template <>
struct std::hash<switchboard::session> {
    std::size_t operator()(const switchboard::session& s) const noexcept {
        return std::hash<const void*>{}(s.impl_.get());
    }
};

#endif
