// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/detail/base64.hpp>
#include <switchboard/json.hpp>

#include <catch2/catch.hpp>

#include <random>

using switchboard::event;
using nlohmann::json;

TEST_CASE("an event defaults to a text event of type message") {
    event e;
    CHECK(e.type == "message");
    CHECK(e.data.empty());
    CHECK_FALSE(e.binary);
    CHECK(e.id.empty());
}

TEST_CASE("an event converts to JSON with type, data, id and binary") {
    json j = event{.type = "chat", .data = "hi \"you\"", .binary = false, .id = "7"};
    CHECK(j == json{{"type", "chat"}, {"data", "hi \"you\""}, {"id", "7"}, {"binary", false}});
    CHECK(j.get<event>() == event{.type = "chat", .data = "hi \"you\"", .binary = false, .id = "7"});
}

TEST_CASE("a binary event's data is base64 in JSON and comes back as the same bytes") {
    const std::string bytes{"\x00\xff\x80 \x01", 5};
    const event e{.type = "blob", .data = bytes, .binary = true, .id = ""};
    json j = e;
    CHECK(j["data"] == "AP+AIAE=");
    CHECK(j["binary"] == true);
    CHECK(j.dump().find('\xff') == std::string::npos); // valid UTF-8 JSON text
    CHECK(j.get<event>() == e);
}

TEST_CASE("missing JSON members keep the event defaults") {
    CHECK(json{{"data", "x"}}.get<event>() == event{.type = "message", .data = "x", .binary = false, .id = ""});
}

TEST_CASE("bad JSON for an event throws a clear error") {
    CHECK_THROWS_AS((json{{"type", 5}}.get<event>()), json::type_error);
    CHECK_THROWS_AS((json{{"data", "not base64!"}, {"binary", true}}.get<event>()), switchboard::system_error);
}

TEST_CASE("json_event and parse_json round-trip a JSON payload") {
    auto e = switchboard::json_event("chat", {{"text", "hello"}, {"n", 3}});
    CHECK(e.type == "chat");
    CHECK_FALSE(e.binary);
    CHECK(switchboard::parse_json(e) == json{{"text", "hello"}, {"n", 3}});
    CHECK_THROWS_AS(switchboard::parse_json(event{.data = "{nope"}), json::parse_error);
}

TEST_CASE("base64 matches the RFC 4648 test vectors") {
    using switchboard::detail::base64_decode;
    using switchboard::detail::base64_encode;
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (auto [plain, encoded] : vectors) {
        CHECK(base64_encode(plain) == encoded);
        CHECK(base64_decode(encoded) == std::string(plain));
    }
}

TEST_CASE("base64 round-trips random bytes of every length up to 300") {
    std::mt19937 rng(3);
    for (std::size_t n = 0; n <= 300; ++n) {
        std::string bytes(n, '\0');
        for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
        auto back = switchboard::detail::base64_decode(switchboard::detail::base64_encode(bytes));
        REQUIRE(back);
        REQUIRE(*back == bytes);
    }
}

TEST_CASE("invalid base64 is refused") {
    using switchboard::detail::base64_decode;
    CHECK_FALSE(base64_decode("Zg="));    // length not a multiple of 4
    CHECK_FALSE(base64_decode("Z!=="));   // character outside the alphabet
    CHECK_FALSE(base64_decode("Zg=a"));   // data after padding
    CHECK_FALSE(base64_decode("=Zm9"));   // padding first
    CHECK_FALSE(base64_decode("Zm9v\n")); // stray newline
}
