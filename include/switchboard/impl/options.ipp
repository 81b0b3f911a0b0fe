// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_OPTIONS_IPP
#define SWITCHBOARD_IMPL_OPTIONS_IPP

#include <switchboard/detail/query.hpp>
#include <switchboard/options.hpp>

#include <stdexcept>

namespace switchboard {
namespace detail {

inline void require(bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("switchboard: invalid option: ") + what);
}

inline void validate_common(const heartbeat_options& hb, const replay_options& rp) {
    require(hb.interval.count() > 0, "heartbeat.interval must be positive");
    require(hb.timeout > hb.interval, "heartbeat.timeout must exceed heartbeat.interval");
    require(rp.max_events > 0, "replay.max_events must be positive");
    require(rp.max_bytes > 0, "replay.max_bytes must be positive");
    require(rp.ack_every > 0, "replay.ack_every must be positive");
    require(rp.ack_interval.count() > 0, "replay.ack_interval must be positive");
}

} // namespace detail

SWITCHBOARD_DECL void validate(const client_options& o) {
    using detail::require;
    detail::validate_common(o.heartbeat, o.replay);
    require(o.reconnect.initial_delay.count() >= 0, "reconnect.initial_delay must not be negative");
    require(o.reconnect.max_delay >= o.reconnect.initial_delay,
            "reconnect.max_delay must be at least reconnect.initial_delay");
    require(o.reconnect.multiplier >= 1.0, "reconnect.multiplier must be at least 1");
    require(o.max_message_size > 0, "max_message_size must be positive");
    require(o.max_queued_bytes >= o.max_message_size, "max_queued_bytes must hold one message");
    require(o.connect_timeout.count() > 0, "connect_timeout must be positive");
    require(o.max_line_size > 0, "max_line_size must be positive");
    require(o.poll_interval.count() > 0, "poll_interval must be positive");
    for (const auto& [name, value] : o.headers)
        require(detail::sendable_header(name, value), "headers: a name that is not an HTTP token, or a CR, LF or NUL");
}

SWITCHBOARD_DECL void validate(const server_options& o) {
    using detail::require;
    detail::validate_common(o.heartbeat, o.replay);
    require(!o.path.empty() && o.path.front() == '/', "path must start with '/'");
    require(o.max_message_size > 0, "max_message_size must be positive");
    require(o.max_queued_bytes >= o.max_message_size, "max_queued_bytes must hold one message");
    require(o.max_header_size > 0, "max_header_size must be positive");
    require(o.max_body_size > 0, "max_body_size must be positive");
    require(o.max_connections > 0, "max_connections must be positive");
    require(o.max_sessions > 0, "max_sessions must be positive");
    require(o.max_connections_per_address > 0, "max_connections_per_address must be positive");
    require(o.max_sessions_per_address > 0, "max_sessions_per_address must be positive");
    require(o.send_timeout.count() > 0, "send_timeout must be positive");
    require(o.handshake_timeout.count() > 0, "handshake_timeout must be positive");
    require(o.session_timeout.count() > 0, "session_timeout must be positive");
    require(o.long_poll_timeout.count() > 0, "long_poll_timeout must be positive");
    require(o.max_batch_bytes > 0, "max_batch_bytes must be positive");
    require(o.sse_retry.count() >= 0, "sse_retry must not be negative");
    for (const auto& origin : o.allowed_origins)
        require(!origin.empty() && origin.back() != '/' && origin.find_first_of(" \r\n") == std::string::npos,
                "allowed_origins entries are origins such as https://app.example.com, or *");
    require(o.tls.certificate_chain_file.empty() == o.tls.private_key_file.empty(),
            "tls.certificate_chain_file and tls.private_key_file go together");
#ifndef SWITCHBOARD_WITH_OPENSSL
    require(o.tls.certificate_chain_file.empty(), "tls needs a build with SWITCHBOARD_WITH_OPENSSL");
#endif
#ifndef SWITCHBOARD_WITH_REDIS
    require(o.backplane.host.empty(), "backplane needs a build with SWITCHBOARD_WITH_REDIS");
#endif
    require(o.backplane.max_pending > 0, "backplane.max_pending must be positive");
    require(o.backplane.max_stream > 0, "backplane.max_stream must be positive");
    require(o.backplane.reconnect_initial.count() > 0, "backplane.reconnect_initial must be positive");
    require(o.backplane.reconnect_max >= o.backplane.reconnect_initial,
            "backplane.reconnect_max must be at least backplane.reconnect_initial");
    require(o.backplane.timeout.count() > 0, "backplane.timeout must be positive");
    require(o.backplane.prefix.find_first_of(" \r\n") == std::string::npos, "backplane.prefix must be one word");
}

} // namespace switchboard

#endif
