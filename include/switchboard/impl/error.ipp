// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_ERROR_IPP
#define SWITCHBOARD_IMPL_ERROR_IPP

#include <switchboard/error.hpp>

#include <string>

namespace switchboard {
namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    // A fixed id makes codes from separately compiled copies compare equal.
    constexpr error_category_impl() noexcept : boost::system::error_category(0x5b0a4d2c7e1f3a91ULL) {}

    const char* name() const noexcept override { return "switchboard"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    const char* message(int ev, char*, std::size_t) const noexcept override {
        switch (static_cast<error>(ev)) {
        case error::closed: return "the session was closed";
        case error::replay_gap: return "events were lost: the resume point is older than the replay window";
        case error::invalid_resume: return "resume from a sequence number that was never sent";
        case error::session_expired: return "the session is unknown or has expired";
        case error::message_too_big: return "message larger than the maximum message size";
        case error::queue_full: return "outbound queue over its byte limit (slow consumer)";
        case error::heartbeat_timeout: return "no heartbeat from the peer within the timeout";
        case error::handshake_timeout: return "the handshake did not complete in time";
        case error::protocol_violation: return "the peer violated the wire protocol";
        case error::invalid_base64: return "invalid base64 data";
        case error::server_full: return "the server has no room for another session";
        case error::reconnect_exhausted: return "gave up reconnecting after the maximum number of attempts";
        case error::transport_unavailable: return "the transport is not available";
        case error::bad_http_status: return "unexpected HTTP status";
        case error::bad_content_type: return "unexpected Content-Type";
        case error::too_many_redirects: return "too many redirects";
        case error::line_too_long: return "a line on the wire is longer than the limit";
        case error::invalid_event: return "the event cannot be sent (its type must not contain a line break)";
        case error::connection_lost: return "the connection was lost";
        case error::send_timeout: return "a write to the peer made no progress within the send timeout";
        case error::redirect_refused: return "a redirect to another origin was not followed";
        case error::tls_failed: return "the TLS handshake failed";
        case error::certificate_rejected: return "the server's certificate was not accepted";
        case error::unauthorized: return "the server refused the client's credentials";
        case error::backplane_gap: return "publishes of other nodes were lost on the backplane";
        case error::backplane_unavailable: return "the backplane cannot reach Redis";
        }
        return "unknown switchboard error";
    }
};

} // namespace detail

SWITCHBOARD_DECL const boost::system::error_category& error_category() noexcept {
    static constexpr detail::error_category_impl instance;
    return instance;
}

} // namespace switchboard

#endif
