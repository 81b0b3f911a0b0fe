// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/sse/parser.hpp>
#include <switchboard/sse/writer.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using switchboard::event;
using namespace std::chrono_literals;
namespace d = switchboard::detail;

namespace {
struct collect {
    std::vector<event> events;
    std::vector<std::chrono::milliseconds> retries;
    int comments = 0;
    void on_event(event e) { events.push_back(std::move(e)); }
    void on_retry(std::chrono::milliseconds ms) { retries.push_back(ms); }
    void on_comment(std::string_view) { ++comments; }
};
} // namespace

TEST_CASE("sse writer: native fields, default type omitted, one data line per line") {
    std::string out;
    d::append_sse_event(out, "message", "a\nb", "");
    CHECK(out == "data: a\ndata: b\n\n");
    out.clear();
    d::append_sse_event(out, "chat", "x", "42");
    CHECK(out == "id: 42\nevent: chat\ndata: x\n\n");
    out.clear();
    d::append_sse_event(out, "message", "", "");
    CHECK(out == "data: \n\n");
    CHECK(d::sse_comment() == ":\n");
    CHECK(d::sse_retry(1500ms) == "retry: 1500\n");
}

TEST_CASE("sse writer: what it writes, the parser reads back exactly (data without CR)") {
    std::mt19937 rng(5);
    const std::vector<std::string> pieces = {"a", "b", " ", "\n", ":", "\xC3\xA9"};
    std::string stream = d::sse_retry(250ms) + d::sse_comment("hello");
    std::vector<event> sent;
    for (int i = 0; i < 300; ++i) {
        std::string data;
        for (std::size_t n = rng() % 20; n > 0; --n) data += pieces[rng() % pieces.size()];
        event e{.type = i % 3 ? "message" : "kind " + std::to_string(i), .data = data, .binary = false,
                .id = i % 2 ? std::to_string(i) : (sent.empty() ? "" : sent.back().id)};
        d::append_sse_event(stream, e.type, e.data, i % 2 ? e.id : "");
        sent.push_back(e);
    }
    d::sse_parser p;
    collect c;
    for (char ch : stream) REQUIRE_FALSE(p.feed(std::string_view(&ch, 1), c)); // one byte at a time
    CHECK(c.retries == std::vector<std::chrono::milliseconds>{250ms});
    CHECK(c.comments == 1);
    CHECK(c.events == sent);
}

TEST_CASE("sse writer: CR and CRLF in data become LF, as any reader would see them") {
    std::string out;
    d::append_sse_event(out, "message", "a\r\nb\rc", "");
    d::sse_parser p;
    collect c;
    REQUIRE_FALSE(p.feed(out, c));
    REQUIRE(c.events.size() == 1);
    CHECK(c.events[0].data == "a\nb\nc");
}
