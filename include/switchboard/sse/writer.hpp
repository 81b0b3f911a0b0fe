// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SSE_WRITER_HPP
#define SWITCHBOARD_SSE_WRITER_HPP

// Writing `text/event-stream`: the inverse of sse_parser for every event whose data has
// no CR (an event stream cannot carry a bare CR: readers turn CR and CRLF into LF).

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/protocol.hpp>
#include <switchboard/event.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <string_view>

namespace switchboard::detail {

// Appends one event: `id:` (when not empty), `event:` (unless "message"), one `data:`
// line per line of `data` (split at LF, CR and CRLF), and the blank line that
// dispatches it. `type` and `id` must not contain CR or LF.
inline void append_sse_event(std::string& out, std::string_view type, std::string_view data, std::string_view id) {
    if (!id.empty()) {
        out += "id: ";
        out += id;
        out += '\n';
    }
    if (type != "message") {
        out += "event: ";
        out += type;
        out += '\n';
    }
    std::size_t start = 0;
    for (;;) {
        const auto end = data.find_first_of("\r\n", start);
        out += "data: ";
        out += data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        out += '\n';
        if (end == std::string_view::npos) break;
        start = end + (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n' ? 2 : 1);
    }
    out += '\n';
}

// Session mode (docs/protocol.md): how an event's data travels as SSE. Text without a
// CR goes verbatim (0); binary data ('b') and text with a CR ('e') go as base64, with
// the flag on the id.
inline char sse_session_flag(const event& ev) noexcept {
    if (ev.binary) return 'b';
    return std::memchr(ev.data.data(), '\r', ev.data.size()) ? 'e' : 0;
}

// A session-mode id line, "id: <token>-<seq>[flag]": a reconnecting EventSource sends it
// back as Last-Event-ID, which is all a server needs to resume the session.
inline void append_sse_session_id(std::string& out, std::string_view token, sequence_number seq, char flag) {
    out += "id: ";
    out += token;
    out += '-';
    proto::append_number(out, seq);
    if (flag) out += flag;
    out += '\n';
}

// A whole session-mode event: its id, type and data (copied; a stream shares the data
// of the common case instead).
inline void append_sse_session_event(std::string& out, std::string_view token, sequence_number seq, const event& ev) {
    const char flag = sse_session_flag(ev);
    append_sse_session_id(out, token, seq, flag);
    if (flag) append_sse_event(out, ev.type, base64_encode(ev.data), {});
    else append_sse_event(out, ev.type, ev.data, {});
}

// A session control frame (welcome, ack, gap, close) as an event of the reserved type
// "switchboard"; a CR or LF in it (a close reason) becomes a space.
inline void append_sse_control(std::string& out, std::string_view frame) {
    out += "event: ";
    out += proto::sse_control_type;
    out += "\ndata: ";
    const auto start = out.size();
    out += frame;
    for (auto i = start; i < out.size(); ++i)
        if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
    out += "\n\n";
}

// A comment line (a heartbeat): readers ignore it, proxies see traffic.
inline std::string sse_comment(std::string_view text = {}) {
    std::string out(":");
    out += text;
    out += '\n';
    return out;
}

// A `retry:` field: the reconnection delay a reader should use.
inline std::string sse_retry(std::chrono::milliseconds delay) {
    return "retry: " + std::to_string(delay.count()) + "\n";
}

} // namespace switchboard::detail

#endif
