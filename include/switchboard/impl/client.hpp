// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_CLIENT_HPP
#define SWITCHBOARD_IMPL_CLIENT_HPP

#include <switchboard/long_polling/client_carrier.hpp>
#include <switchboard/polling/client_carrier.hpp>
#include <switchboard/sse/client_carrier.hpp>
#include <switchboard/websocket/client_carrier.hpp>

// Header-only: the clients' non-template code (separate compilation lists the same
// files in src.hpp).
#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/client_core.ipp>
#include <switchboard/impl/http_upstream.ipp>
#include <switchboard/long_polling/impl/client_carrier.ipp>
#include <switchboard/sse/impl/client_carrier.ipp>
#include <switchboard/websocket/impl/client_carrier.ipp>
#endif

#include <stdexcept>
#include <string>
#include <vector>

namespace switchboard {
namespace detail {

// The client half of each transport.
template <class Transport>
carrier_factory carrier_for() {
    if constexpr (Transport::kind == transport_kind::websocket) {
        return &websocket::make_client_carrier;
    } else if constexpr (Transport::kind == transport_kind::sse) {
        return &sse::make_client_carrier;
    } else if constexpr (Transport::kind == transport_kind::long_polling) {
        return [](const client_strand& s, const client_options& o) { return long_polling::make_client_carrier(s, o, true); };
    } else {
        static_assert(Transport::kind == transport_kind::polling);
        return &polling::make_client_carrier;
    }
}

// The carrier of a transport named at run time.
inline carrier_choice carrier_of(transport_kind k) {
    switch (k) {
    case transport_kind::websocket: return {k, carrier_for<switchboard::websocket>()};
    case transport_kind::sse: return {k, carrier_for<switchboard::sse>()};
    case transport_kind::long_polling: return {k, carrier_for<switchboard::long_polling>()};
    case transport_kind::polling: return {k, carrier_for<switchboard::polling>()};
    }
    throw std::invalid_argument("unknown transport");
}

inline std::shared_ptr<client_core> make_client_core(boost::asio::any_io_executor ex, std::string_view url,
                                                     client_options options, std::vector<carrier_choice> transports) {
    validate(options);
    if (transports.empty()) throw std::invalid_argument("a client needs at least one transport");
    return std::make_shared<client_core>(std::move(ex), parse_url(url), std::move(options), std::move(transports));
}

} // namespace detail

namespace detail {
// Options a client of Transport can use: a transport without a plain standard (long-polling,
// polling) speaks session mode only.
template <class Transport>
client_options usable_with(client_options o) {
    if (!Transport::plain_mode && !o.session)
        throw std::invalid_argument("switchboard: " + std::string(Transport::name) +
                                    " has no plain mode (client_options::session must be true)");
    return o;
}
} // namespace detail

template <transport Transport>
basic_client<Transport>::basic_client(executor_type ex, std::string_view url, client_options options)
    : detail::client_base(detail::make_client_core(std::move(ex), url, detail::usable_with<Transport>(std::move(options)),
                                                   {detail::carrier_choice{Transport::kind, detail::carrier_for<Transport>()}})) {}

inline any_client::any_client(executor_type ex, std::string_view url, client_options options,
                              std::vector<transport_kind> transports)
    : detail::client_base([&] {
          std::vector<detail::carrier_choice> choices;
          for (const auto k : transports) choices.push_back(detail::carrier_of(k));
          return detail::make_client_core(std::move(ex), url, std::move(options), std::move(choices));
      }()) {}

} // namespace switchboard

#endif
