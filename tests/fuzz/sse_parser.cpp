// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)

// The WHATWG event-stream parser (sse/parser.hpp). Input: one byte that seeds the chunk
// sizes, then the stream. The stream is fed whole, one byte at a time and in chunks of
// varying sizes: every chunking must give the same events, retries, comments, error
// and last event id; and what the parser reports is decoded text (valid UTF-8, no CR,
// LF only inside data) within the limits.

#include "check.hpp"

#include <switchboard/detail/utf8.hpp>
#include <switchboard/sse/parser.hpp>

#include <string>

using switchboard::detail::is_valid_utf8;

namespace {

constexpr std::size_t max_line = 512;
constexpr std::size_t max_event = 2048;

bool one_line(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

struct outcome {
    std::string log;
    switchboard::error_code ec;

    void on_event(switchboard::event e) {
        SB_FUZZ_CHECK(!e.type.empty() && one_line(e.type) && is_valid_utf8(e.type));
        SB_FUZZ_CHECK(e.data.size() < max_event && is_valid_utf8(e.data));
        SB_FUZZ_CHECK(e.data.find('\r') == std::string::npos);
        SB_FUZZ_CHECK(one_line(e.id) && is_valid_utf8(e.id) && e.id.find('\0') == std::string::npos);
        SB_FUZZ_CHECK(!e.binary);
        log += "E" + e.type + '\0' + e.data + '\0' + e.id + '\0';
    }
    void on_retry(std::chrono::milliseconds ms) {
        SB_FUZZ_CHECK(ms.count() >= 0 && ms.count() <= 1'000'000'000'000);
        log += "R" + std::to_string(ms.count()) + '\0';
    }
    void on_comment(std::string_view c) {
        SB_FUZZ_CHECK(c.size() < max_line && one_line(c) && is_valid_utf8(c));
        log += "C";
        log += c;
        log += '\0';
    }
};

// Feeds `stream` in chunks whose sizes `next_size()` gives (0: the rest).
template <class NextSize>
outcome parse(std::string_view stream, NextSize next_size) {
    switchboard::detail::sse_parser p{max_line, max_event};
    outcome o;
    while (!stream.empty() && !o.ec) {
        const std::size_t n = next_size();
        o.ec = p.feed(stream.substr(0, n == 0 ? stream.size() : n), o);
        stream.remove_prefix(n == 0 ? stream.size() : std::min(n, stream.size()));
    }
    SB_FUZZ_CHECK(!o.ec || o.ec == switchboard::error::line_too_long || o.ec == switchboard::error::message_too_big);
    // A failed parser ignores further input.
    if (o.ec) SB_FUZZ_CHECK(p.feed("data: x\n\n", o) == o.ec);
    p.end_of_stream();
    SB_FUZZ_CHECK(one_line(p.last_event_id()) && is_valid_utf8(p.last_event_id()));
    o.log += "I" + p.last_event_id() + "/" + o.ec.message();
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view stream = sb_fuzz::view(data + 1, size - 1);
    const outcome whole = parse(stream, [] { return std::size_t{0}; });
    const outcome bytes = parse(stream, [] { return std::size_t{1}; });
    std::uint32_t state = data[0];
    const outcome varied = parse(stream, [&] {
        state = state * 1103515245u + 12345u;
        return std::size_t{1} + (state >> 16) % 37;
    });
    SB_FUZZ_CHECK(whole.log == bytes.log && whole.ec == bytes.ec);
    SB_FUZZ_CHECK(whole.log == varied.log && whole.ec == varied.ec);
    return 0;
}
