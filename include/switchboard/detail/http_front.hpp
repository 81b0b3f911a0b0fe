// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_HTTP_FRONT_HPP
#define SWITCHBOARD_DETAIL_HTTP_FRONT_HPP

// The HTTP phase of every connection: read a request, check its path, Origin and
// limits, answer preflights and upstream POSTs, and hand the rest to the carrier that
// serves it (docs/architecture.md).

#include <switchboard/detail/connection_slot.hpp>
#include <switchboard/detail/server_session.hpp>
#include <switchboard/transport.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::detail {

class server_core;

// A request for the switchboard path, as a carrier's server half gets it from the HTTP
// front, with the connection it came on.
class http_exchange {
public:
    // The connection, taken over for good (an upgrade, an event stream): it counts in
    // `slot`; `leftover` holds bytes read past the request.
    struct connection {
        connection_slot slot;
        asio::ip::tcp::socket socket;
        boost::beast::flat_buffer leftover;
    };

    virtual ~http_exchange() = default;
    virtual server_core& core() const noexcept = 0;
    // What the connection counts against (its remote address opens sessions).
    virtual const connection_slot& slot() const noexcept = 0;
    // Access-Control-Allow-Origin for the answer (empty: none is due).
    virtual const std::string& cors() const noexcept = 0;
    // Takes the connection over; nothing else may be called after it.
    virtual connection take() = 0;
    // Answers the request, from any thread, once (unless the connection was taken):
    // the connection then reads its next request, or ends when `keep_alive` is false.
    // No deadline applies until then: whoever holds the exchange answers it in time.
    virtual void reply(boost::beast::http::status status, std::string_view content_type, std::string body,
                       bool keep_alive) = 0;
    // While the request waits for its answer: `gone` is called (on the connection's
    // executor, at most once, never after the answer) if the peer closes the connection.
    virtual void watch(std::function<void()> gone) = 0;
};

// How a carrier's server half is found: `wants` says whether it serves a request
// (one without a body), `serve` serves it. The HTTP front asks each in turn
// (docs/architecture.md: a new transport adds its route there).
struct carrier_route {
    bool (*wants)(const boost::beast::http::request<boost::beast::http::string_body>& req);
    void (*serve)(std::shared_ptr<http_exchange> x, boost::beast::http::request<boost::beast::http::string_body> req);
    // The transport a request it wants uses (for the authorization hook).
    transport_kind (*kind)(const boost::beast::http::request<boost::beast::http::string_body>& req);
};

// Answers with a short plain-text HTTP error and ends the connection (gracefully, within
// two seconds; it counts against the limits until then).
SWITCHBOARD_DECL void refuse_http(connection_slot slot, asio::ip::tcp::socket socket,
                                  boost::beast::http::status status, std::string_view why);

// Hands a request for the switchboard path to the carrier that serves it.
SWITCHBOARD_DECL void route_request(connection_slot slot, asio::ip::tcp::socket socket,
                                    boost::beast::http::request<boost::beast::http::string_body> req,
                                    boost::beast::flat_buffer buffer);

// The session a transport request belongs to: a new one, or the one it resumes.
struct session_request {
    std::shared_ptr<server_session> session; // null when refused
    sequence_number client_last = 0;         // what the client delivered (resumed only)
    bool resumed = false;
    std::string token; // the token it resumed with (resumed only)
    boost::beast::http::status refusal = boost::beast::http::status::ok;
    std::string_view why;
};

// Where a carrier found a resume point in its own terms (SSE: Last-Event-ID).
struct resume_hint {
    std::string token;
    std::string last;
};

// SSE's native resume: the request's Last-Event-ID "<token>-<seq>[flag]"
// (docs/protocol.md), if it has one.
SWITCHBOARD_DECL std::optional<resume_hint> last_event_id_hint(const boost::beast::http::request_header<>& req);

// Reads `sb`, `token` and `last` from the query, else from `hint`. An unknown or
// expired token gets a new session: its welcome carries a new token, which tells the
// client (docs/protocol.md).
SWITCHBOARD_DECL session_request open_or_resume(const connection_slot& slot,
                                                const boost::beast::http::request<boost::beast::http::string_body>& req,
                                                const std::optional<resume_hint>& hint = std::nullopt);

// Whether the request served on `slot` may use `s`: the principal its authorization
// names is the one `s` was opened for (always, without an authorization hook).
inline bool owned_by(const connection_slot& slot, const server_session& s) {
    const auto* a = slot.authorized();
    return !a || a->principal == s.principal();
}

// The socket, moved off the strand of its HTTP phase onto the plain io_context
// executor (the session's strand serializes it from here on). Closed on failure.
SWITCHBOARD_DECL stream_socket unstrand(asio::ip::tcp::socket socket, asio::io_context& ioc);

} // namespace switchboard::detail

#endif
