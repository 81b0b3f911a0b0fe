// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SSE_SERVER_CONNECTION_HPP
#define SWITCHBOARD_SSE_SERVER_CONNECTION_HPP

// The SSE carrier's server half: one `text/event-stream` response, written as events
// happen. Events use the native fields (`id`, `event`, `data`), so a browser
// EventSource reads plain mode directly and resumes session mode natively through
// Last-Event-ID; session control frames are events of the reserved type
// "switchboard"; heartbeats are comment lines. Upstream arrives as POSTs to the same
// path (server.ipp), not on this connection.

#include <switchboard/detail/http_front.hpp>
#include <switchboard/detail/stream_connection.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace switchboard::detail::sse {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// The route of this carrier (http_front): a GET that asks for an event stream (its
// Accept header names text/event-stream).
SWITCHBOARD_DECL bool wants(const http::request<http::string_body>& req);
SWITCHBOARD_DECL void serve(std::shared_ptr<http_exchange> x, http::request<http::string_body> req);

class server_connection final : public stream_connection {
public:
    // Answers an event-stream GET and serves the session it opens or resumes; `cors`:
    // its Access-Control-Allow-Origin (check_origin), if one is due.
    static void serve(connection_slot slot, tcp::socket socket, const http::request<http::string_body>& req,
                      std::string_view cors);

    server_connection(connection_slot slot, stream_socket socket, std::shared_ptr<server_session> session,
                      sequence_number resume_from);

    void send_event(sequence_number seq, const shared_event& ev) override;
    void send_control(std::string frame) override;
    void close(error_code ec, std::string_view reason) override;
    transport_kind kind() const noexcept override { return transport_kind::sse; }

private:
    void on_bytes(char*, std::size_t) override {} // a client sends nothing on this connection
    void send_heartbeat() override;
    void on_overflow() override;

    sequence_number resume_from_; // the welcome's id: where a reconnect resumes from
    bool welcomed_ = false;
};

} // namespace switchboard::detail::sse

#endif
