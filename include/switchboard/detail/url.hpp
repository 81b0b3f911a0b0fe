// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_URL_HPP
#define SWITCHBOARD_DETAIL_URL_HPP

#include <charconv>
#include <stdexcept>
#include <string>
#include <string_view>

namespace switchboard::detail {

// The parts of a ws://, wss://, http:// or https:// URL that a client needs.
struct url {
    std::string scheme; // lower case
    std::string host;   // without brackets for IPv6 literals
    std::string port;   // always set: the default of the scheme when absent
    std::string path;   // "/" when absent
    std::string query;  // without '?'
    bool secure() const noexcept { return scheme == "wss" || scheme == "https"; }
    // host:port as the Host header wants it (brackets around IPv6).
    std::string authority() const {
        const bool v6 = host.find(':') != std::string::npos;
        return (v6 ? "[" + host + "]" : host) + ":" + port;
    }
    // path?query plus extra parameters.
    std::string target(std::string_view extra_query = {}) const {
        std::string t = path;
        if (!query.empty() || !extra_query.empty()) t += '?';
        t += query;
        if (!query.empty() && !extra_query.empty()) t += '&';
        t += extra_query;
        return t;
    }
};

// Parses `text`; throws std::invalid_argument saying what is wrong.
inline url parse_url(std::string_view text) {
    auto bad = [&](const char* why) {
        return std::invalid_argument("switchboard: invalid URL '" + std::string(text) + "': " + why);
    };
    // Whatever goes into a request line or a header: no space, CR, LF or other control.
    for (unsigned char c : text)
        if (c <= 0x20 || c == 0x7f) throw bad("it contains a space or a control character");
    url u;
    const auto colon = text.find("://");
    if (colon == std::string_view::npos) throw bad("no scheme");
    for (char c : text.substr(0, colon)) u.scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    if (u.scheme != "ws" && u.scheme != "wss" && u.scheme != "http" && u.scheme != "https")
        throw bad("the scheme must be ws, wss, http or https");
    auto rest = text.substr(colon + 3);
    const auto end = rest.find_first_of("/?#");
    auto authority = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (authority.find('@') != std::string_view::npos) throw bad("user information is not supported");
    std::string_view port;
    if (!authority.empty() && authority[0] == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) throw bad("unterminated IPv6 literal");
        u.host = authority.substr(1, close - 1);
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') throw bad("junk after IPv6 literal");
            port = after.substr(1);
        }
    } else {
        const auto c = authority.rfind(':');
        u.host = authority.substr(0, c);
        if (c != std::string_view::npos) port = authority.substr(c + 1);
    }
    if (u.host.empty()) throw bad("no host");
    if (!port.empty()) {
        unsigned v = 0;
        auto r = std::from_chars(port.data(), port.data() + port.size(), v);
        if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || v == 0 || v > 65535) throw bad("invalid port");
        u.port = std::string(port);
    } else {
        u.port = u.secure() ? "443" : "80";
    }
    const auto hash = rest.find('#');
    rest = rest.substr(0, hash);
    const auto q = rest.find('?');
    u.path = rest.substr(0, q);
    if (u.path.empty()) u.path.push_back('/');
    if (q != std::string_view::npos) u.query = rest.substr(q + 1);
    return u;
}

} // namespace switchboard::detail

#endif
