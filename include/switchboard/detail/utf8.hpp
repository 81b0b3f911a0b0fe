// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_UTF8_HPP
#define SWITCHBOARD_DETAIL_UTF8_HPP

#include <cstdint>
#include <string_view>

namespace switchboard::detail {

// For a UTF-8 lead byte: how many continuation bytes follow (`need`) and the range the
// first of them must fall in (`lo`..`hi`; the later ones are 0x80..0xBF). False for a
// byte that cannot start a character (RFC 3629: no overlongs, surrogates, > U+10FFFF).
constexpr bool utf8_lead(unsigned char c, std::uint8_t& need, std::uint8_t& lo, std::uint8_t& hi) noexcept {
    if (c >= 0xC2 && c <= 0xDF) need = 1, lo = 0x80, hi = 0xBF;
    else if (c == 0xE0) need = 2, lo = 0xA0, hi = 0xBF;
    else if (c == 0xED) need = 2, lo = 0x80, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) need = 2, lo = 0x80, hi = 0xBF;
    else if (c == 0xF0) need = 3, lo = 0x90, hi = 0xBF;
    else if (c >= 0xF1 && c <= 0xF3) need = 3, lo = 0x80, hi = 0xBF;
    else if (c == 0xF4) need = 3, lo = 0x80, hi = 0x8F;
    else return false;
    return true;
}

// Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above
// U+10FFFF) that accepts input in pieces split anywhere, as WebSocket fragments are.
class utf8_validator {
public:
    // Feeds more bytes; false as soon as they cannot be part of valid UTF-8.
    bool feed(std::string_view s) noexcept {
        for (unsigned char c : s) {
            if (need_ == 0) {
                if (c < 0x80) continue;
                if (!utf8_lead(c, need_, lo_, hi_)) return fail();
            } else {
                if (c < lo_ || c > hi_) return fail();
                lo_ = 0x80, hi_ = 0xBF;
                --need_;
            }
        }
        return true;
    }

    // Whether the input so far ends on a character boundary (call at the end).
    bool complete() const noexcept { return need_ == 0; }

    void reset() noexcept { need_ = 0, lo_ = 0x80, hi_ = 0xBF; }

private:
    bool fail() noexcept {
        need_ = 0xff; // stays failed until reset
        lo_ = 1, hi_ = 0;
        return false;
    }
    std::uint8_t need_ = 0;
    std::uint8_t lo_ = 0x80;
    std::uint8_t hi_ = 0xBF;
};

// Whether `s` is entirely valid UTF-8.
inline bool is_valid_utf8(std::string_view s) noexcept {
    utf8_validator v;
    return v.feed(s) && v.complete();
}

} // namespace switchboard::detail

#endif
