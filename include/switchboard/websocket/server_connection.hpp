// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_WEBSOCKET_SERVER_CONNECTION_HPP
#define SWITCHBOARD_WEBSOCKET_SERVER_CONNECTION_HPP

// The WebSocket carrier's server half. After the HTTP upgrade it reads client frames
// with its own parser and writes frames itself: while idle it holds no buffer (it
// waits for readability, then reads into a per-thread buffer), and queued frames are
// a small header each plus the event's shared bytes, gathered into one write.

#include <switchboard/detail/http_front.hpp>
#include <switchboard/detail/stream_connection.hpp>
#include <switchboard/websocket/frame.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace switchboard::detail::websocket {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// The route of this carrier (http_front): WebSocket upgrade requests.
SWITCHBOARD_DECL bool wants(const http::request<http::string_body>& req);
SWITCHBOARD_DECL void serve(std::shared_ptr<http_exchange> x, http::request<http::string_body> req);

class server_connection final : public stream_connection {
public:
    // Room for a session frame's header (`E<seq> <flag> <type>\n`) beyond the data's
    // max_message_size; a longer type makes the message too big.
    static constexpr std::size_t session_header_room = 1024;

    // Answers a WebSocket upgrade request and, if it is acceptable, serves the session.
    static void upgrade(connection_slot slot, tcp::socket socket, http::request<http::string_body> req,
                        boost::beast::flat_buffer leftover);

    server_connection(connection_slot slot, stream_socket socket, std::shared_ptr<server_session> session);

    void send_event(sequence_number seq, const shared_event& ev) override;
    void send_control(std::string frame) override;
    void close(error_code ec, std::string_view reason) override;
    // Sends a close frame with this WebSocket close code; the connection ends after it.
    void close_with(std::uint16_t code, std::string_view reason);
    transport_kind kind() const noexcept override { return transport_kind::websocket; }

    // frame_reader callbacks.
    void on_message(bool text, std::string_view payload);
    void on_ping(std::string_view payload);
    void on_pong(std::string_view) {}
    void on_close(std::uint16_t code, std::string_view reason);
    void on_error(std::uint16_t code, const char* reason);

private:
    void on_bytes(char* data, std::size_t n) override;
    void send_heartbeat() override;
    void on_overflow() override { fail(policy_violation, "slow consumer", error::queue_full); }
    void fail(std::uint16_t code, std::string_view reason, error_code ec);
    void control_frame(opcode op, std::string payload);

    frame_reader reader_;
    std::string rbuf_; // a partial frame, only while one is arriving
};

} // namespace switchboard::detail::websocket

#endif
