// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SSE_PARSER_HPP
#define SWITCHBOARD_SSE_PARSER_HPP

// An incremental parser of `text/event-stream` (HTML Living Standard, "Server-sent
// events": parsing and interpreting an event stream). It accepts any chunking, one
// byte at a time included: UTF-8 is decoded with U+FFFD for every maximal ill-formed
// subsequence, even when a sequence is split across chunks; a leading BOM is dropped;
// CR, LF and CRLF end lines (a CR at the end of a chunk and an LF at the start of the
// next are one line end). Lines and events are bounded, with a clear error.

#include <switchboard/detail/utf8.hpp>
#include <switchboard/error.hpp>
#include <switchboard/event.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::detail {

class sse_parser {
public:
    // `max_line`: the longest line; `max_event`: the most data bytes of one event.
    explicit sse_parser(std::size_t max_line = 64u << 10, std::size_t max_event = 16u << 20)
        : max_line_(max_line), max_event_(max_event) {}

    /* Feeds the next bytes of the stream. The handler is called as the stream is
       interpreted:
         on_event(event)                 a dispatched event (type, data, id)
         on_retry(std::chrono::milliseconds)   a valid `retry` field
         on_comment(std::string_view)    a comment line (a heartbeat, typically)
       Returns error::line_too_long or error::message_too_big when a bound is crossed;
       the parser is then failed and ignores further input. */
    template <class Handler>
    error_code feed(std::string_view bytes, Handler& h) {
        if (failed_) return failed_;
        for (unsigned char c : bytes) {
            if (need_ == 0) {
                if (c < 0x80) {
                    if (auto ec = decoded(static_cast<char>(c), h)) return fail(ec);
                    continue;
                }
                if (!start_sequence(c)) {
                    if (auto ec = replacement(h)) return fail(ec);
                }
                continue;
            }
            if (c < lo_ || c > hi_) {
                // The sequence so far is a maximal ill-formed subpart: one U+FFFD, then
                // this byte starts afresh.
                need_ = 0;
                seq_len_ = 0;
                if (auto ec = replacement(h)) return fail(ec);
                if (c < 0x80) {
                    if (auto ec = decoded(static_cast<char>(c), h)) return fail(ec);
                } else if (!start_sequence(c)) {
                    if (auto ec = replacement(h)) return fail(ec);
                }
                continue;
            }
            seq_[seq_len_++] = static_cast<char>(c);
            lo_ = 0x80, hi_ = 0xBF;
            if (--need_ == 0) {
                const std::string_view ch(seq_, seq_len_);
                seq_len_ = 0;
                if (auto ec = decoded_sequence(ch, h)) return fail(ec);
            }
        }
        return {};
    }

    // The stream ended: an event not terminated by a blank line is discarded.
    void end_of_stream() noexcept {
        data_.clear();
        type_.clear();
        line_.clear();
        need_ = 0;
        seq_len_ = 0;
    }

    // The last event id in force (kept across events and, by the client, across
    // connections: sent back as Last-Event-ID).
    const std::string& last_event_id() const noexcept { return last_id_; }
    // A new connection goes on from the id the previous one left (WHATWG "last event ID").
    void set_last_event_id(std::string id) { last_id_ = std::move(id); }

private:
    static constexpr std::uint64_t max_retry_ms = 1'000'000'000'000ull;

    bool start_sequence(unsigned char c) noexcept {
        if (!utf8_lead(c, need_, lo_, hi_)) return false;
        seq_[0] = static_cast<char>(c);
        seq_len_ = 1;
        return true;
    }

    template <class Handler>
    error_code replacement(Handler& h) {
        return decoded_sequence("\xEF\xBF\xBD", h);
    }

    template <class Handler>
    error_code decoded_sequence(std::string_view ch, Handler& h) {
        after_cr_ = false;
        if (at_start_) {
            at_start_ = false;
            if (ch == "\xEF\xBB\xBF") return {}; // a leading BOM is not content
        }
        if (line_.size() + ch.size() > max_line_) return error::line_too_long;
        line_.append(ch);
        (void)h;
        return {};
    }

    // One decoded ASCII character.
    template <class Handler>
    error_code decoded(char c, Handler& h) {
        at_start_ = false;
        if (c == '\n' && after_cr_) {
            after_cr_ = false; // the LF of a CRLF
            return {};
        }
        after_cr_ = c == '\r';
        if (c == '\r' || c == '\n') return line(h);
        if (line_.size() + 1 > max_line_) return error::line_too_long;
        line_.push_back(c);
        return {};
    }

    template <class Handler>
    error_code line(Handler& h) {
        std::string l = std::move(line_);
        line_.clear();
        if (l.empty()) return dispatch(h);
        if (l[0] == ':') {
            h.on_comment(std::string_view(l).substr(1));
            return {};
        }
        const auto colon = l.find(':');
        std::string_view field = std::string_view(l).substr(0, colon);
        std::string_view value;
        if (colon != std::string::npos) {
            value = std::string_view(l).substr(colon + 1);
            if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
        }
        if (field == "event") {
            type_.assign(value);
        } else if (field == "data") {
            if (data_.size() + value.size() + 1 > max_event_) return error::message_too_big;
            data_.append(value);
            data_.push_back('\n');
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
        } else if (field == "retry") {
            if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos) {
                std::uint64_t ms = 0; // saturates: absurd values are capped, not wrapped
                for (char d : value) ms = std::min<std::uint64_t>(ms * 10 + static_cast<unsigned>(d - '0'), max_retry_ms);
                h.on_retry(std::chrono::milliseconds(static_cast<std::int64_t>(ms)));
            }
        }
        return {};
    }

    template <class Handler>
    error_code dispatch(Handler& h) {
        if (data_.empty()) {
            type_.clear();
            return {};
        }
        data_.pop_back(); // the LF after the last data line
        event e{.type = type_.empty() ? std::string("message") : std::move(type_),
                .data = std::move(data_),
                .binary = false,
                .id = last_id_};
        data_.clear();
        type_.clear();
        h.on_event(std::move(e));
        return {};
    }

    error_code fail(error_code ec) {
        failed_ = ec;
        line_ = std::string();
        data_ = std::string();
        return ec;
    }

    std::size_t max_line_;
    std::size_t max_event_;
    std::string line_;
    std::string data_;
    std::string type_;
    std::string last_id_;
    error_code failed_;
    char seq_[4] = {};
    std::uint8_t seq_len_ = 0;
    std::uint8_t need_ = 0;
    std::uint8_t lo_ = 0x80;
    std::uint8_t hi_ = 0xBF;
    bool after_cr_ = false;
    bool at_start_ = true;
};

} // namespace switchboard::detail

#endif
