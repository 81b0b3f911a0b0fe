// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/detail/query.hpp>
#include <switchboard/detail/url.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

using switchboard::detail::parse_url;

TEST_CASE("URLs give host, port, path and query, and ports default by scheme") {
    auto u = parse_url("ws://example.com:9000/live?room=a&x=1#frag");
    CHECK(u.scheme == "ws");
    CHECK(u.host == "example.com");
    CHECK(u.port == "9000");
    CHECK(u.path == "/live");
    CHECK(u.query == "room=a&x=1");
    CHECK(u.target() == "/live?room=a&x=1");
    CHECK(u.target("sb=1") == "/live?room=a&x=1&sb=1");
    CHECK(parse_url("ws://h").port == "80");
    CHECK(parse_url("wss://h").port == "443");
    CHECK(parse_url("HTTP://h").scheme == "http");
    CHECK(parse_url("https://h").port == "443");
    CHECK(parse_url("ws://h").path == "/");
    CHECK(parse_url("ws://h?q").target() == "/?q");
    CHECK(parse_url("ws://h/p").target("sb=1") == "/p?sb=1");
}

TEST_CASE("IPv6 literals are bracketed in URLs and in the Host authority") {
    auto u = parse_url("ws://[::1]:8080/live");
    CHECK(u.host == "::1");
    CHECK(u.port == "8080");
    CHECK(u.authority() == "[::1]:8080");
    CHECK(parse_url("ws://[fe80::1]/x").port == "80");
    CHECK(parse_url("ws://127.0.0.1:1/").authority() == "127.0.0.1:1");
}

TEST_CASE("malformed URLs are refused with a clear exception") {
    for (const char* bad : {"", "live", "ftp://h/", "ws://", "ws://:80/", "ws://h:0/", "ws://h:65536/", "ws://h:x/",
                            "ws://[::1/", "ws://[::1]x/", "ws://user@h/"})
        CHECK_THROWS_AS(parse_url(bad), std::invalid_argument);
    CHECK_THROWS_WITH(parse_url("ftp://h/"), Catch::Contains("scheme"));
    // Nothing that would break a request line or a header reaches one.
    for (const char* bad : {"ws://h/a b", "ws://h/a\r\nX-Evil: 1", "ws://h/?q=\n", "ws://h\t/", "ws://h/\x7f"})
        CHECK_THROWS_WITH(parse_url(bad), Catch::Contains("control character"));
}

TEST_CASE("query parameters are found and percent-decoded") {
    using switchboard::detail::query_param;
    CHECK(query_param("sb=1&token=ab%20c+d", "token") == std::string("ab c d"));
    CHECK(query_param("sb=1&token=x", "sb") == std::string("1"));
    CHECK(query_param("flag&x=1", "flag") == std::string(""));
    CHECK_FALSE(query_param("a=1", "b"));
    CHECK_FALSE(query_param("a=%4", "a"));  // truncated escape
    CHECK_FALSE(query_param("a=%zz", "a")); // not hex
    CHECK(switchboard::detail::percent_encode("a b/é") == "a%20b%2F%C3%A9");
    CHECK(switchboard::detail::parse_u64("42") == 42u);
    CHECK_FALSE(switchboard::detail::parse_u64("4x"));
    CHECK_FALSE(switchboard::detail::parse_u64(""));
    CHECK_FALSE(switchboard::detail::parse_u64("-1"));
}
