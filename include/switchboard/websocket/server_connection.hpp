// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_WEBSOCKET_SERVER_CONNECTION_HPP
#define SWITCHBOARD_WEBSOCKET_SERVER_CONNECTION_HPP

// The WebSocket carrier's server half. After the HTTP upgrade it reads client frames
// with its own parser and writes frames itself: while idle it holds no buffer (it
// waits for readability, then reads into a per-thread buffer), and queued frames are
// a small header each plus the event's shared bytes, gathered into one write.

#include <switchboard/detail/server_core.hpp>
#include <switchboard/session/heartbeat.hpp>
#include <switchboard/websocket/frame.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <vector>

namespace switchboard::detail::ws {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class server_connection final : public connection_base, public std::enable_shared_from_this<server_connection> {
public:
    // Answers a WebSocket upgrade request and, if it is acceptable, serves the session.
    static void upgrade(connection_slot slot, tcp::socket socket, http::request<http::string_body> req,
                        boost::beast::flat_buffer leftover);

    server_connection(connection_slot slot, tcp::socket socket, std::shared_ptr<server_session> session);

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
    struct out_frame {
        std::string head;      // frame header (+ session header or whole control payload)
        shared_event ev;       // the shared event whose data follows, if any
        std::size_t size() const noexcept { return head.size() + (ev ? ev->data.size() : 0); }
    };

    void start(std::string response, std::string leftover);
    void read();
    void on_readable(error_code ec);
    void parse(char* data, std::size_t n);
    void enqueue(out_frame f, bool control);
    void flush();
    void on_written(error_code ec);
    void arm_timer();
    void on_timer(error_code ec);
    void fail(std::uint16_t code, std::string_view reason, error_code ec);
    void drop(error_code ec);

    connection_slot slot_;
    tcp::socket socket_;
    std::shared_ptr<server_session> session_;
    strand_type strand_;
    frame_reader reader_;
    heartbeat hb_;
    asio::steady_timer timer_;
    std::string rbuf_;                   // a partial frame, only while one is arriving
    std::vector<out_frame> pending_;     // queued, not yet being written
    std::vector<out_frame> writing_;     // being written
    std::vector<asio::const_buffer> buffers_;
    std::size_t queued_bytes_ = 0;
    error_code close_ec_;                // why this side is closing
    heartbeat::clock::time_point close_deadline_{};
    bool closing_ = false;               // a close frame is queued: nothing else is sent
    bool lingering_ = false;             // the close frame is out: drain until EOF
    bool dropped_ = false;
};

} // namespace switchboard::detail::ws

#endif
