// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_LONG_POLLING_SERVER_CHANNEL_HPP
#define SWITCHBOARD_LONG_POLLING_SERVER_CHANNEL_HPP

// The server half of long-polling and polling (polling is long-polling that never
// holds a request). A session's channel outlives the requests that reach it: any GET of
// the session, on any connection, is answered from the session's replay window (every
// event after the `last` the GET acknowledges) plus the control frames waiting, framed
// as an SSE body. A long-polling GET with nothing to answer is held until an event
// comes or long_poll_timeout passes; a second GET ends the held one with an empty
// answer. docs/protocol.md has the wire format.

#include <switchboard/detail/http_front.hpp>
#include <switchboard/detail/server_core.hpp>
#include <switchboard/detail/server_session.hpp>
#include <switchboard/detail/timer_wheel.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace switchboard::detail::long_polling {

namespace http = boost::beast::http;

// The route of this carrier (http_front): a GET whose query names the transport,
// `transport=long-polling` or `transport=polling`.
SWITCHBOARD_DECL bool wants(const http::request<http::string_body>& req);
SWITCHBOARD_DECL void serve(std::shared_ptr<http_exchange> x, http::request<http::string_body> req);

class server_channel final : public connection_base,
                             public wakeable,
                             public lingering_connection,
                             public std::enable_shared_from_this<server_channel> {
public:
    using clock = std::chrono::steady_clock;

    // How long a closed session's last frames wait for a request on a stopped server.
    static constexpr int linger_ms = 5000;

    // `hold`: long-polling (a GET with nothing to answer waits), else polling.
    SWITCHBOARD_DECL server_channel(std::shared_ptr<server_session> session, bool hold);

    // On the session's strand from here on. The channel keeps itself alive until it
    // ends: its session closes or moves to another connection, or no request comes
    // for heartbeat.timeout.
    SWITCHBOARD_DECL void start();
    // A GET of the session: the client delivered every event up to `last`.
    SWITCHBOARD_DECL void on_get(std::shared_ptr<http_exchange> x, sequence_number last, bool keep_alive);
    bool holds() const noexcept { return hold_; }

    SWITCHBOARD_DECL void send_event(sequence_number seq, const shared_event& ev) override;
    SWITCHBOARD_DECL void send_control(std::string frame) override;
    SWITCHBOARD_DECL void close(error_code ec, std::string_view reason) override;
    transport_kind kind() const noexcept override {
        return hold_ ? transport_kind::long_polling : transport_kind::polling;
    }
    void begin_batch() override { batching_ = true; }
    SWITCHBOARD_DECL void end_batch() override;
    SWITCHBOARD_DECL void answer_post(sequence_number last, std::uint64_t serial, std::string& body) override;
    SWITCHBOARD_DECL void wake(clock::time_point when) override;
    void stop_lingering() override { end(); }

private:
    bool has_news() const noexcept;
    void answer_soon();
    void answer();
    void arm(clock::time_point when);
    void linger();
    void end();

    std::shared_ptr<server_session> session_;
    // Keeps the channel alive until it ends, as a stream's pending read keeps a stream:
    // a wait that never expires, cancelled by end(), and destroyed with the io_context.
    asio::steady_timer life_;
    std::shared_ptr<http_exchange> held_;  // the GET waiting for an answer
    bool held_keep_alive_ = false;
    clock::time_point held_until_{}; // long_poll_timeout of the held GET
    clock::time_point idle_until_{}; // no GET by then: the client is gone
    clock::time_point wheel_at_ = clock::time_point::max(); // the wake-up asked for
    sequence_number acked_ = 0; // the `last` of the latest GET: answers start after it
    // The last event a POST's answer carried: a GET's answer starts after it too (the
    // client reads that POST's answer before any later GET's).
    sequence_number covered_ = 0;
    std::uint64_t serial_; // when the channel was made (server_core::next_serial)
    std::string welcome_, ack_, close_; // control frames waiting for an answer
    bool hold_;
    bool batching_ = false;
    bool welcomed_ = false; // its session sent a welcome (a poll before waits for it)
    bool answer_wanted_ = false; // in a batch: answer at its end
    bool answer_posted_ = false;
    bool overflowed_ = false; // past max_queued_bytes: closed as a slow consumer
    bool closing_ = false; // the session ended or moved on: what is left goes, then the end
    bool ended_ = false;
};

} // namespace switchboard::detail::long_polling

#endif
