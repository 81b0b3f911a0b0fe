// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SSE_CLIENT_CARRIER_HPP
#define SWITCHBOARD_SSE_CLIENT_CARRIER_HPP

// The SSE carrier's client half: a GET that reads `text/event-stream` (any SSE
// endpoint in plain mode; chunked, length-delimited or connection-delimited bodies;
// redirects followed up to client_options::max_redirects), and upstream POSTs on a
// second keep-alive connection (docs/protocol.md).

#include <switchboard/detail/client_core.hpp>

namespace switchboard::detail::sse {

// Session mode over SSE framing (the SSE stream, and long-polling and polling bodies):
// decodes one event, a control frame (type "switchboard") or an application event
// whose id is "<token>-<seq>[flag]" (docs/protocol.md), and passes it to
// `events.on_frame`. A welcome's token is stored in `token`. Returns the error that
// ends the connection, if the event breaks the protocol.
SWITCHBOARD_DECL error_code deliver_session_event(event e, std::size_t max_message_size, const carrier_events& events,
                                                  std::string& token);

// Makes the client half of one SSE connection.
SWITCHBOARD_DECL std::shared_ptr<client_carrier> make_client_carrier(const client_strand& strand,
                                                                     const client_options& options);

} // namespace switchboard::detail::sse

#endif
