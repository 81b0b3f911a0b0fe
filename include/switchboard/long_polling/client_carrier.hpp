// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_LONG_POLLING_CLIENT_CARRIER_HPP
#define SWITCHBOARD_LONG_POLLING_CLIENT_CARRIER_HPP

// The client half of long-polling and polling (polling is long-polling whose GETs the
// server answers at once): GETs on one keep-alive connection, each acknowledging what
// was delivered and answered with what the session holds after it, framed as SSE; the
// upstream is POSTs on a second connection (detail/http_upstream). Session mode only:
// there is no plain standard to speak (docs/protocol.md).

#include <switchboard/detail/client_core.hpp>

namespace switchboard::detail::long_polling {

// Makes the client half of one long-polling (`hold`) or polling connection.
SWITCHBOARD_DECL std::shared_ptr<client_carrier> make_client_carrier(const client_strand& strand,
                                                                     const client_options& options, bool hold);

} // namespace switchboard::detail::long_polling

#endif
