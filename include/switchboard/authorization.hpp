// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_AUTHORIZATION_HPP
#define SWITCHBOARD_AUTHORIZATION_HPP

#include <switchboard/config.hpp>
#include <switchboard/transport.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

#include <any>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard {

/** What an authorization hook (`server::on_authorize`) sees of a request: every
    request that opens a session, resumes one on a new connection, polls, or POSTs
    events to one.
*/
struct request_info {
    /// The request target as sent: path and query.
    std::string target;
    /// The request's header fields.
    boost::beast::http::fields headers;
    /// The remote address of the connection.
    boost::asio::ip::address remote_address;
    /// The transport the request is for.
    transport_kind transport = transport_kind::websocket;
    /// The request names an existing session (a resume, a poll, a POST): the session's
    /// principal must then be the one the hook answers.
    bool for_session = false;
    /// It came over TLS.
    bool secure = false;

    /// A header's value (the last one of that name); empty when absent.
    SWITCHBOARD_DECL std::string_view header(std::string_view name) const;
    /// The `Authorization: Bearer <token>` token; empty when there is none.
    SWITCHBOARD_DECL std::string_view bearer_token() const;
    /// A cookie's value; nullopt when absent.
    SWITCHBOARD_DECL std::optional<std::string> cookie(std::string_view name) const;
    /// A query parameter's value (not percent-decoded); nullopt when absent.
    SWITCHBOARD_DECL std::optional<std::string> query(std::string_view name) const;
};

/** An authorization hook's answer: allow (naming the principal, with optional data for
    the session), or deny with an HTTP status and a reason.
*/
struct authorization {
    /// Allows the request. `principal` names who is asking (a user id): a session is
    /// bound to the principal that opened it, and a resume, poll or POST from another
    /// principal is refused with 403, so a leaked session token alone is worth nothing.
    /// `data` is attached to a new session (`session::data()`).
    static authorization allow(std::string principal = {}, std::any data = {}) {
        authorization a;
        a.allowed = true;
        a.principal = std::move(principal);
        a.data = std::move(data);
        return a;
    }
    /// Refuses the request with `status` (401: who are you; 403: not you) and a reason
    /// sent as the body.
    static authorization deny(unsigned status = 401, std::string reason = "unauthorized") {
        authorization a;
        a.status = status;
        a.reason = std::move(reason);
        return a;
    }

    bool allowed = false;
    unsigned status = 401;
    std::string reason;
    std::string principal;
    std::any data;
};

} // namespace switchboard

#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/authorization.ipp>
#endif

#endif
