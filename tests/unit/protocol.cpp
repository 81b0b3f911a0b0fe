// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/detail/protocol.hpp>

#include <catch2/catch.hpp>

namespace proto = switchboard::detail::proto;
using namespace std::chrono_literals;

TEST_CASE("an event frame is a small header and the data verbatim") {
    const auto header = proto::event_header(42, "chat message", false);
    CHECK(header == "E42 t chat message\n");
    const std::string wire = header + "line 1\nline 2";
    auto f = proto::parse(wire);
    REQUIRE(f);
    CHECK(f->k == proto::kind::event);
    CHECK(f->a == 42);
    CHECK_FALSE(f->binary);
    CHECK(f->type == "chat message");
    CHECK(f->body == "line 1\nline 2");
    CHECK(proto::parse(proto::event_header(1, "", true) + "\x00\x01")->binary);
}

TEST_CASE("ack, gap, heartbeat and close frames round-trip") {
    CHECK(proto::parse(proto::encode_ack(7))->a == 7);
    auto g = proto::parse(proto::encode_gap({3, 9}));
    REQUIRE(g);
    CHECK(g->k == proto::kind::gap);
    CHECK((g->a == 3 && g->b == 9));
    CHECK(proto::parse("H")->k == proto::kind::heartbeat);
    const auto wire = proto::encode_close(4000, "bye now"); // the frame views into it
    auto c = proto::parse(wire);
    REQUIRE(c);
    CHECK(c->a == 4000);
    CHECK(c->body == "bye now");
}

TEST_CASE("a welcome frame carries the session token and limits") {
    proto::welcome w{.token = "abc", .last = 12, .resumed = true, .heartbeat = 25s, .timeout = 60s, .max_message = 99};
    const auto wire = proto::encode_welcome(w);
    auto f = proto::parse(wire);
    REQUIRE(f);
    REQUIRE(f->k == proto::kind::welcome);
    auto back = proto::parse_welcome(f->body);
    REQUIRE(back);
    CHECK(back->token == "abc");
    CHECK(back->last == 12);
    CHECK(back->resumed);
    CHECK(back->heartbeat == 25s);
    CHECK(back->max_message == 99);
    CHECK_FALSE(proto::parse_welcome("{\"v\":99}"));
    CHECK_FALSE(proto::parse_welcome("not json"));
}

TEST_CASE("a welcome from a hostile server is refused, never thrown or converted out of range") {
    const auto with = [](const std::string& field, const std::string& value) {
        nlohmann::json j = nlohmann::json::parse(proto::encode_welcome({.token = "abc", .heartbeat = 25s, .timeout = 60s}).substr(1));
        j[field] = nlohmann::json::parse(value);
        return j.dump();
    };
    CHECK(proto::parse_welcome(with("last", "7"))); // the base case is valid
    // Found by the fuzzer: a string "v" threw out of the client's handler; a number past
    // the target type's range was undefined behaviour.
    CHECK_NOTHROW(proto::parse_welcome("{\"v\":\"\"}"));
    CHECK_FALSE(proto::parse_welcome("{\"v\":\"\"}"));
    for (const auto& [field, value] :
         std::vector<std::pair<std::string, std::string>>{{"v", "1e24"},          {"last", "1e30"},
                                                          {"last", "-1"},         {"heartbeat", "1e300"},
                                                          {"timeout", "86400001"}, {"max_message", "-1e30"},
                                                          {"resumed", "1"},       {"token", "7"},
                                                          {"token", "\"a b\""},   {"token", "\"a\\r\\nX: y\""},
                                                          {"token", "\"\""}})
        CHECK_FALSE(proto::parse_welcome(with(field, value)));
    CHECK(proto::valid_token("0123456789abcdef0123456789abcdef"));
    CHECK_FALSE(proto::valid_token(std::string(129, 'a')));
}

TEST_CASE("malformed frames are refused") {
    for (const char* bad : {"", "X", "E", "E0 t x\n", "E1 q x\n", "E1 t x", "E01 t x\n", "E1 tx\n", "A", "A1x",
                            "A-1", "G5 3", "G1", "G0 0", "H1", "C", "Cx y", "E99999999999999999999999 t x\n",
                            "E1 t a\rb\n", "E1 t switchboard\nx", "C65536 x", "C4294967296 bye"})
        CHECK_FALSE(proto::parse(bad));
    CHECK_FALSE(proto::valid_type("a\nb"));
    CHECK(proto::valid_type("a b"));
    CHECK_FALSE(proto::valid_type("switchboard")); // reserved for SSE control frames
    CHECK(proto::valid_type("switchboard.chat"));
}

TEST_CASE("length-prefixed frames (HTTP bodies) round-trip, binary bytes included, and bad ones are refused") {
    const std::string binary("E2 b up\n\0\r\n:9:", 15);
    std::string body;
    proto::append_framed(body, "E1 t up\nhello");
    proto::append_framed(body, binary);
    proto::append_framed(body, "A7");
    CHECK(body.substr(0, 16) == "13:E1 t up\nhello");
    std::string_view rest = body, frame;
    REQUIRE(proto::next_framed(rest, frame));
    CHECK(frame == "E1 t up\nhello");
    REQUIRE(proto::next_framed(rest, frame));
    CHECK(frame == binary);
    REQUIRE(proto::next_framed(rest, frame));
    CHECK(frame == "A7");
    CHECK(rest.empty());
    for (const char* bad : {"5:A1", ":A1", "2A1", "x:A1", "02:A1", "-1:A"}) {
        std::string_view b = bad;
        CHECK_FALSE(proto::next_framed(b, frame));
    }
}
