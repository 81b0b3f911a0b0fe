// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_QUERY_HPP
#define SWITCHBOARD_DETAIL_QUERY_HPP

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::detail {

// Splits a request target into its path and query ("/live?sb=1" -> "/live", "sb=1").
inline std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return {target, {}};
    return {target.substr(0, q), target.substr(q + 1)};
}

// Decodes %XX escapes and '+' (as space); nothing when an escape is malformed.
inline std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%') {
            unsigned v = 0;
            if (i + 2 >= s.size()) return std::nullopt;
            auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            if (r.ec != std::errc{} || r.ptr != s.data() + i + 3) return std::nullopt;
            out.push_back(static_cast<char>(v));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// Escapes everything but RFC 3986 unreserved characters.
inline std::string percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

// The decoded value of the first `name` parameter of a query string, if present.
inline std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const auto eq = part.find('=');
        if (part.substr(0, eq) != name) continue;
        return percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    }
    return std::nullopt;
}

// A decimal unsigned number, or nothing.
inline std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

// Whether a header field can be sent as given: its name an HTTP token, its value
// without CR, LF or NUL (nothing of it can end the field or start another).
inline bool sendable_header(std::string_view name, std::string_view value) noexcept {
    if (name.empty()) return false;
    for (unsigned char c : name)
        if (c <= 0x20 || c >= 0x7f || std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) != std::string_view::npos)
            return false;
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

} // namespace switchboard::detail

#endif
