// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)

// The body of an upstream POST (SSE session mode): "<len>:<frame>" repeated, read as
// server_session::on_post reads it (impl/server.ipp): next_framed, then parse, then the
// inbound sequencer for events and gaps. The loop must end, never read past the body,
// re-encode the consumed prefix exactly (append_framed), and deliver each event at
// most once and in order, reporting every skipped range exactly once.

#include "check.hpp"

#include <switchboard/detail/protocol.hpp>
#include <switchboard/session/inbound_sequencer.hpp>

#include <string>

namespace proto = switchboard::detail::proto;

namespace {

// Checks what the sequencer says against a plain model: numbers only go up, and every
// number is either delivered or inside a reported gap, once.
struct sequence_model {
    switchboard::inbound_sequencer in;
    switchboard::sequence_number last = 0;

    void event(switchboard::sequence_number seq) {
        const auto v = in.accept(seq);
        SB_FUZZ_CHECK(v.deliver == (seq > last));
        if (!v.deliver) {
            SB_FUZZ_CHECK(!v.missed);
            return;
        }
        SB_FUZZ_CHECK(v.missed.has_value() == (seq > last + 1));
        if (v.missed) SB_FUZZ_CHECK(v.missed->first == last + 1 && v.missed->last == seq - 1);
        last = seq;
        SB_FUZZ_CHECK(in.last_delivered() == last);
    }
    void gap(switchboard::gap g) {
        const auto reported = in.skip(g);
        SB_FUZZ_CHECK(reported.has_value() == (g.last > last));
        if (reported) {
            // Everything skipped and never delivered: a notice that starts further on
            // skips the numbers before it too.
            SB_FUZZ_CHECK(reported->first == last + 1 && reported->last == g.last);
            SB_FUZZ_CHECK(reported->first <= reported->last);
            last = g.last;
        }
        SB_FUZZ_CHECK(in.last_delivered() == last);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = sb_fuzz::view(data, size);
    std::string_view body = input;
    std::string_view frame;
    std::string again; // the consumed frames, framed anew
    sequence_model model;
    while (!body.empty()) {
        const std::size_t before = body.size();
        if (!proto::next_framed(body, frame)) break;
        // At least "0:" is consumed each turn, so the loop ends; nothing past the body.
        SB_FUZZ_CHECK(body.size() + 2 <= before);
        SB_FUZZ_CHECK(frame.data() >= input.data() && frame.data() + frame.size() <= input.data() + input.size());
        SB_FUZZ_CHECK(body.data() == frame.data() + frame.size());
        proto::append_framed(again, frame);
        SB_FUZZ_CHECK(again == input.substr(0, input.size() - body.size()));
        const auto f = proto::parse(frame);
        if (!f || f->k == proto::kind::welcome) break; // on_post refuses the body here
        if (f->k == proto::kind::event) {
            SB_FUZZ_CHECK(f->a != 0);
            // A POST carries raw bytes: the data is the body, binary or not.
            SB_FUZZ_CHECK(proto::event_data(*f, false) == std::string(f->body));
            model.event(f->a);
        } else if (f->k == proto::kind::gap) {
            SB_FUZZ_CHECK(f->a != 0 && f->a <= f->b);
            model.gap({f->a, f->b});
        } else if (f->k == proto::kind::close) {
            break; // the session ends
        }
    }
    // The answer acknowledges what was delivered: a well-formed ack frame, framed.
    std::string answer;
    proto::append_framed(answer, proto::encode_ack(model.in.last_delivered()));
    std::string_view rest = answer;
    SB_FUZZ_CHECK(proto::next_framed(rest, frame) && rest.empty());
    const auto ack = proto::parse(frame);
    SB_FUZZ_CHECK(ack && ack->k == proto::kind::ack && ack->a == model.last);
    return 0;
}
