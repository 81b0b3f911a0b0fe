// Distributed under the Boost Software License, Version 1.0.
// The WHATWG "parsing an event stream" rules, each case checked whole, byte by byte,
// and in random splits.
#include <switchboard/sse/parser.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <sstream>
#include <vector>

using switchboard::event;
using switchboard::detail::sse_parser;
using namespace std::chrono_literals;

namespace {

struct outcome {
    std::vector<event> events;
    std::vector<std::chrono::milliseconds> retries;
    std::vector<std::string> comments;
    switchboard::error_code ec;
    std::string last_id;
    bool operator==(const outcome&) const = default;
    void on_event(event e) { events.push_back(std::move(e)); }
    void on_retry(std::chrono::milliseconds ms) { retries.push_back(ms); }
    void on_comment(std::string_view c) { comments.emplace_back(c); }
};

outcome parse_in(const std::string& stream, const std::vector<std::size_t>& cuts, std::size_t max_line = 1 << 16,
                 std::size_t max_event = 1 << 20) {
    sse_parser p{max_line, max_event};
    outcome o;
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        if (!o.ec) o.ec = p.feed(std::string_view(stream).substr(from, cut - from), o);
        from = cut;
    }
    if (!o.ec) o.ec = p.feed(std::string_view(stream).substr(from), o);
    p.end_of_stream();
    o.last_id = p.last_event_id();
    return o;
}

// Parses `stream` whole, then byte by byte and in 50 random splits, and checks that
// every chunking gives the same outcome; returns it.
outcome parse(const std::string& stream) {
    const outcome whole = parse_in(stream, {});
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < stream.size(); ++i) every.push_back(i);
    REQUIRE(parse_in(stream, every) == whole);
    std::mt19937 rng(17);
    for (int round = 0; round < 50 && stream.size() > 1; ++round) {
        std::vector<std::size_t> cuts;
        for (std::size_t i = 1; i < stream.size(); ++i)
            if (rng() % 4 == 0) cuts.push_back(i);
        INFO("random split round " << round);
        REQUIRE(parse_in(stream, cuts) == whole);
    }
    return whole;
}

event ev(std::string type, std::string data, std::string id = {}) {
    return event{.type = std::move(type), .data = std::move(data), .binary = false, .id = std::move(id)};
}

} // namespace

TEST_CASE("sse: an event is dispatched at a blank line with type message by default") {
    auto o = parse("data: hello\n\n");
    REQUIRE(o.events.size() == 1);
    CHECK(o.events[0] == ev("message", "hello"));
}

TEST_CASE("sse: CR, LF and CRLF all end lines, mixed too") {
    CHECK(parse("data: a\r\rdata: b\n\ndata: c\r\n\r\ndata: d\r\n\n").events ==
          std::vector<event>{ev("message", "a"), ev("message", "b"), ev("message", "c"), ev("message", "d")});
}

TEST_CASE("sse: a CR then LF across a chunk boundary is one line end") {
    auto o = parse_in("data: a\r\n\r\n", {8}); // "data: a\r" | "\n\r\n"
    CHECK(o.events == std::vector<event>{ev("message", "a")});
}

TEST_CASE("sse: multi-line data is joined with LF and the last LF dropped") {
    CHECK(parse("data: one\ndata: two\ndata\n\n").events == std::vector<event>{ev("message", "one\ntwo\n")});
}

TEST_CASE("sse: only one leading space is removed from a value") {
    CHECK(parse("data:  two spaces\n\ndata:none\n\n").events ==
          std::vector<event>{ev("message", " two spaces"), ev("message", "none")});
}

TEST_CASE("sse: a field without a colon has an empty value") {
    // "data" appends "" and an LF: the buffer is not empty, so an event with empty data
    // is dispatched (an event with no data field at all is not).
    CHECK(parse("data\n\n").events == std::vector<event>{ev("message", "")});
    CHECK(parse("event\ndata: x\n\n").events == std::vector<event>{ev("message", "x")});
}

TEST_CASE("sse: empty data is not dispatched, and the type is reset after each dispatch") {
    auto o = parse("event: a\n\nevent: b\ndata: x\n\ndata: y\n\n");
    CHECK(o.events == std::vector<event>{ev("b", "x"), ev("message", "y")});
}

TEST_CASE("sse: comments are reported and otherwise ignored") {
    auto o = parse(":hb\n: spaced\ndata: x\n\n");
    CHECK(o.comments == std::vector<std::string>{"hb", " spaced"});
    CHECK(o.events == std::vector<event>{ev("message", "x")});
}

TEST_CASE("sse: the last event id is kept across events, and an id with NUL is ignored") {
    const std::string nul_id = std::string("id: bad\0id\n", 11);
    auto o = parse("id: 1\ndata: a\n\ndata: b\n\n" + nul_id + "data: c\n\nid\ndata: d\n\n");
    CHECK(o.events == std::vector<event>{ev("message", "a", "1"), ev("message", "b", "1"), ev("message", "c", "1"),
                                         ev("message", "d", "")});
    CHECK(o.last_id.empty());
}

TEST_CASE("sse: retry is accepted only as ASCII digits") {
    auto o = parse("retry: 1500\nretry: 15x\nretry: -1\nretry:\nretry: 20\n\n");
    CHECK(o.retries == std::vector<std::chrono::milliseconds>{1500ms, 20ms});
}

TEST_CASE("sse: unknown fields are ignored") {
    CHECK(parse("foo: bar\ndata: x\nDATA: y\n\n").events == std::vector<event>{ev("message", "x")});
}

TEST_CASE("sse: an unterminated final event is not dispatched at end of stream") {
    CHECK(parse("data: done\n\ndata: cut off\n").events == std::vector<event>{ev("message", "done")});
    CHECK(parse("data: no line end").events.empty());
}

TEST_CASE("sse: a leading BOM is dropped, once") {
    CHECK(parse("\xEF\xBB\xBF" "data: x\n\n").events == std::vector<event>{ev("message", "x")});
    // A second BOM is content: it makes the field name "\xEF\xBB\xBF" + "data", unknown.
    CHECK(parse("\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\n").events.empty());
}

TEST_CASE("sse: invalid UTF-8 becomes U+FFFD per maximal subpart, across chunks too") {
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(parse("data: a\xC0\xAF" "b\n\n").events[0].data == "a" + fffd + fffd + "b");
    CHECK(parse("data: \xE2\x82" "x\n\n").events[0].data == fffd + "x");       // truncated 3-byte sequence
    CHECK(parse("data: \xF0\x9F\x98\x80\n\n").events[0].data == "\xF0\x9F\x98\x80"); // valid 4-byte, any split
    CHECK(parse("data: \xED\xA0\x80\n\n").events[0].data == fffd + fffd + fffd);     // surrogate
    CHECK(parse("data: \xE2\x82\n\n").events[0].data == fffd);                         // cut by the line end
}

TEST_CASE("sse: a line longer than the limit fails with a clear error, without growing") {
    const std::string endless(100000, 'a'); // no newline ever
    auto o = parse_in("data: " + endless, {}, 1000);
    CHECK(o.ec == switchboard::error::line_too_long);
    auto o2 = parse_in(":" + std::string(5000, 'c') + "\n", {}, 1000);
    CHECK(o2.ec == switchboard::error::line_too_long);
}

TEST_CASE("sse: an event larger than the limit fails with a clear error") {
    std::string stream;
    for (int i = 0; i < 100; ++i) stream += "data: " + std::string(500, 'd') + "\n";
    auto o = parse_in(stream + "\n", {}, 1 << 16, 10000);
    CHECK(o.ec == switchboard::error::message_too_big);
    CHECK(o.events.empty());
}

TEST_CASE("sse: a flood of comments costs no memory beyond one line") {
    sse_parser p{1000, 1000};
    outcome o;
    for (int i = 0; i < 100000; ++i) REQUIRE_FALSE(p.feed(":keep-alive\n", o));
    CHECK(o.comments.size() == 100000);
}
