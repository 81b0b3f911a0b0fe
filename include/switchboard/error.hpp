// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_ERROR_HPP
#define SWITCHBOARD_ERROR_HPP

#include <switchboard/config.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace switchboard {

/// The error code type used by every switchboard operation.
using error_code = boost::system::error_code;

/// The exception type thrown by switchboard's throwing overloads.
using system_error = boost::system::system_error;

/** The errors switchboard reports, in the category `switchboard::error_category()`.

    Values are stable: they appear in logs and close reasons. A zero value is never
    an error.
*/
enum class error {
    /// The session or client was closed while the operation was pending.
    closed = 1,
    /// The peer asked to resume from a point the replay window no longer holds:
    /// some events are lost and the application is told which.
    replay_gap,
    /// The peer asked to resume from a sequence number that was never sent.
    invalid_resume,
    /// The session token is unknown or has expired; a new session is needed.
    session_expired,
    /// A message is larger than the configured maximum message size.
    message_too_big,
    /// The outbound queue of a session is over its byte limit (a slow consumer).
    queue_full,
    /// No data or heartbeat arrived from the peer within the heartbeat timeout.
    heartbeat_timeout,
    /// The connection handshake did not complete within the handshake timeout.
    handshake_timeout,
    /// The peer broke the wire protocol (malformed frame, bad field, bad order).
    protocol_violation,
    /// Data that must be base64 is not valid base64.
    invalid_base64,
    /// The server has reached its limit of sessions or connections.
    server_full,
    /// Reconnecting failed more times than the configured maximum.
    reconnect_exhausted,
    /// The transport is not available in this build or was refused by the peer.
    transport_unavailable,
    /// The server answered with an HTTP status the transport cannot use.
    bad_http_status,
    /// The server answered with a Content-Type the transport cannot use.
    bad_content_type,
    /// More redirects than the configured maximum.
    too_many_redirects,
    /// A line or field on the wire is longer than the configured limit.
    line_too_long,
    /// An event cannot be sent as given (e.g. its type contains a line break).
    invalid_event,
    /// The connection was lost (closed by the peer or the network).
    connection_lost,
    /// A write to the peer made no progress within the send timeout (it stopped reading).
    send_timeout,
    /// A redirect to another origin was not followed (client_options::cross_origin_redirects);
    /// the client ends.
    redirect_refused,
    /// The TLS handshake failed (no common protocol or cipher, not TLS at all, or the
    /// connection ended during it).
    tls_failed,
    /// The server's certificate was not accepted: not signed by a trusted authority,
    /// expired, or not for the host name or address connected to. Never retried.
    certificate_rejected,
    /// The server refused the client's credentials (HTTP 401): never retried on another
    /// transport, and retried at all only when client_options::refresh_headers can bring
    /// new ones. (A 403 is not taken for it: proxies answer 403 to a transport they do
    /// not pass, and the client falls back.)
    unauthorized,
    /// Publishes of other nodes of a cluster were lost on their way through the
    /// backplane (server_options::backplane): Redis restarted without its data, a node
    /// fell further behind than the cluster stream holds, or a node dropped publishes
    /// it held while Redis was unreachable. The sessions that may have missed them are
    /// sent a gap, which their clients report as replay_gap.
    backplane_gap,
    /// The backplane's link to Redis failed or was refused (server::on_backplane);
    /// the server goes on serving its own clients and reconnects.
    backplane_unavailable,
};

/// The error category of `switchboard::error`; its name is "switchboard".
SWITCHBOARD_DECL const boost::system::error_category& error_category() noexcept;

/// Makes an `error_code` from a switchboard error (found by argument-dependent lookup).
inline error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace switchboard

template <>
struct boost::system::is_error_code_enum<switchboard::error> : std::true_type {};

#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/error.ipp>
#endif

#endif
