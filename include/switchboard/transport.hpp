// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_TRANSPORT_HPP
#define SWITCHBOARD_TRANSPORT_HPP

#include <array>
#include <concepts>
#include <optional>
#include <ostream>
#include <string_view>

namespace switchboard {

/// Names the four transports at run time (`any_client`, the CLI, the wire protocol).
enum class transport_kind {
    websocket,    ///< RFC 6455 WebSocket: full duplex, binary frames.
    sse,          ///< Server-Sent Events downstream, HTTP POST upstream.
    long_polling, ///< A held GET returns pending events; POST upstream.
    polling,      ///< A GET answered at once, repeated on an interval; POST upstream.
};

/** The transport tags: the `Transport` argument of `basic_client<Transport>`.

    A tag is an empty type that describes its transport; the carrier that moves the
    bytes is chosen from the tag, so application code changes one type to change
    transport.
*/
struct websocket {
    static constexpr transport_kind kind = transport_kind::websocket;
    /// Plain mode exists (a standard peer, no session protocol).
    static constexpr bool plain_mode = true;
    static constexpr std::string_view name = "websocket";
    /// Upstream and downstream share one connection.
    static constexpr bool full_duplex = true;
    /// Binary events travel as bytes (not base64).
    static constexpr bool binary_frames = true;
};

/// Server-Sent Events: a streamed `text/event-stream` GET, POST upstream.
struct sse {
    static constexpr transport_kind kind = transport_kind::sse;
    /// Plain mode exists (a standard peer, no session protocol).
    static constexpr bool plain_mode = true;
    static constexpr std::string_view name = "sse";
    static constexpr bool full_duplex = false;
    static constexpr bool binary_frames = false;
};

/// HTTP long-polling: a held GET answered when events are pending, POST upstream.
struct long_polling {
    static constexpr transport_kind kind = transport_kind::long_polling;
    /// Plain mode exists (no: session mode only).
    static constexpr bool plain_mode = false;
    static constexpr std::string_view name = "long-polling";
    static constexpr bool full_duplex = false;
    static constexpr bool binary_frames = false;
};

/// HTTP polling: a GET answered at once, repeated on an interval, POST upstream.
struct polling {
    static constexpr transport_kind kind = transport_kind::polling;
    /// Plain mode exists (no: session mode only).
    static constexpr bool plain_mode = false;
    static constexpr std::string_view name = "polling";
    static constexpr bool full_duplex = false;
    static constexpr bool binary_frames = false;
};

/** What a transport tag must provide.

    The carrier requirements (client and server halves) join this concept as the
    carriers are built; a type that satisfies it describes one way of moving events.
*/
template <class T>
concept transport = requires {
    { T::kind } -> std::convertible_to<transport_kind>;
    { T::name } -> std::convertible_to<std::string_view>;
    { T::full_duplex } -> std::convertible_to<bool>;
    { T::binary_frames } -> std::convertible_to<bool>;
    { T::plain_mode } -> std::convertible_to<bool>;
};

/// Every transport, in the default fallback order of `any_client`.
inline constexpr std::array<transport_kind, 4> all_transports = {
    transport_kind::websocket, transport_kind::sse, transport_kind::long_polling,
    transport_kind::polling};

/// The name of a transport as used on the wire and on command lines, e.g. "long-polling".
constexpr std::string_view to_string(transport_kind k) noexcept {
    switch (k) {
    case transport_kind::websocket: return websocket::name;
    case transport_kind::sse: return sse::name;
    case transport_kind::long_polling: return long_polling::name;
    case transport_kind::polling: return polling::name;
    }
    return "unknown";
}

/// The transport named `name` ("websocket", "sse", "long-polling", "polling"), if any.
constexpr std::optional<transport_kind> parse_transport(std::string_view name) noexcept {
    for (auto k : all_transports)
        if (to_string(k) == name) return k;
    return std::nullopt;
}

/// Writes `to_string(k)`.
inline std::ostream& operator<<(std::ostream& os, transport_kind k) { return os << to_string(k); }

} // namespace switchboard

#endif
