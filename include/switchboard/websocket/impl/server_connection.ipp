// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_WEBSOCKET_IMPL_SERVER_CONNECTION_IPP
#define SWITCHBOARD_WEBSOCKET_IMPL_SERVER_CONNECTION_IPP

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/query.hpp>
#include <switchboard/websocket/server_connection.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>

namespace switchboard::detail::websocket {

SWITCHBOARD_DECL bool wants(const http::request<http::string_body>& req) {
    return boost::beast::websocket::is_upgrade(req);
}

SWITCHBOARD_DECL void serve(std::shared_ptr<http_exchange> x, http::request<http::string_body> req) {
    auto c = x->take();
    server_connection::upgrade(std::move(c.slot), std::move(c.socket), std::move(req), std::move(c.leftover));
}

SWITCHBOARD_DECL void server_connection::upgrade(connection_slot slot, tcp::socket socket,
                                                 http::request<http::string_body> req,
                                                 boost::beast::flat_buffer leftover) {
    if (req.method() != http::verb::get)
        return refuse_http(std::move(slot), std::move(socket), http::status::bad_request, "WebSocket needs GET");
    if (req[http::field::sec_websocket_version] != "13")
        return refuse_http(std::move(slot), std::move(socket), http::status::upgrade_required, "Sec-WebSocket-Version must be 13");
    const auto key = req[http::field::sec_websocket_key];
    const auto decoded = base64_decode(std::string(key));
    if (!decoded || decoded->size() != 16)
        return refuse_http(std::move(slot), std::move(socket), http::status::bad_request, "missing or invalid Sec-WebSocket-Key");

    std::string response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
    response += accept_key(key);
    response += "\r\n\r\n";
    std::string extra(static_cast<const char*>(leftover.data().data()), leftover.size());
    stream_connection::serve(std::move(slot), std::move(socket), req, std::move(response), std::move(extra), std::nullopt,
                             [](connection_slot s, stream_socket stream, const session_request& r) {
                                 return std::make_shared<server_connection>(std::move(s), std::move(stream), r.session);
                             });
}

SWITCHBOARD_DECL server_connection::server_connection(connection_slot slot, stream_socket socket,
                                                      std::shared_ptr<server_session> session)
    : stream_connection(std::move(slot), std::move(socket), std::move(session), true),
      // In session mode a message is a frame header and the data: max_message_size is
      // the data's limit, as on every carrier; the header gets room of its own.
      reader_(this->session().options().max_message_size + (this->session().resumable() ? session_header_room : 0)) {}

SWITCHBOARD_DECL void server_connection::send_event(sequence_number seq, const shared_event& ev) {
    if (closing() || dropped()) return;
    std::string session_header;
    if (seq != 0) session_header = proto::event_header(seq, ev->type, ev->binary);
    std::uint8_t h[max_header_size];
    const auto n = encode_header(h, ev->binary ? opcode::binary : opcode::text, session_header.size() + ev->data.size());
    std::string head(reinterpret_cast<const char*>(h), n);
    head += session_header;
    enqueue(out_frame{std::move(head), ev});
}

SWITCHBOARD_DECL void server_connection::control_frame(opcode op, std::string payload) {
    std::uint8_t h[max_header_size];
    const auto n = encode_header(h, op, payload.size());
    payload.insert(0, reinterpret_cast<const char*>(h), n);
    enqueue(out_frame{std::move(payload), nullptr});
}

SWITCHBOARD_DECL void server_connection::send_control(std::string frame) {
    if (closing() || dropped()) return;
    control_frame(opcode::text, std::move(frame));
}

SWITCHBOARD_DECL void server_connection::close(error_code ec, std::string_view reason) {
    // The session's reason, in WebSocket close codes.
    std::uint16_t code = normal;
    if (ec == error::closed) code = going_away;
    else if (ec == error::message_too_big) code = message_too_big;
    else if (ec == error::protocol_violation || ec == error::invalid_resume) code = protocol_error;
    else if (ec == error::session_expired) code = normal; // the C frame already said why
    else if (ec) code = policy_violation;
    close_with(code, reason);
}

SWITCHBOARD_DECL void server_connection::close_with(std::uint16_t code, std::string_view reason) {
    if (closing() || dropped()) return;
    control_frame(opcode::close, close_payload(code, reason));
    begin_close(close_ec_);
}

SWITCHBOARD_DECL void server_connection::on_bytes(char* data, std::size_t n) {
    if (reader_.failed()) return;
    if (rbuf_.empty()) {
        // The common case: whole frames parsed straight from the read buffer.
        const auto used = reader_.parse(data, n, *this);
        if (!reader_.failed() && used < n) rbuf_.assign(data + used, n - used);
        return;
    }
    rbuf_.append(data, n);
    const auto used = reader_.parse(rbuf_.data(), rbuf_.size(), *this);
    rbuf_.erase(0, used);
    if (rbuf_.empty() || reader_.failed()) rbuf_ = std::string();
}

SWITCHBOARD_DECL void server_connection::send_heartbeat() { control_frame(opcode::ping, {}); }

SWITCHBOARD_DECL void server_connection::on_message(bool text, std::string_view payload) {
    if (closing() || dropped()) return;
    if (!session().resumable()) {
        session().on_plain_event(event{.type = "message", .data = std::string(payload), .binary = !text, .id = {}});
        return;
    }
    auto f = proto::parse(payload);
    if (!f || f->k == proto::kind::welcome)
        return fail(protocol_error, "malformed switchboard frame", error::protocol_violation);
    auto data = proto::event_data(*f, text);
    if (!data) return fail(protocol_error, "invalid base64", error::protocol_violation);
    if (data->size() > session().options().max_message_size)
        return fail(message_too_big, "message too big", error::message_too_big);
    // A frame on the connection that carried the welcome: the client has its token, and
    // the one before it is void.
    if (session().token_unconfirmed()) session().core().confirm_token(session());
    session().on_frame(*f, std::move(*data));
}

SWITCHBOARD_DECL void server_connection::on_ping(std::string_view payload) {
    if (closing() || dropped()) return;
    control_frame(opcode::pong, std::string(payload));
}

SWITCHBOARD_DECL void server_connection::on_close(std::uint16_t code, std::string_view) {
    // Echo the close (RFC 6455 section 5.5.1); the session decides whether it ends.
    // A normal close ends a plain session cleanly; a session-mode session stays resumable.
    const bool clean = code == normal || code == going_away || code == no_status;
    close_ec_ = clean ? error_code{} : error_code(error::connection_lost);
    close_with(code == no_status ? std::uint16_t{normal} : code, "");
    session().detach(this, close_ec_);
}

SWITCHBOARD_DECL void server_connection::on_error(std::uint16_t code, const char* reason) {
    fail(code, reason, code == message_too_big ? error_code(error::message_too_big) : error_code(error::protocol_violation));
}

SWITCHBOARD_DECL void server_connection::fail(std::uint16_t code, std::string_view reason, error_code ec) {
    if (closing() || dropped()) return;
    close_ec_ = ec;
    close_with(code, reason);
    session().detach(this, ec);
}

} // namespace switchboard::detail::websocket

#endif
