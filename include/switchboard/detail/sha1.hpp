// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_SHA1_HPP
#define SWITCHBOARD_DETAIL_SHA1_HPP

#include <switchboard/config.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace switchboard::detail {

// SHA-1 (FIPS 180-4). Used only for the WebSocket handshake's Sec-WebSocket-Accept,
// where RFC 6455 requires it; not for anything that needs a secure hash.
SWITCHBOARD_DECL std::array<std::uint8_t, 20> sha1(std::string_view data);

} // namespace switchboard::detail

#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/sha1.ipp>
#endif

#endif
