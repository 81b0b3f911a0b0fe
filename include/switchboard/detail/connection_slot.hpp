// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_CONNECTION_SLOT_HPP
#define SWITCHBOARD_DETAIL_CONNECTION_SLOT_HPP

// What every connection counts against: server_options::max_connections and its remote
// address's share (max_connections_per_address, max_sessions_per_address).

#include <switchboard/authorization.hpp>
#include <switchboard/config.hpp>
#include <switchboard/detail/tls.hpp>

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace switchboard::detail {

namespace asio = boost::asio;

class server_core;

// A remote address as the per-address limits count it: an IPv4 address (IPv4-mapped
// IPv6 included), or the /64 prefix of an IPv6 address (one host's share of a network).
struct address_key {
    std::uint64_t bits = 0;
    bool v6 = false;
    friend bool operator==(const address_key&, const address_key&) = default;
};
SWITCHBOARD_DECL address_key key_of(const asio::ip::address& a) noexcept;
struct address_key_hash {
    std::size_t operator()(const address_key& k) const noexcept { return std::hash<std::uint64_t>{}(k.bits ^ k.v6); }
};
// What one remote address holds now (server_options::max_*_per_address).
struct address_use {
    std::size_t connections = 0;
    std::size_t sessions = 0;
};
using address_entry = std::pair<const address_key, address_use>;

// Counts a connection against server_options::max_connections and against its remote
// address's share while it lives.
class connection_slot {
public:
    // Counted at once; admitted() says whether the limits allow it.
    connection_slot(std::shared_ptr<server_core> core, const asio::ip::address& remote);
    connection_slot(connection_slot&& o) noexcept
        : core_(std::move(o.core_)), address_(o.address_), tls_(std::move(o.tls_)), auth_(std::move(o.auth_)) {}
    connection_slot& operator=(connection_slot&&) = delete;
    ~connection_slot();
    server_core& core() const noexcept { return *core_; }
    const std::shared_ptr<server_core>& core_ptr() const noexcept { return core_; }
    address_entry& address() const noexcept { return *address_; }
    // Why this connection is over a limit (server-wide or its address's), or null.
    const char* refusal() const noexcept;
    // The connection's TLS, if it came to the TLS listener: it goes where the slot goes
    // (the HTTP phase, then the carrier), which encrypts and decrypts through it.
    tls_layer* tls() const noexcept { return tls_.get(); }
    void secure(std::shared_ptr<tls_layer> t) noexcept { tls_ = std::move(t); }
    // What server::on_authorize answered for the request being served (null: there is
    // no hook): the principal a session it opens belongs to, or that it must own.
    const authorization* authorized() const noexcept { return auth_.get(); }
    void authorized(std::shared_ptr<const authorization> a) noexcept { auth_ = std::move(a); }

private:
    std::shared_ptr<server_core> core_;
    address_entry* address_; // stays while counted (server_core::addresses_)
    std::shared_ptr<tls_layer> tls_;
    std::shared_ptr<const authorization> auth_;
};

} // namespace switchboard::detail

#endif
