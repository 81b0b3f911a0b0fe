// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_CLIENT_HPP
#define SWITCHBOARD_IMPL_CLIENT_HPP

#include <switchboard/sse/client_carrier.hpp>
#include <switchboard/websocket/client_carrier.hpp>

namespace switchboard {
namespace detail {

// The client half of each transport; transports not built yet fail to connect.
template <class Transport>
carrier_factory carrier_for() {
    if constexpr (Transport::kind == transport_kind::websocket) {
        return &ws::make_client_carrier;
    } else if constexpr (Transport::kind == transport_kind::sse) {
        return &sse::make_client_carrier;
    } else {
        struct unavailable final : client_carrier {
            void connect(const url&, std::string, std::string, carrier_events,
                         std::function<void(error_code)> done) override {
                done(error::transport_unavailable);
            }
            void send_event(sequence_number, const event&) override {}
            void send_control(std::string) override {}
            void close() override {}
            void abort() override {}
        };
        return [](const client_strand&, const client_options&) -> std::shared_ptr<client_carrier> {
            return std::make_shared<unavailable>();
        };
    }
}

} // namespace detail

template <transport Transport>
basic_client<Transport>::basic_client(executor_type ex, std::string_view url, client_options options) {
    validate(options);
    core_ = std::make_shared<detail::client_core>(std::move(ex), detail::parse_url(url), std::move(options),
                                                  detail::carrier_for<Transport>());
}

template <transport Transport>
basic_client<Transport>::~basic_client() {
    if (core_) core_->shutdown();
}

} // namespace switchboard

#endif
