// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)

// The small parsers: URLs (detail/url.hpp), query strings (detail/query.hpp), base64
// (detail/base64.hpp) and UTF-8 validation (detail/utf8.hpp). The first byte picks
// one (modulo 4); the rest is its input.

#include "check.hpp"

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/query.hpp>
#include <switchboard/detail/url.hpp>
#include <switchboard/detail/utf8.hpp>

#include <stdexcept>
#include <string>

namespace sb = switchboard::detail;

namespace {

void url(std::string_view s) {
    sb::url u;
    try {
        u = sb::parse_url(s);
    } catch (const std::invalid_argument&) {
        return;
    }
    SB_FUZZ_CHECK(u.scheme == "ws" || u.scheme == "wss" || u.scheme == "http" || u.scheme == "https");
    SB_FUZZ_CHECK(u.secure() == (u.scheme == "wss" || u.scheme == "https"));
    SB_FUZZ_CHECK(!u.host.empty());
    const auto port = sb::parse_u64(u.port);
    SB_FUZZ_CHECK(port && *port >= 1 && *port <= 65535);
    SB_FUZZ_CHECK(!u.path.empty() && u.path[0] == '/' && u.path.find_first_of("?#") == std::string::npos);
    SB_FUZZ_CHECK(u.query.find('#') == std::string::npos);
    SB_FUZZ_CHECK(u.target("sb=1").ends_with("sb=1"));
    // What the client sends (Host and target) reads back as the same URL. A host with
    // brackets of its own ("ws://[[x]/" gives "[x") is the parser's leniency, not checked.
    if (u.host.find_first_of("[]") != std::string::npos) return;
    const auto back = sb::parse_url(u.scheme + "://" + u.authority() + u.target());
    SB_FUZZ_CHECK(back.scheme == u.scheme && back.host == u.host && back.port == u.port);
    SB_FUZZ_CHECK(back.path == u.path && back.query == u.query);
}

void query(std::string_view s) {
    if (const auto d = sb::percent_decode(s)) {
        SB_FUZZ_CHECK(d->size() <= s.size());
        SB_FUZZ_CHECK(sb::percent_decode(sb::percent_encode(*d)) == d);
    }
    for (std::string_view name : {"sb", "token", "last", ""}) {
        if (const auto v = sb::query_param(s, name)) SB_FUZZ_CHECK(v->size() <= s.size());
    }
    if (const auto n = sb::parse_u64(s)) SB_FUZZ_CHECK(!s.empty() && sb::parse_u64(std::to_string(*n)) == n);
    const auto [path, q] = sb::split_target(s);
    SB_FUZZ_CHECK(path.size() + q.size() + (s.find('?') != std::string_view::npos) == s.size());
}

void base64(std::string_view s) {
    const std::string e = sb::base64_encode(s);
    SB_FUZZ_CHECK(e.size() == (s.size() + 2) / 3 * 4);
    SB_FUZZ_CHECK(sb::base64_decode(e) == std::string(s));
    if (const auto d = sb::base64_decode(s)) {
        // Padded input of 4k characters with p '=' decodes to 3k - p bytes.
        const std::size_t pad = s.ends_with("==") ? 2 : s.ends_with("=") ? 1 : 0;
        SB_FUZZ_CHECK(s.size() % 4 == 0 && d->size() == s.size() / 4 * 3 - pad);
        SB_FUZZ_CHECK(sb::base64_decode(sb::base64_encode(*d)) == *d);
    }
}

// An independent reading of RFC 3629, to compare the validator with.
bool reference_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        std::uint32_t cp = n == 1 ? c : c & (0x7f >> n);
        for (std::size_t k = 1; k < n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = cp << 6 | (d & 0x3f);
        }
        const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n;
    }
    return true;
}

void utf8(std::string_view s) {
    const bool whole = sb::is_valid_utf8(s);
    SB_FUZZ_CHECK(whole == reference_utf8(s));
    const std::size_t cut = s.empty() ? 0 : static_cast<unsigned char>(s[0]) % (s.size() + 1);
    sb::utf8_validator v;
    const bool first = v.feed(s.substr(0, cut));
    const bool pieces = first && v.feed(s.substr(cut)) && v.complete();
    SB_FUZZ_CHECK(pieces == whole);
    // A prefix that fails is not valid, whatever follows.
    if (!first) SB_FUZZ_CHECK(!whole);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view s = sb_fuzz::view(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0: url(s); break;
    case 1: query(s); break;
    case 2: base64(s); break;
    default: utf8(s); break;
    }
    return 0;
}
