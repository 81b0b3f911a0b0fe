// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_BASE64_HPP
#define SWITCHBOARD_DETAIL_BASE64_HPP

#include <switchboard/config.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace switchboard::detail {

// RFC 4648 base64 with padding: how binary events cross text-only carriers and JSON.
SWITCHBOARD_DECL std::string base64_encode(std::string_view bytes);

// Decodes padded RFC 4648 base64; nothing on any invalid character or length.
SWITCHBOARD_DECL std::optional<std::string> base64_decode(std::string_view text);

} // namespace switchboard::detail

#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/base64.ipp>
#endif

#endif
