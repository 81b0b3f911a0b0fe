// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_CONNECTION_SLOT_IPP
#define SWITCHBOARD_IMPL_CONNECTION_SLOT_IPP

#include <switchboard/detail/connection_slot.hpp>
#include <switchboard/detail/server_core.hpp>

namespace switchboard::detail {

SWITCHBOARD_DECL address_key key_of(const asio::ip::address& a) noexcept {
    if (a.is_v4()) return {a.to_v4().to_uint(), false};
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) return {asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint(), false};
    const auto bytes = v6.to_bytes();
    std::uint64_t prefix = 0;
    for (int i = 0; i < 8; ++i) prefix = prefix << 8 | bytes[static_cast<std::size_t>(i)];
    return {prefix, true};
}

SWITCHBOARD_DECL connection_slot::connection_slot(std::shared_ptr<server_core> core, const asio::ip::address& remote)
    : core_(std::move(core)), address_(&core_->add_connection(remote)) {
    core_->connections_.fetch_add(1);
}
SWITCHBOARD_DECL connection_slot::~connection_slot() {
    if (!core_) return;
    core_->connections_.fetch_sub(1);
    core_->remove_connection(*address_);
}
SWITCHBOARD_DECL const char* connection_slot::refusal() const noexcept {
    const auto& o = core_->options;
    if (core_->connection_count() > o.max_connections) return "too many connections";
    std::lock_guard lock(core_->address_mutex_);
    if (address_->second.connections > o.max_connections_per_address) return "too many connections from this address";
    return nullptr;
}

} // namespace switchboard::detail

#endif
