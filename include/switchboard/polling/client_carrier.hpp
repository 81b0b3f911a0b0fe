// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_POLLING_CLIENT_CARRIER_HPP
#define SWITCHBOARD_POLLING_CLIENT_CARRIER_HPP

// Polling is long-polling whose GETs are never held: both halves live in long_polling/
// (the client asks every client_options::poll_interval, and again at once when an
// answer says more is pending; the server answers a GET at once).

#include <switchboard/long_polling/client_carrier.hpp>

namespace switchboard::detail::polling {

// Makes the client half of one polling connection.
inline std::shared_ptr<client_carrier> make_client_carrier(const client_strand& strand, const client_options& options) {
    return long_polling::make_client_carrier(strand, options, false);
}

} // namespace switchboard::detail::polling

#endif
