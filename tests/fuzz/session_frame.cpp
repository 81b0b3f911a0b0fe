// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)

// The session frames of docs/protocol.md (detail/protocol.hpp): the input is one frame,
// as a WebSocket message or an SSE event's data carries it. A frame that parses must
// be well formed, and the canonical kinds (event, ack, gap, heartbeat, close) must
// re-encode to the very input; a welcome that parses must survive encode_welcome.

#include "check.hpp"

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/protocol.hpp>

#include <string>

namespace proto = switchboard::detail::proto;

namespace {

void check_event(const proto::frame& f, std::string_view input) {
    SB_FUZZ_CHECK(f.a != 0);
    SB_FUZZ_CHECK(proto::valid_type(f.type)); // no CR or LF, not the reserved SSE type
    SB_FUZZ_CHECK(proto::event_header(f.a, f.type, f.binary) + std::string(f.body) == input);
    // On a binary carrier the data is the body; on a text carrier a binary event's
    // body is base64, which decodes to 3 bytes per 4 characters at most.
    SB_FUZZ_CHECK(proto::event_data(f, false) == std::string(f.body));
    const auto data = proto::event_data(f, true);
    if (!f.binary) {
        SB_FUZZ_CHECK(data == std::string(f.body));
    } else if (data) {
        SB_FUZZ_CHECK(f.body.size() % 4 == 0 && data->size() <= f.body.size() / 4 * 3);
        SB_FUZZ_CHECK(switchboard::detail::base64_decode(switchboard::detail::base64_encode(*data)) == *data);
    }
}

void check_welcome(std::string_view body) {
    const auto w = proto::parse_welcome(body);
    if (!w) return;
    const std::string again = proto::encode_welcome(*w);
    const auto f = proto::parse(again);
    SB_FUZZ_CHECK(f && f->k == proto::kind::welcome);
    const auto back = proto::parse_welcome(f->body);
    SB_FUZZ_CHECK(back.has_value());
    SB_FUZZ_CHECK(back->token == w->token && back->last == w->last && back->resumed == w->resumed);
    SB_FUZZ_CHECK(back->heartbeat == w->heartbeat && back->timeout == w->timeout);
    SB_FUZZ_CHECK(back->max_message == w->max_message);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = sb_fuzz::view(data, size);
    const auto f = proto::parse(input);
    if (!f) return 0;
    SB_FUZZ_CHECK(!input.empty() && static_cast<char>(f->k) == input[0]);
    switch (f->k) {
    case proto::kind::event: check_event(*f, input); break;
    case proto::kind::ack: SB_FUZZ_CHECK(proto::encode_ack(f->a) == input); break;
    case proto::kind::gap:
        SB_FUZZ_CHECK(f->a != 0 && f->a <= f->b);
        SB_FUZZ_CHECK(proto::encode_gap({f->a, f->b}) == input);
        break;
    case proto::kind::heartbeat: SB_FUZZ_CHECK(input == "H"); break;
    case proto::kind::close:
        // encode_close takes a 16-bit code; wider codes are the parser's leniency
        // (see the report), not a round-trip failure.
        if (f->a <= 0xffff)
            SB_FUZZ_CHECK(proto::encode_close(static_cast<std::uint16_t>(f->a), f->body) == input);
        break;
    case proto::kind::welcome:
        SB_FUZZ_CHECK(f->body == input.substr(1));
        check_welcome(f->body);
        break;
    }
    return 0;
}
