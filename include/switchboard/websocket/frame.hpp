// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_WEBSOCKET_FRAME_HPP
#define SWITCHBOARD_WEBSOCKET_FRAME_HPP

// The server half's own RFC 6455 frame path: after Beast's HTTP upgrade the server
// reads client frames with this parser and writes unmasked frames itself, so that an
// idle connection holds no buffers and a published payload is shared by every
// subscriber (a frame is a small header plus the shared bytes).

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/sha1.hpp>
#include <switchboard/detail/utf8.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace switchboard::detail::websocket {

enum class opcode : std::uint8_t { cont = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close status codes (RFC 6455 section 7.4.1).
enum close_code : std::uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    no_status = 1005,
    invalid_payload = 1007,
    policy_violation = 1008,
    message_too_big = 1009,
    internal_error = 1011,
    try_again_later = 1013,
};

// The largest header of a server frame: 2 bytes + 8 bytes of extended length.
inline constexpr std::size_t max_header_size = 10;

// Writes the header of an unmasked frame carrying `len` payload bytes; returns its size.
inline std::size_t encode_header(std::uint8_t* out, opcode op, std::uint64_t len, bool fin = true) noexcept {
    out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(op));
    if (len < 126) {
        out[1] = static_cast<std::uint8_t>(len);
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = static_cast<std::uint8_t>(len >> 8);
        out[3] = static_cast<std::uint8_t>(len);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(len >> (56 - 8 * i));
    return 10;
}

// The payload of a close frame: the code in network order, then the reason (at most
// 123 bytes, cut at a character boundary so that it stays valid UTF-8).
inline std::string close_payload(std::uint16_t code, std::string_view reason) {
    std::string out;
    out.push_back(static_cast<char>(code >> 8));
    out.push_back(static_cast<char>(code & 0xff));
    std::size_t n = std::min<std::size_t>(reason.size(), 123);
    while (n > 0 && n < reason.size() && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
    out.append(reason.substr(0, n));
    return out;
}

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 section 4.2.2).
inline std::string accept_key(std::string_view client_key) {
    std::string s(client_key);
    s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const auto digest = sha1(s);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

/* Parses the frames a client sends to a server (masked, RFC 6455 section 5).

   `parse` consumes every complete frame in a buffer, unmasking in place, and calls
   the handler:
     on_message(bool text, std::string_view payload)   a whole data message
     on_ping(std::string_view) / on_pong(std::string_view)
     on_close(std::uint16_t code, std::string_view reason)  (code 1005 when absent)
     on_error(std::uint16_t close_code, const char* reason)  then stops for good
   It returns the number of bytes consumed; the caller keeps the rest and calls again
   with more. A message larger than `max_message` fails with 1009 as soon as its
   header says so, before its payload is buffered. */
class frame_reader {
public:
    explicit frame_reader(std::size_t max_message) : max_message_(max_message) {}

    template <class Handler>
    std::size_t parse(char* data, std::size_t size, Handler& h) {
        std::size_t pos = 0;
        while (!failed_) {
            auto* p = reinterpret_cast<std::uint8_t*>(data + pos);
            const std::size_t avail = size - pos;
            if (avail < 2) break;
            const bool fin = p[0] & 0x80;
            const auto op = static_cast<opcode>(p[0] & 0x0f);
            const bool masked = p[1] & 0x80;
            std::uint64_t len = p[1] & 0x7f;
            // Judge what the first two bytes say before waiting for the rest.
            if (const char* why = check_header(p[0], masked, op, fin, len)) return fail(h, protocol_error, why);
            std::size_t header = 2;
            if (len == 126) header = 4;
            else if (len == 127) header = 10;
            header += 4; // the mask key
            if (avail < header) break;
            if (len == 126) {
                len = std::uint64_t(p[2]) << 8 | p[3];
                if (len < 126) return fail(h, protocol_error, "length not in its shortest form");
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; ++i) len = len << 8 | p[2 + i];
                if (len >> 63) return fail(h, protocol_error, "length with its most significant bit set");
                if (len <= 0xffff) return fail(h, protocol_error, "length not in its shortest form");
            }
            // message_size() <= max_message_ always: subtracting cannot wrap, adding could.
            if (is_data(op) && len > max_message_ - message_size()) return fail(h, message_too_big, "message too big");
            if (avail - header < len) break;
            char* payload = data + pos + header;
            unmask(payload, static_cast<std::size_t>(len), p + header - 4);
            pos += header + static_cast<std::size_t>(len);
            if (!on_frame(h, op, fin, std::string_view(payload, static_cast<std::size_t>(len)))) return pos;
        }
        return pos;
    }

    bool failed() const noexcept { return failed_; }

    // Whether a fragmented message is being assembled (its bytes are held).
    bool busy() const noexcept { return in_message_; }

private:
    static bool is_data(opcode op) noexcept { return op == opcode::cont || op == opcode::text || op == opcode::binary; }

    std::size_t message_size() const noexcept { return in_message_ ? message_.size() : 0; }

    const char* check_header(std::uint8_t b0, bool masked, opcode op, bool fin, std::uint64_t len) const noexcept {
        if (b0 & 0x70) return "reserved bits set";
        if (!masked) return "client frame not masked";
        switch (op) {
        case opcode::cont:
            if (!in_message_) return "continuation without a message";
            return nullptr;
        case opcode::text:
        case opcode::binary:
            if (in_message_) return "new message inside a fragmented message";
            return nullptr;
        case opcode::close:
        case opcode::ping:
        case opcode::pong:
            if (!fin) return "fragmented control frame";
            if (len > 125) return "control frame too long";
            return nullptr;
        }
        return "reserved opcode";
    }

    static void unmask(char* p, std::size_t n, const std::uint8_t* key) noexcept {
        for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(static_cast<std::uint8_t>(p[i]) ^ key[i & 3]);
    }

    template <class Handler>
    std::size_t fail(Handler& h, std::uint16_t code, const char* why) {
        failed_ = true;
        message_ = std::string();
        h.on_error(code, why);
        return 0;
    }

    // Returns false when parsing must stop (an error or a close).
    template <class Handler>
    bool on_frame(Handler& h, opcode op, bool fin, std::string_view payload) {
        switch (op) {
        case opcode::ping: h.on_ping(payload); return !failed_;
        case opcode::pong: h.on_pong(payload); return !failed_;
        case opcode::close: return on_close(h, payload);
        default: break;
        }
        if (op != opcode::cont) {
            text_ = op == opcode::text;
            utf8_.reset();
        }
        if (text_ && !utf8_.feed(payload)) {
            fail(h, invalid_payload, "invalid UTF-8 in a text message");
            return false;
        }
        if (!fin) {
            if (!in_message_) message_.clear();
            in_message_ = true;
            message_.append(payload);
            return true;
        }
        if (text_ && !utf8_.complete()) {
            fail(h, invalid_payload, "invalid UTF-8 in a text message");
            return false;
        }
        if (in_message_) {
            message_.append(payload);
            in_message_ = false;
            std::string whole = std::move(message_);
            message_ = std::string();
            h.on_message(text_, std::string_view(whole));
        } else {
            h.on_message(text_, payload);
        }
        return !failed_;
    }

    template <class Handler>
    bool on_close(Handler& h, std::string_view payload) {
        if (payload.size() == 1) {
            fail(h, protocol_error, "close frame with a one-byte payload");
            return false;
        }
        std::uint16_t code = no_status;
        std::string_view reason;
        if (payload.size() >= 2) {
            code = static_cast<std::uint16_t>(static_cast<std::uint8_t>(payload[0]) << 8 |
                                              static_cast<std::uint8_t>(payload[1]));
            reason = payload.substr(2);
            const bool valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                               (code >= 3000 && code <= 4999);
            if (!valid) {
                fail(h, protocol_error, "invalid close code");
                return false;
            }
            if (!is_valid_utf8(reason)) {
                fail(h, invalid_payload, "invalid UTF-8 in the close reason");
                return false;
            }
        }
        failed_ = true; // nothing is read after a close
        h.on_close(code, reason);
        return false;
    }

    std::size_t max_message_;
    std::string message_;
    utf8_validator utf8_;
    bool in_message_ = false;
    bool text_ = false;
    bool failed_ = false;
};

} // namespace switchboard::detail::websocket

#endif
