// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)

// The server's WebSocket frame reader (websocket/frame.hpp), fed as a connection feeds
// it: unconsumed bytes are kept and parse is called again with more. Input: two bytes
// that choose a split point, then the client's byte stream. The stream is fed whole
// and split in two; both must report the same events, and the reports must keep the
// reader's promises (limits, UTF-8, nothing after a close or an error, bounded memory).

#include "check.hpp"

#include <switchboard/websocket/frame.hpp>

#include <string>

namespace ws = switchboard::detail::websocket;
using switchboard::detail::is_valid_utf8;

namespace {

constexpr std::size_t max_message = 4096;

// The most bytes a reader that has not failed may leave unconsumed: part of one frame
// whose header (at most 14 bytes with the mask) said that it fits the limit.
constexpr std::size_t max_pending = max_message + 14;

bool valid_close_code(std::uint16_t c) {
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

// Checks each report as it comes and logs it, for the comparison of two feedings.
struct recorder {
    std::string log;
    bool ended = false; // on_error or on_close came: nothing may follow

    void note(char what, std::string_view payload) {
        SB_FUZZ_CHECK(!ended);
        log += what;
        log += std::to_string(payload.size());
        log += ':';
        log += payload;
    }
    void on_message(bool text, std::string_view p) {
        SB_FUZZ_CHECK(p.size() <= max_message);
        SB_FUZZ_CHECK(!text || is_valid_utf8(p));
        note(text ? 'T' : 'B', p);
    }
    void on_ping(std::string_view p) {
        SB_FUZZ_CHECK(p.size() <= 125);
        note('i', p);
    }
    void on_pong(std::string_view p) {
        SB_FUZZ_CHECK(p.size() <= 125);
        note('o', p);
    }
    void on_close(std::uint16_t code, std::string_view reason) {
        SB_FUZZ_CHECK(code == ws::no_status ? reason.empty() : valid_close_code(code));
        SB_FUZZ_CHECK(reason.size() <= 123 && is_valid_utf8(reason));
        note('c', std::to_string(code));
        ended = true;
    }
    void on_error(std::uint16_t code, const char* why) {
        SB_FUZZ_CHECK(code == ws::protocol_error || code == ws::invalid_payload || code == ws::message_too_big);
        SB_FUZZ_CHECK(why != nullptr);
        note('e', std::to_string(code));
        ended = true;
    }
};

// Feeds `first`, then `second`, then (a peer that keeps sending) a padding longer than
// any frame the reader may wait for; returns the log of what was reported.
std::string feed(std::string_view first, std::string_view second) {
    ws::frame_reader reader{max_message};
    recorder r;
    std::string pending;
    const std::string padding(max_pending + 1, '\0');
    for (std::string_view piece : {first, second, std::string_view(padding)}) {
        if (reader.failed()) break;
        pending.append(piece);
        const std::size_t used = reader.parse(pending.data(), pending.size(), r);
        SB_FUZZ_CHECK(used <= pending.size());
        SB_FUZZ_CHECK(reader.failed() == r.ended);
        pending.erase(0, used);
        // A reader that waits for more than this would make the server buffer without
        // bound (websocket_server.ipp keeps the unconsumed bytes).
        SB_FUZZ_CHECK(reader.failed() || pending.size() <= max_pending);
    }
    return r.log;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::string_view stream = sb_fuzz::view(data + 2, size - 2);
    const std::size_t cut = (std::size_t{data[0]} << 8 | data[1]) % (stream.size() + 1);
    const std::string whole = feed(stream, {});
    const std::string split = feed(stream.substr(0, cut), stream.substr(cut));
    SB_FUZZ_CHECK(whole == split);
    return 0;
}
