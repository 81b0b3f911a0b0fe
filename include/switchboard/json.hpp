// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_JSON_HPP
#define SWITCHBOARD_JSON_HPP

#include <switchboard/detail/base64.hpp>
#include <switchboard/error.hpp>
#include <switchboard/event.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace switchboard {

/** Converts an event to JSON: `{"type", "data", "id", "binary"}`.

    Found by nlohmann/json (`nlohmann::json j = ev;`). JSON strings are text, so
    the data of a binary event is written base64-encoded, with `"binary": true`.
*/
inline void to_json(nlohmann::json& j, const event& e) {
    j = nlohmann::json{{"type", e.type},
                       {"data", e.binary ? detail::base64_encode(e.data) : e.data},
                       {"id", e.id},
                       {"binary", e.binary}};
}

/** Reads an event from JSON written by `to_json`; missing members keep their defaults.

    @throws nlohmann::json::type_error when a member has the wrong JSON type.
    @throws switchboard::system_error (error::invalid_base64) when a binary event's
    data is not base64.
*/
inline void from_json(const nlohmann::json& j, event& e) {
    e = event{};
    if (auto it = j.find("type"); it != j.end()) it->get_to(e.type);
    if (auto it = j.find("id"); it != j.end()) it->get_to(e.id);
    if (auto it = j.find("binary"); it != j.end()) it->get_to(e.binary);
    if (auto it = j.find("data"); it != j.end()) {
        it->get_to(e.data);
        if (e.binary) {
            auto bytes = detail::base64_decode(e.data);
            if (!bytes) throw system_error(error::invalid_base64, "switchboard::from_json");
            e.data = std::move(*bytes);
        }
    }
}

/** Makes a text event of type `type` whose data is `payload` serialized as JSON.

    @code
    client.async_send(switchboard::json_event("chat", {{"text", "hi"}}), token);
    @endcode
*/
inline event json_event(std::string type, const nlohmann::json& payload) {
    return event{.type = std::move(type), .data = payload.dump(), .binary = false, .id = {}};
}

/** Parses the data of `e` as JSON.

    @throws nlohmann::json::parse_error when the data is not JSON.
*/
inline nlohmann::json parse_json(const event& e) { return nlohmann::json::parse(e.data); }

} // namespace switchboard

#endif
