// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)

// The HTTP phase of a server connection (impl/server.ipp, http_connection): Beast's
// request parser with the server's limits, fed in two pieces (two bytes choose the
// split), then what the server applies to a request: split_target, query_param for
// sb, token and last, parse_u64, the Origin check and the WebSocket upgrade test.

#include "check.hpp"

#include <switchboard/detail/query.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <string>
#include <vector>

namespace http = boost::beast::http;
namespace sb = switchboard::detail;

namespace {

constexpr std::uint32_t header_limit = 8192;
constexpr std::uint64_t body_limit = 65536;

// Parses `first` then `second` as a connection receives them; the request, if whole.
bool parse(std::string_view first, std::string_view second, http::request<http::string_body>& out) {
    http::request_parser<http::string_body> p;
    p.eager(true);
    p.header_limit(header_limit);
    p.body_limit(body_limit);
    std::string buffer;
    boost::system::error_code ec;
    for (std::string_view piece : {first, second}) {
        buffer.append(piece);
        while (!buffer.empty() && !p.is_done()) {
            const std::size_t used = p.put(boost::asio::buffer(buffer), ec);
            SB_FUZZ_CHECK(used <= buffer.size());
            buffer.erase(0, used);
            if (ec == http::error::need_more) break;
            if (ec) return false;
        }
        ec = {};
    }
    if (!p.is_done()) p.put_eof(ec);
    if (ec || !p.is_done()) return false;
    out = p.release();
    return true;
}

// As check_origin in impl/server.ipp: refused, or the Access-Control-Allow-Origin due.
std::pair<bool, std::string> check_origin(const std::vector<std::string>& allowed, std::string_view origin) {
    if (allowed.empty() || origin.empty()) return {false, {}};
    for (const auto& a : allowed)
        if (a == "*" || boost::beast::iequals(a, origin)) return {false, std::string(origin)};
    return {true, {}};
}

// A query parameter the server reads: its decoded value must survive encoding.
std::optional<std::string> param(std::string_view query, std::string_view name) {
    auto v = sb::query_param(query, name);
    if (v) SB_FUZZ_CHECK(sb::query_param(std::string(name) + "=" + sb::percent_encode(*v), name) == v);
    return v;
}

void route(const http::request<http::string_body>& req) {
    const std::string_view target = req.target();
    const auto [path, query] = sb::split_target(target);
    if (target.find('?') == std::string_view::npos)
        SB_FUZZ_CHECK(path == target && query.empty());
    else
        SB_FUZZ_CHECK(std::string(path) + "?" + std::string(query) == target);
    param(query, "sb");
    param(query, "token");
    if (const auto last = param(query, "last")) {
        if (const auto n = sb::parse_u64(*last)) {
            SB_FUZZ_CHECK(last->find_first_not_of("0123456789") == std::string::npos);
            SB_FUZZ_CHECK(sb::parse_u64(std::to_string(*n)) == n);
        }
    }
    const std::string_view origin = req[http::field::origin];
    for (const auto& allowed : {std::vector<std::string>{}, std::vector<std::string>{"*"},
                                std::vector<std::string>{"https://app.example", "http://localhost:8080"}}) {
        const auto [refused, allow] = check_origin(allowed, origin);
        if (refused)
            SB_FUZZ_CHECK(allow.empty() && !origin.empty() && !allowed.empty());
        else if (!allow.empty())
            SB_FUZZ_CHECK(allow == origin);
    }
    (void)boost::beast::websocket::is_upgrade(req);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::string_view stream = sb_fuzz::view(data + 2, size - 2);
    const std::size_t cut = (std::size_t{data[0]} << 8 | data[1]) % (stream.size() + 1);
    http::request<http::string_body> req;
    if (!parse(stream.substr(0, cut), stream.substr(cut), req)) return 0;
    SB_FUZZ_CHECK(req.body().size() <= body_limit);
    if (const auto n = req.payload_size(); n && !req.chunked()) SB_FUZZ_CHECK(*n == req.body().size());
    route(req);
    return 0;
}
