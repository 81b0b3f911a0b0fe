// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_CLIENT_CORE_HPP
#define SWITCHBOARD_DETAIL_CLIENT_CORE_HPP

// The transport-independent client: session protocol, reconnect with backoff,
// resume, replay, de-duplication, and the queues behind async_send/async_receive.
// It drives a client_carrier, the client half of one transport.

#include <switchboard/detail/client_stream.hpp>
#include <switchboard/detail/protocol.hpp>
#include <switchboard/detail/url.hpp>
#include <switchboard/error.hpp>
#include <switchboard/event.hpp>
#include <switchboard/options.hpp>
#include <switchboard/session/backoff.hpp>
#include <switchboard/session/inbound_sequencer.hpp>
#include <switchboard/session/replay_window.hpp>
#include <switchboard/state.hpp>
#include <switchboard/transport.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace switchboard::detail {

namespace asio = boost::asio;
using client_strand = asio::strand<asio::any_io_executor>;

// What a carrier reports to the client core; every call happens on the core's strand.
struct carrier_events {
    std::function<void(const proto::frame&, std::string data)> on_frame; // session mode
    std::function<void(event)> on_plain;                                 // plain mode
    std::function<void(error_code)> on_closed;                           // once, at the end
    std::function<void(std::chrono::milliseconds)> on_retry;             // the server's reconnect delay
    std::function<void(std::string)> on_last_event_id;                  // plain SSE: the id in force changed
    std::function<void(error_code)> on_error;                            // reported; the connection goes on
    std::function<sequence_number()> last_delivered;                     // session mode: the last event delivered
};

// The client half of a transport: one connection attempt and its life. Every member
// is called on the core's strand; callbacks arrive there too.
class client_carrier {
public:
    virtual ~client_carrier() = default;
    // Connects to `u` requesting `target`; `done` reports the handshake. After a
    // success, received frames arrive through `events` until `on_closed`.
    // `last_event_id`: where the previous connection stopped (SSE's Last-Event-ID).
    virtual void connect(const url& u, std::string target, std::string last_event_id, carrier_events events,
                         std::function<void(error_code)> done) = 0;
    // seq is the event's sequence number in session mode, 0 in plain mode.
    virtual void send_event(sequence_number seq, const event& e) = 0;
    virtual void send_control(std::string frame) = 0;
    // Ends the connection gracefully (on_closed follows), or at once.
    virtual void close() = 0;
    virtual void abort() = 0;
};

using carrier_factory = std::function<std::shared_ptr<client_carrier>(const client_strand&, const client_options&)>;

// One transport a client may use: what it is, and how to make its carrier.
struct carrier_choice {
    transport_kind kind;
    carrier_factory make;
};

class client_core : public std::enable_shared_from_this<client_core> {
public:
    using connect_handler = asio::any_completion_handler<void(error_code)>;
    using send_handler = asio::any_completion_handler<void(error_code)>;
    using receive_handler = asio::any_completion_handler<void(error_code, event)>;

    // `transports`: in order of preference; a later one is tried when an earlier one
    // does not get through (see attempt_failed), and the session carries over.
    SWITCHBOARD_DECL client_core(asio::any_io_executor ex, url u, client_options o,
                                 std::vector<carrier_choice> transports);

    const client_strand& strand() const noexcept { return strand_; }
    state current_state() const noexcept { return state_.load(); }
    transport_kind current_transport() const noexcept { return current_kind_.load(); }

    // Callbacks; set them before connecting.
    std::function<void(event)> on_event;
    std::function<void(state)> on_state;
    std::function<void(gap)> on_gap;
    std::function<void(error_code)> on_error;

    // From any thread: each posts to the strand.
    SWITCHBOARD_DECL void connect(connect_handler h);
    SWITCHBOARD_DECL void send(event e, send_handler h);
    SWITCHBOARD_DECL void receive(receive_handler h);
    SWITCHBOARD_DECL void close(connect_handler h);
    // Ends everything at once (the client object is going away); no callback starts
    // after it returns.
    SWITCHBOARD_DECL void shutdown();
    bool silenced() const noexcept { return silenced_.load(); }

private:
    void attempt();
    void on_connected(std::uint64_t gen, error_code ec);
    void attempt_failed(error_code ec);
    void on_frame(std::uint64_t gen, const proto::frame& f, std::string data);
    void on_welcome(std::string_view body);
    void on_plain(std::uint64_t gen, event e);
    void on_closed(std::uint64_t gen, error_code ec);
    void lost(error_code ec);
    void set_state(state s);
    void deliver(error_code ec, event e);
    void report_gap(gap g);
    void maybe_ack();
    void try_finish_close();
    void finish(error_code ec);
    carrier_events events_for(std::uint64_t gen);
    template <class Handler, class... Args>
    void complete(Handler h, Args... args);

    client_strand strand_;
    url url_;
    client_options options_;
    std::vector<carrier_choice> transports_;
    std::size_t current_ = 0; // the transport in use: never goes back to an earlier one
    std::atomic<transport_kind> current_kind_;
    std::shared_ptr<client_carrier> carrier_;
    std::uint64_t generation_ = 0;
    bool connected_ = false;
    std::atomic<state> state_{state::connecting};
    bool started_ = false;

    tls_context tls_context_; // wss://, https://: keeps the shared context loaded
    std::string token_;
    std::string last_event_id_; // plain mode: the id of the last event received
    std::optional<std::chrono::milliseconds> retry_; // the server's reconnect delay, if it gave one
    replay_window<event> out_;
    inbound_sequencer in_;
    std::deque<event> plain_queue_; // plain mode: sends waiting for a connection
    std::size_t plain_queue_bytes_ = 0;
    backoff backoff_;
    asio::steady_timer reconnect_timer_;
    asio::steady_timer ack_timer_;
    bool ack_timer_armed_ = false;
    asio::steady_timer close_timer_;

    std::optional<connect_handler> connect_handler_;
    std::optional<receive_handler> receive_handler_;
    std::vector<connect_handler> close_handlers_;
    std::deque<std::pair<error_code, event>> inbox_;
    bool closing_ = false;
    std::atomic<bool> silenced_{false};
};

} // namespace switchboard::detail

#endif
