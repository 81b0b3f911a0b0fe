// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/detail/sha1.hpp>
#include <switchboard/detail/utf8.hpp>
#include <switchboard/websocket/frame.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace ws = switchboard::detail::websocket;

namespace {

// Builds a masked client frame.
std::string client_frame(std::uint8_t first_byte, std::string_view payload, bool masked = true) {
    std::string f;
    f.push_back(static_cast<char>(first_byte));
    const std::uint8_t mask_bit = masked ? 0x80 : 0;
    if (payload.size() < 126) {
        f.push_back(static_cast<char>(mask_bit | payload.size()));
    } else if (payload.size() <= 0xffff) {
        f.push_back(static_cast<char>(mask_bit | 126));
        f.push_back(static_cast<char>(payload.size() >> 8));
        f.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        f.push_back(static_cast<char>(mask_bit | 127));
        for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((payload.size() >> (8 * i)) & 0xff));
    }
    const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (masked) f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f.push_back(masked ? static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key[i & 3]) : payload[i]);
    return f;
}

struct recorder {
    std::vector<std::pair<bool, std::string>> messages;
    std::vector<std::string> pings, pongs;
    int close_code = 0;
    std::string close_reason;
    int error = 0;
    void on_message(bool text, std::string_view p) { messages.emplace_back(text, std::string(p)); }
    void on_ping(std::string_view p) { pings.emplace_back(p); }
    void on_pong(std::string_view p) { pongs.emplace_back(p); }
    void on_close(std::uint16_t code, std::string_view reason) { close_code = code, close_reason = reason; }
    void on_error(std::uint16_t code, const char*) { error = code; }
};

// Feeds `bytes` to a reader in pieces of `step` bytes, as a connection would.
recorder feed(std::string bytes, std::size_t step, std::size_t max_message = 1 << 20) {
    ws::frame_reader reader{max_message};
    recorder r;
    std::string pending;
    for (std::size_t i = 0; i < bytes.size() && !reader.failed(); i += step) {
        pending += bytes.substr(i, step);
        const auto used = reader.parse(pending.data(), pending.size(), r);
        pending.erase(0, used);
    }
    return r;
}

} // namespace

TEST_CASE("sha1 and the WebSocket accept key match RFC 3174 and RFC 6455") {
    const auto d = switchboard::detail::sha1("abc");
    CHECK(d[0] == 0xa9);
    CHECK(d[19] == 0x9d);
    CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("utf8 validation accepts valid text split anywhere and rejects invalid sequences") {
    using switchboard::detail::is_valid_utf8;
    CHECK(is_valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));         // truncated
    CHECK_FALSE(is_valid_utf8("\x80"));             // stray continuation
    switchboard::detail::utf8_validator v;
    CHECK(v.feed("\xf0\x9f"));
    CHECK_FALSE(v.complete());
    CHECK(v.feed("\x98\x80"));
    CHECK(v.complete());
}

TEST_CASE("server frame headers use the shortest length encoding") {
    std::uint8_t h[ws::max_header_size];
    CHECK(ws::encode_header(h, ws::opcode::text, 125) == 2);
    CHECK(h[0] == 0x81);
    CHECK(h[1] == 125);
    CHECK(ws::encode_header(h, ws::opcode::binary, 126) == 4);
    CHECK(h[1] == 126);
    CHECK(ws::encode_header(h, ws::opcode::binary, 70000) == 10);
    CHECK(h[1] == 127);
}

TEST_CASE("masked frames of every size parse whole or fed one byte at a time") {
    for (std::size_t size : {0u, 5u, 125u, 126u, 65535u, 65536u}) {
        const std::string payload(size, 'x');
        for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{1} << 20}) {
            if (step == 1 && size > 1000) continue;
            auto r = feed(client_frame(0x82, payload), step);
            REQUIRE(r.error == 0);
            REQUIRE(r.messages.size() == 1);
            CHECK_FALSE(r.messages[0].first);
            CHECK(r.messages[0].second == payload);
        }
    }
}

TEST_CASE("fragmented messages are assembled with control frames between fragments") {
    std::string bytes = client_frame(0x01, "hel") + client_frame(0x89, "p") + client_frame(0x80, "lo");
    auto r = feed(bytes, 3);
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0] == std::pair<bool, std::string>{true, "hello"});
    CHECK(r.pings == std::vector<std::string>{"p"});
}

TEST_CASE("a close frame reports its code and reason and ends parsing") {
    auto r = feed(client_frame(0x88, ws::close_payload(1000, "bye")) + client_frame(0x81, "late"), 100);
    CHECK(r.close_code == 1000);
    CHECK(r.close_reason == "bye");
    CHECK(r.messages.empty());
    CHECK(feed(client_frame(0x88, ""), 10).close_code == ws::no_status);
}

TEST_CASE("protocol violations fail with 1002") {
    CHECK(feed(client_frame(0x81, "x", false), 10).error == ws::protocol_error);        // unmasked
    CHECK(feed(client_frame(0xC1, "x"), 10).error == ws::protocol_error);               // RSV1 set
    CHECK(feed(client_frame(0x83, "x"), 10).error == ws::protocol_error);               // reserved opcode
    CHECK(feed(client_frame(0x80, "x"), 10).error == ws::protocol_error);               // stray continuation
    CHECK(feed(client_frame(0x09, "x"), 10).error == ws::protocol_error);               // fragmented ping
    CHECK(feed(client_frame(0x89, std::string(126, 'p')), 10).error == ws::protocol_error);
    CHECK(feed(client_frame(0x01, "a") + client_frame(0x81, "b"), 10).error == ws::protocol_error);
    CHECK(feed(client_frame(0x88, "x"), 10).error == ws::protocol_error);               // 1-byte close
    CHECK(feed(client_frame(0x88, ws::close_payload(1005, "")), 10).error == ws::protocol_error);
}

TEST_CASE("invalid UTF-8 in a text message fails with 1007, even across fragments") {
    CHECK(feed(client_frame(0x81, "\xc0\xaf"), 10).error == ws::invalid_payload);
    CHECK(feed(client_frame(0x01, "ok\xe2\x82") + client_frame(0x80, "x"), 10).error == ws::invalid_payload);
    auto r = feed(client_frame(0x01, "\xe2\x82") + client_frame(0x80, "\xac"), 10); // split euro sign
    CHECK(r.error == 0);
    CHECK(r.messages.size() == 1);
    CHECK(feed(client_frame(0x82, "\xc0\xaf"), 10).error == 0); // binary is not checked
}

TEST_CASE("a message over the limit fails with 1009 before its payload arrives") {
    const std::string big = client_frame(0x82, std::string(2000, 'b'));
    ws::frame_reader reader{1000};
    recorder r;
    std::string header = big.substr(0, 8); // header + mask only
    reader.parse(header.data(), header.size(), r);
    CHECK(r.error == ws::message_too_big);
    // Fragments that add up to more than the limit fail as well.
    CHECK(feed(client_frame(0x02, std::string(600, 'a')) + client_frame(0x80, std::string(600, 'a')), 50, 1000).error ==
          ws::message_too_big);
}

TEST_CASE("close reasons are cut to 123 bytes at a character boundary") {
    std::string reason;
    for (int i = 0; i < 60; ++i) reason += "\xc3\xa9"; // 120 bytes
    reason += "abcd\xc3\xa9";                            // 126 bytes
    const auto p = ws::close_payload(1000, reason);
    CHECK(p.size() <= 125);
    CHECK(switchboard::detail::is_valid_utf8(p.substr(2)));
}

TEST_CASE("peer-supplied 64-bit lengths cannot wrap the size check, and must be valid RFC 6455 lengths") {
    // The header of a masked frame with a 64-bit length field holding `len` (zero mask).
    const auto long_header = [](std::uint8_t first, std::uint64_t len) {
        std::string f{static_cast<char>(first), static_cast<char>(0x80 | 127)};
        for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>(len >> (8 * i)));
        return f + std::string(4, '\0');
    };
    // A 1-byte fragment, then a continuation of 2^64-1 bytes: 1 + len wrapped to 0.
    CHECK(feed(client_frame(0x01, "a") + long_header(0x80, ~std::uint64_t{0}), 64, 1000).error == ws::protocol_error);
    // The most significant bit must be 0 (RFC 6455 section 5.2).
    CHECK(feed(long_header(0x82, std::uint64_t{1} << 63), 64, 1000).error == ws::protocol_error);
    // The largest valid length is too big, checked without overflow after a fragment.
    CHECK(feed(client_frame(0x01, "a") + long_header(0x80, ~std::uint64_t{0} >> 1), 64, 1000).error ==
          ws::message_too_big);
    // Exactly at the limit, across fragments, is accepted.
    auto at_limit = feed(client_frame(0x02, std::string(400, 'a')) + client_frame(0x80, std::string(600, 'a')), 64, 1000);
    CHECK(at_limit.error == 0);
    CHECK(at_limit.messages.size() == 1);
    // "The minimal number of bytes MUST be used to encode the length."
    CHECK(feed(long_header(0x82, 5) + "hello", 64).error == ws::protocol_error);
    std::string short16{'\x82', static_cast<char>(0x80 | 126), 0, 5, 0, 0, 0, 0};
    CHECK(feed(short16 + "hello", 64).error == ws::protocol_error);
}
