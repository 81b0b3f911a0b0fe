// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_PROTOCOL_HPP
#define SWITCHBOARD_DETAIL_PROTOCOL_HPP

// The session frames of docs/protocol.md section 5, independent of any carrier:
//   E<seq> <t|b> <type>\n<data>   event
//   A<seq>                         acknowledgement
//   G<first> <last>                gap notice
//   W<json>                        welcome (server to client)
//   H                              heartbeat
//   C<code> <reason>               close

#include <switchboard/detail/base64.hpp>
#include <switchboard/event.hpp>
#include <switchboard/session/sequence.hpp>
#include <switchboard/version.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <limits>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::detail::proto {

enum class kind : char { event = 'E', ack = 'A', gap = 'G', welcome = 'W', heartbeat = 'H', close = 'C' };

// A frame read from the wire; views point into the message it was parsed from.
struct frame {
    kind k = kind::heartbeat;
    sequence_number a = 0; // event: seq; ack: seq; gap: first; close: code
    sequence_number b = 0; // gap: last
    bool binary = false;   // event: the data is bytes (raw on binary carriers, else base64)
    std::string_view type; // event: type
    std::string_view body; // event: data; welcome: json; close: reason
};

// What the server announces when a connection opens or resumes a session.
struct welcome {
    std::string token;
    sequence_number last = 0; // the last client event the server delivered
    bool resumed = false;
    std::chrono::milliseconds heartbeat{0};
    std::chrono::milliseconds timeout{0};
    std::size_t max_message = 0;
};

// The SSE event type of session control frames (welcome, ack, gap, close); reserved
// in session mode on every carrier, so that code moves between carriers unchanged.
inline constexpr std::string_view sse_control_type = "switchboard";

// Whether `type` can be carried in an event header (no CR or LF).
inline bool valid_type(std::string_view type) noexcept {
    return type.find_first_of("\r\n") == std::string_view::npos && type != sse_control_type;
}

// The type an event frame's type field stands for: "" is "message", as on SSE.
inline std::string event_type(std::string_view type) { return type.empty() ? "message" : std::string(type); }

inline void append_number(std::string& out, std::uint64_t v) {
    char buf[20]; // the digits of 2^64 - 1
    std::size_t n = 0;
    do {
        buf[sizeof buf - ++n] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out.append(buf + sizeof buf - n, n);
}

// "E<seq> <t|b> <type>\n": the per-receiver part of an event frame; the data follows.
inline std::string event_header(sequence_number seq, std::string_view type, bool binary) {
    std::string out;
    out.reserve(type.size() + 26);
    out.push_back('E');
    append_number(out, seq);
    out += binary ? " b " : " t ";
    out += type;
    out.push_back('\n');
    return out;
}

inline std::string encode_ack(sequence_number seq) {
    std::string out("A");
    append_number(out, seq);
    return out;
}

inline std::string encode_gap(gap g) {
    std::string out("G");
    append_number(out, g.first);
    out.push_back(' ');
    append_number(out, g.last);
    return out;
}

inline std::string encode_close(std::uint16_t code, std::string_view reason) {
    std::string out("C");
    append_number(out, code);
    out.push_back(' ');
    out += reason;
    return out;
}

inline std::string encode_welcome(const welcome& w) {
    const nlohmann::json j{{"v", protocol_version},
                           {"token", w.token},
                           {"last", w.last},
                           {"resumed", w.resumed},
                           {"heartbeat", w.heartbeat.count()},
                           {"timeout", w.timeout.count()},
                           {"max_message", w.max_message}};
    std::string out(1, 'W');
    out += j.dump();
    return out;
}

// Whether a session token is safe to carry in a URL query and an SSE id: 1 to 128
// URL-unreserved characters (the server makes 32 hex digits).
inline bool valid_token(std::string_view t) noexcept {
    if (t.empty() || t.size() > 128) return false;
    for (char c : t)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' ||
              c == '_' || c == '~'))
            return false;
    return true;
}

// Reads a welcome's JSON. Every field must be there with its type and a number in its
// range: nothing a server sends makes this throw or convert a number out of range.
inline std::optional<welcome> parse_welcome(std::string_view body) {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    const auto number = [&](const char* name, std::uint64_t max, std::uint64_t& out) {
        const auto it = j.find(name);
        if (it == j.end() || !it->is_number_unsigned()) return false;
        out = it->get<std::uint64_t>();
        return out <= max;
    };
    constexpr std::uint64_t a_day_ms = 86'400'000;
    std::uint64_t v = 0, heartbeat = 0, timeout = 0, max_message = 0;
    welcome w;
    if (!number("v", protocol_version, v) || v != protocol_version || !number("last", ~std::uint64_t{0}, w.last) ||
        !number("heartbeat", a_day_ms, heartbeat) || !number("timeout", a_day_ms, timeout) ||
        !number("max_message", std::numeric_limits<std::size_t>::max(), max_message))
        return std::nullopt;
    const auto token = j.find("token");
    const auto resumed = j.find("resumed");
    if (token == j.end() || !token->is_string() || resumed == j.end() || !resumed->is_boolean()) return std::nullopt;
    w.token = token->get<std::string>();
    if (!valid_token(w.token)) return std::nullopt;
    w.resumed = resumed->get<bool>();
    w.heartbeat = std::chrono::milliseconds(heartbeat);
    w.timeout = std::chrono::milliseconds(timeout);
    w.max_message = static_cast<std::size_t>(max_message);
    return w;
}

// Reads a decimal number without sign or leading zeros at the start of `s`.
inline bool read_number(std::string_view& s, std::uint64_t& v) {
    if (s.empty() || (s[0] == '0' && s.size() > 1 && s[1] >= '0' && s[1] <= '9')) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{}) return false;
    s.remove_prefix(static_cast<std::size_t>(r.ptr - s.data()));
    return true;
}

inline bool eat(std::string_view& s, char c) {
    if (s.empty() || s[0] != c) return false;
    s.remove_prefix(1);
    return true;
}

// Parses one session frame; nothing when it is malformed.
inline std::optional<frame> parse(std::string_view s) {
    if (s.empty()) return std::nullopt;
    frame f;
    f.k = static_cast<kind>(s[0]);
    s.remove_prefix(1);
    switch (f.k) {
    case kind::event: {
        if (!read_number(s, f.a) || f.a == 0 || !eat(s, ' ') || s.size() < 2) return std::nullopt;
        if (s[0] != 't' && s[0] != 'b') return std::nullopt;
        f.binary = s[0] == 'b';
        s.remove_prefix(1);
        if (!eat(s, ' ')) return std::nullopt;
        const auto nl = s.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        f.type = s.substr(0, nl);
        // A peer may not send the reserved type: it would pass for a control frame on SSE.
        if (f.type.find('\r') != std::string_view::npos || f.type == sse_control_type) return std::nullopt;
        f.body = s.substr(nl + 1);
        return f;
    }
    case kind::ack:
        if (!read_number(s, f.a) || !s.empty()) return std::nullopt;
        return f;
    case kind::gap:
        if (!read_number(s, f.a) || !eat(s, ' ') || !read_number(s, f.b) || !s.empty() || f.a == 0 || f.b < f.a)
            return std::nullopt;
        return f;
    case kind::welcome: f.body = s; return f;
    case kind::heartbeat:
        if (!s.empty()) return std::nullopt;
        return f;
    case kind::close:
        if (!read_number(s, f.a) || f.a > 0xffff || !eat(s, ' ')) return std::nullopt;
        f.body = s;
        return f;
    }
    return std::nullopt;
}

// Bodies of HTTP requests and responses (SSE upstream, long-polling) carry several
// frames, each preceded by its length: "<bytes>:<frame>" (docs/protocol.md).
inline void append_framed(std::string& out, std::string_view frame) {
    append_number(out, frame.size());
    out.push_back(':');
    out += frame;
}

// An event frame, length-prefixed, its data verbatim (a body is bytes: binary data
// travels raw): the upstream POST body, and events on a POST's answer.
inline void append_framed_event(std::string& out, sequence_number seq, const event& e) {
    const auto header = event_header(seq, e.type, e.binary);
    append_number(out, header.size() + e.data.size());
    out.push_back(':');
    out += header;
    out += e.data;
}

// Takes the next length-prefixed frame off `body`; false when it is malformed.
inline bool next_framed(std::string_view& body, std::string_view& frame) {
    std::uint64_t n = 0;
    if (!read_number(body, n) || !eat(body, ':') || n > body.size()) return false;
    frame = body.substr(0, n);
    body.remove_prefix(n);
    return true;
}

// The bytes of an event frame's data: verbatim, or base64-decoded when a binary event
// came on a text-only channel (`text_channel`). Nothing when the base64 is invalid.
inline std::optional<std::string> event_data(const frame& f, bool text_channel) {
    if (f.k != kind::event) return std::string();
    if (f.binary && text_channel) return base64_decode(f.body);
    return std::string(f.body);
}

} // namespace switchboard::detail::proto

#endif
