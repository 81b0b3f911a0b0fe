// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_STREAM_CONNECTION_HPP
#define SWITCHBOARD_DETAIL_STREAM_CONNECTION_HPP

// What the server halves of the streaming carriers (WebSocket, SSE) share: one socket
// on the session's strand, a write queue that gathers every queued frame into one
// write (small pieces copied together, large event data shared, not copied), a bound
// on queued bytes (a slow consumer is closed), heartbeats, and a bounded linger after
// a close.
//
// While idle a connection holds no buffer: it waits for readability, then reads into
// a per-thread buffer. A carrier supplies the framing (on_bytes, send_heartbeat).

#include <switchboard/detail/server_core.hpp>
#include <switchboard/session/heartbeat.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::detail {

class stream_connection : public connection_base,
                          public wakeable,
                          public std::enable_shared_from_this<stream_connection> {
public:
    using tcp = asio::ip::tcp;

    // How long a closing connection waits for the peer to end the TCP connection.
    static constexpr int linger_ms = 5000;

    // The server's timer wheel calls this (from any thread) at a deadline it was given;
    // a wake-up for a deadline since replaced by an earlier one is ignored.
    SWITCHBOARD_DECL void wake(heartbeat::clock::time_point when) override;

    // `watch_peer`: whether silence from the peer for heartbeat.timeout drops it (a
    // carrier whose peer never writes, as SSE, cannot tell silence from death).
    SWITCHBOARD_DECL stream_connection(connection_slot slot, stream_socket socket, std::shared_ptr<server_session> session,
                                       bool watch_peer);

    // Opens or resumes the session `req` asks for (refusing it with its HTTP status when
    // it cannot be had), then serves it on the connection `make(slot, socket, request)`
    // returns: `first` (the response head) goes out, `leftover` bytes are read.
    template <class Make>
    static void serve(connection_slot slot, tcp::socket socket,
                      const boost::beast::http::request<boost::beast::http::string_body>& req, std::string first,
                      std::string leftover, const std::optional<resume_hint>& hint, Make make) {
        auto& core = slot.core();
        auto request = open_or_resume(slot, req, hint);
        if (!request.session) return refuse_http(std::move(slot), std::move(socket), request.refusal, request.why);
        auto stream = unstrand(std::move(socket), core.ioc);
        if (!stream.is_open()) { // the peer is already gone
            if (!request.resumed) request.session->post_close("");
            return;
        }
        std::shared_ptr<stream_connection> conn = make(std::move(slot), std::move(stream), request);
        const auto strand = request.session->strand(); // before `request` is moved
        asio::dispatch(strand, [conn, request = std::move(request), first = std::move(first),
                                leftover = std::move(leftover)]() mutable {
            conn->start(std::move(first), std::move(leftover));
            request.session->attach(conn, request.client_last, request.resumed, request.token);
        });
    }

    // A drain of queued sends: one write after it, as after a read.
    void begin_batch() override { batching_ = true; }
    void end_batch() override {
        batching_ = false;
        flush();
    }

protected:
    // One queued frame: a header of its own, the event's shared bytes (if any), and a
    // constant trailer (e.g. SSE's blank line).
    struct out_frame {
        std::string head;
        shared_event ev;
        std::string_view tail{};
        std::size_t size() const noexcept { return head.size() + (ev ? ev->data.size() : 0) + tail.size(); }
        // What it counts against max_queued_bytes: its bytes and its place in the queue
        // (a flood of empty frames, as pongs, is bounded too).
        std::size_t cost() const noexcept { return size() + sizeof(out_frame); }
    };

    // Sends `first` (the handshake response), feeds `leftover` bytes, starts reading.
    SWITCHBOARD_DECL void start(std::string first, std::string leftover);
    // Queues a frame. Every frame counts against max_queued_bytes; past it the
    // connection is closed as a slow consumer (on_overflow), after which only the frames
    // that say so (the carrier's close) are queued.
    SWITCHBOARD_DECL void enqueue(out_frame f);
    // Nothing more is queued; once the queue is written the send side is shut, and the
    // connection ends when the peer ends it or after the linger time. `ec`: why.
    SWITCHBOARD_DECL void begin_close(error_code ec);
    // Ends the connection at once and tells the session.
    SWITCHBOARD_DECL void drop(error_code ec);

    // Bytes from the peer (never called once closing or dropped).
    virtual void on_bytes(char* data, std::size_t n) = 0;
    // Queue a heartbeat frame (nothing was sent for heartbeat.interval).
    virtual void send_heartbeat() = 0;
    // The queue overflowed: close with this carrier's slow-consumer signal.
    virtual void on_overflow() = 0;

    bool closing() const noexcept { return closing_; }
    bool dropped() const noexcept { return dropped_; }
    server_session& session() const noexcept { return *session_; }
    const std::shared_ptr<server_session>& session_ptr() const noexcept { return session_; }

    error_code close_ec_; // why this side is closing

private:
    void read();
    void on_readable(error_code ec);
    void flush();
    void write_rest_after(std::size_t written);
    void on_written(error_code ec);
    void arm_timer();
    void on_timer();

    connection_slot slot_;
    stream_socket socket_;
    std::shared_ptr<server_session> session_;
    heartbeat hb_;
    heartbeat::clock::time_point wheel_at_ = heartbeat::clock::time_point::max(); // the wake-up asked for
    struct write_queue {
        std::vector<out_frame> pending;  // queued, not yet being written
        std::vector<out_frame> writing;  // being written
        std::vector<asio::const_buffer> buffers;
        std::string flat; // the small pieces of `writing`, copied together
    };
    std::unique_ptr<write_queue> q_; // none while idle
    std::size_t queued_bytes_ = 0;
    heartbeat::clock::time_point close_deadline_{};
    heartbeat::clock::time_point write_progress_{}; // the last progress of a write waiting for room
    bool watch_peer_;
    bool batching_ = false;     // in on_bytes or a drain: it flushes when it is done
    bool flush_posted_ = false; // a flush is queued on the strand
    bool carried_events_ = false; // the write in progress has events: keep a queue afterwards
    bool waiting_for_room_ = false; // a write waits for the socket: send_timeout applies
    bool overflowed_ = false;       // past max_queued_bytes: closing as a slow consumer
    bool closing_ = false;   // nothing more is queued
    bool lingering_ = false; // everything is out: drain until EOF
    bool dropped_ = false;
};

} // namespace switchboard::detail

#endif
