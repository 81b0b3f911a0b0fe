// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_WEBSOCKET_CLIENT_CARRIER_HPP
#define SWITCHBOARD_WEBSOCKET_CLIENT_CARRIER_HPP

// The WebSocket carrier's client half, on boost::beast::websocket::stream: any RFC
// 6455 server in plain mode, the switchboard protocol in session mode.

#include <switchboard/detail/client_core.hpp>

namespace switchboard::detail::websocket {

// Makes the client half of one WebSocket connection.
SWITCHBOARD_DECL std::shared_ptr<client_carrier> make_client_carrier(const client_strand& strand,
                                                                     const client_options& options);

} // namespace switchboard::detail::websocket

#endif
