// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_AUTHORIZATION_IPP
#define SWITCHBOARD_IMPL_AUTHORIZATION_IPP

#include <switchboard/authorization.hpp>
#include <switchboard/detail/query.hpp>

#include <boost/beast/core/string.hpp>

namespace switchboard {

SWITCHBOARD_DECL std::string_view request_info::header(std::string_view name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string_view{} : std::string_view(it->value().data(), it->value().size());
}

SWITCHBOARD_DECL std::string_view request_info::bearer_token() const {
    auto v = header("Authorization");
    if (v.size() < 7 || !boost::beast::iequals(v.substr(0, 7), "Bearer ")) return {};
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
}

SWITCHBOARD_DECL std::optional<std::string> request_info::cookie(std::string_view name) const {
    for (const auto& field : headers) {
        if (field.name() != boost::beast::http::field::cookie) continue;
        std::string_view rest(field.value().data(), field.value().size());
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            auto pair = rest.substr(0, semi);
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
            auto value = pair.substr(eq + 1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
            return std::string(value);
        }
    }
    return std::nullopt;
}

SWITCHBOARD_DECL std::optional<std::string> request_info::query(std::string_view name) const {
    return detail::query_param(detail::split_target(target).second, name);
}

} // namespace switchboard

#endif
