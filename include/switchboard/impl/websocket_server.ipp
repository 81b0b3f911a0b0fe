// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_WEBSOCKET_SERVER_IPP
#define SWITCHBOARD_IMPL_WEBSOCKET_SERVER_IPP

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/query.hpp>
#include <switchboard/websocket/server_connection.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>

namespace switchboard::detail::ws {

namespace {
// How long a closing connection waits for the client to end the TCP connection.
constexpr std::chrono::seconds linger_time{5};
} // namespace

SWITCHBOARD_DECL void server_connection::upgrade(connection_slot slot, tcp::socket socket,
                                                 http::request<http::string_body> req,
                                                 boost::beast::flat_buffer leftover) {
    auto& core = slot.core();
    if (req.method() != http::verb::get)
        return refuse_http(std::move(socket), http::status::bad_request, "WebSocket needs GET");
    if (req[http::field::sec_websocket_version] != "13")
        return refuse_http(std::move(socket), http::status::upgrade_required, "Sec-WebSocket-Version must be 13");
    const auto key = req[http::field::sec_websocket_key];
    const auto decoded = base64_decode(std::string(key));
    if (!decoded || decoded->size() != 16)
        return refuse_http(std::move(socket), http::status::bad_request, "missing or invalid Sec-WebSocket-Key");

    // The socket leaves the strand of its HTTP phase (which would otherwise live as long
    // as the connection): from here on the session's strand serializes it.
    {
        error_code ec;
        const auto protocol = socket.local_endpoint(ec).protocol();
        tcp::socket rewrapped(core.ioc.get_executor());
        if (!ec) rewrapped.assign(protocol, socket.release(ec), ec);
        if (ec) return; // the peer is already gone
        socket = std::move(rewrapped);
    }

    const auto [path, query] = split_target(req.target());
    (void)path;
    const bool resumable = query_param(query, "sb").has_value();
    std::shared_ptr<server_session> session;
    sequence_number client_last = 0;
    bool resumed = false;
    std::optional<std::string> token;
    if (resumable) {
        if (query_param(query, "sb") != std::to_string(protocol_version))
            return refuse_http(std::move(socket), http::status::bad_request, "unsupported switchboard protocol version");
        token = query_param(query, "token");
        if (token) {
            const auto last = query_param(query, "last");
            const auto n = last ? parse_u64(*last) : std::optional<std::uint64_t>(0);
            if (!n) return refuse_http(std::move(socket), http::status::bad_request, "invalid last");
            client_last = *n;
            session = core.find_session(*token);
            resumed = session != nullptr;
        }
    }
    if (!session) session = core.open_session(resumable);
    if (!session) return refuse_http(std::move(socket), http::status::service_unavailable, "server full");

    std::string response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
    response += accept_key(key);
    response += "\r\n\r\n";
    auto conn = std::make_shared<server_connection>(std::move(slot), std::move(socket), session);
    std::string extra(static_cast<const char*>(leftover.data().data()), leftover.size());
    const bool expired = token && !resumed;
    asio::dispatch(session->strand(), [conn, session, response = std::move(response), extra = std::move(extra),
                                       client_last, resumed, expired]() mutable {
        conn->start(std::move(response), std::move(extra));
        if (expired) {
            // The client asked for a session that is gone: say so, and end this one.
            conn->send_control(proto::encode_close(static_cast<std::uint16_t>(error::session_expired),
                                                   "session expired"));
            conn->close_with(normal, "session expired");
            session->close_now(error::session_expired, "session expired");
            return;
        }
        session->attach(conn, client_last, resumed);
    });
}

SWITCHBOARD_DECL server_connection::server_connection(connection_slot slot, tcp::socket socket,
                                                      std::shared_ptr<server_session> session)
    : slot_(std::move(slot)),
      socket_(std::move(socket)),
      session_(std::move(session)),
      strand_(session_->strand()),
      reader_(session_->options().max_message_size),
      hb_(session_->options().heartbeat),
      timer_(strand_) {}

SWITCHBOARD_DECL void server_connection::start(std::string response, std::string leftover) {
    error_code ec;
    socket_.non_blocking(true, ec);
    socket_.set_option(tcp::no_delay(true), ec);
    enqueue(out_frame{std::move(response), nullptr}, true);
    arm_timer();
    if (!leftover.empty()) parse(leftover.data(), leftover.size());
    read();
}

SWITCHBOARD_DECL void server_connection::send_event(sequence_number seq, const shared_event& ev) {
    if (closing_ || dropped_) return;
    std::string session_header;
    if (seq != 0) session_header = proto::event_header(seq, ev->type, ev->binary);
    std::uint8_t h[max_header_size];
    const auto n = encode_header(h, ev->binary ? opcode::binary : opcode::text, session_header.size() + ev->data.size());
    std::string head(reinterpret_cast<const char*>(h), n);
    head += session_header;
    enqueue(out_frame{std::move(head), ev}, false);
}

SWITCHBOARD_DECL void server_connection::send_control(std::string frame) {
    if (closing_ || dropped_) return;
    std::uint8_t h[max_header_size];
    const auto n = encode_header(h, opcode::text, frame.size());
    frame.insert(0, reinterpret_cast<const char*>(h), n);
    enqueue(out_frame{std::move(frame), nullptr}, true);
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
    if (closing_ || dropped_) return;
    auto payload = close_payload(code, reason);
    std::uint8_t h[max_header_size];
    const auto n = encode_header(h, opcode::close, payload.size());
    payload.insert(0, reinterpret_cast<const char*>(h), n);
    enqueue(out_frame{std::move(payload), nullptr}, true);
    closing_ = true;
    // However slow the client, the connection ends within linger_time from now.
    close_deadline_ = heartbeat::clock::now() + linger_time;
    arm_timer();
}

SWITCHBOARD_DECL void server_connection::enqueue(out_frame f, bool control) {
    const auto size = f.size();
    if (!control && queued_bytes_ + size > session_->options().max_queued_bytes)
        return fail(policy_violation, "slow consumer", error::queue_full);
    queued_bytes_ += size;
    pending_.push_back(std::move(f));
    if (writing_.empty()) flush();
}

SWITCHBOARD_DECL void server_connection::flush() {
    if (pending_.empty() || !writing_.empty() || dropped_) return;
    writing_.swap(pending_);
    buffers_.clear();
    buffers_.reserve(writing_.size() * 2);
    for (const auto& f : writing_) {
        buffers_.push_back(asio::buffer(f.head));
        if (f.ev && !f.ev->data.empty()) buffers_.push_back(asio::buffer(f.ev->data));
    }
    asio::async_write(socket_, buffers_,
                      asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, std::size_t) {
                          self->on_written(ec);
                      }));
}

SWITCHBOARD_DECL void server_connection::on_written(error_code ec) {
    for (const auto& f : writing_) queued_bytes_ -= f.size();
    writing_.clear();
    if (ec) return drop(error::connection_lost);
    hb_.sent(heartbeat::clock::now());
    if (!pending_.empty()) return flush();
    // Idle: give back the queue memory of a burst; a single-frame slot stays, so that
    // request/response traffic does not allocate per message.
    if (writing_.capacity() > 1) writing_ = {};
    if (pending_.capacity() > 1) pending_ = {};
    if (buffers_.capacity() > 2) buffers_ = {};
    if (closing_ && !lingering_) {
        // The close frame is out; read (and discard) until the client ends the connection.
        lingering_ = true;
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
    }
}

SWITCHBOARD_DECL void server_connection::read() {
    socket_.async_wait(tcp::socket::wait_read,
                       asio::bind_executor(strand_, [self = shared_from_this()](error_code ec) { self->on_readable(ec); }));
}

SWITCHBOARD_DECL void server_connection::on_readable(error_code ec) {
    if (dropped_) return;
    if (ec) return drop(error::connection_lost);
    static thread_local std::array<char, 64 * 1024> buffer;
    const auto n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return read();
    if (ec) return drop(lingering_ ? close_ec_ : error_code(error::connection_lost));
    hb_.received(heartbeat::clock::now());
    if (!lingering_) parse(buffer.data(), n);
    if (!dropped_) read();
}

SWITCHBOARD_DECL void server_connection::parse(char* data, std::size_t n) {
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

SWITCHBOARD_DECL void server_connection::on_message(bool text, std::string_view payload) {
    if (closing_ || dropped_) return;
    if (!session_->resumable()) {
        session_->on_plain_event(event{.type = "message", .data = std::string(payload), .binary = !text, .id = {}});
        return;
    }
    auto f = proto::parse(payload);
    if (!f || f->k == proto::kind::welcome)
        return fail(protocol_error, "malformed switchboard frame", error::protocol_violation);
    auto data = proto::event_data(*f, text);
    if (!data) return fail(protocol_error, "invalid base64", error::protocol_violation);
    session_->on_frame(*f, std::move(*data));
}

SWITCHBOARD_DECL void server_connection::on_ping(std::string_view payload) {
    if (closing_ || dropped_) return;
    std::uint8_t h[max_header_size];
    const auto n = encode_header(h, opcode::pong, payload.size());
    std::string frame(reinterpret_cast<const char*>(h), n);
    frame += payload;
    enqueue(out_frame{std::move(frame), nullptr}, true);
}

SWITCHBOARD_DECL void server_connection::on_close(std::uint16_t code, std::string_view) {
    // Echo the close (RFC 6455 section 5.5.1); the session decides whether it ends.
    // A normal close ends a plain session cleanly; a session-mode session stays resumable.
    const bool clean = code == normal || code == going_away || code == no_status;
    close_ec_ = clean ? error_code{} : error_code(error::connection_lost);
    close_with(code == no_status ? std::uint16_t{normal} : code, "");
    session_->detach(this, close_ec_);
}

SWITCHBOARD_DECL void server_connection::on_error(std::uint16_t code, const char* reason) {
    fail(code, reason, code == message_too_big ? error_code(error::message_too_big) : error_code(error::protocol_violation));
}

SWITCHBOARD_DECL void server_connection::fail(std::uint16_t code, std::string_view reason, error_code ec) {
    if (closing_ || dropped_) return;
    close_ec_ = ec;
    close_with(code, reason);
    session_->detach(this, ec);
}

SWITCHBOARD_DECL void server_connection::arm_timer() {
    // Setting the expiry cancels the wait in progress, whose handler then does nothing.
    timer_.expires_at(closing_ ? close_deadline_ : hb_.next_deadline());
    timer_.async_wait(asio::bind_executor(strand_, [self = shared_from_this()](error_code ec) { self->on_timer(ec); }));
}

SWITCHBOARD_DECL void server_connection::on_timer(error_code ec) {
    if (dropped_ || ec == asio::error::operation_aborted) return;
    const auto now = heartbeat::clock::now();
    if (closing_) {
        if (now >= close_deadline_) return drop(close_ec_);
        return arm_timer();
    }
    if (hb_.peer_dead(now)) {
        close_ec_ = error::heartbeat_timeout;
        return drop(error::heartbeat_timeout);
    }
    if (hb_.ping_due(now)) {
        std::uint8_t h[max_header_size];
        const auto n = encode_header(h, opcode::ping, 0);
        enqueue(out_frame{std::string(reinterpret_cast<const char*>(h), n), nullptr}, true);
        hb_.sent(now);
    }
    arm_timer();
}

SWITCHBOARD_DECL void server_connection::drop(error_code ec) {
    if (dropped_) return;
    dropped_ = true;
    error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    pending_ = {};
    rbuf_ = std::string();
    session_->detach(this, ec);
}

} // namespace switchboard::detail::ws

#endif
