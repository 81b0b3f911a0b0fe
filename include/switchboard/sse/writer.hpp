// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SSE_WRITER_HPP
#define SWITCHBOARD_SSE_WRITER_HPP

// Writing `text/event-stream`: the inverse of sse_parser for every event whose data has
// no CR (an event stream cannot carry a bare CR: readers turn CR and CRLF into LF).

#include <chrono>
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
