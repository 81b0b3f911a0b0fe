// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_HTTP_UPSTREAM_HPP
#define SWITCHBOARD_DETAIL_HTTP_UPSTREAM_HPP

// The upstream of the carriers whose downstream is HTTP (SSE, long-polling, polling):
// POSTs to the endpoint on a keep-alive connection of their own, one at a time so that
// order is kept. Session mode: session frames, length-prefixed, several per POST, each
// answered with an acknowledgement (docs/protocol.md). Plain mode: one event per POST.

#include <switchboard/detail/client_core.hpp>
#include <switchboard/detail/client_stream.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace switchboard::detail {

class http_upstream : public std::enable_shared_from_this<http_upstream> {
public:
    // What the upstream tells its carrier; every call on the carrier's strand.
    struct handlers {
        std::function<void(const proto::frame&)> on_frame; // a frame of an answer (an ack; events when `last` is set)
        std::function<void(error_code)> on_failed;        // lost or refused: the carrier ends with it
        std::function<void()> on_gone;                    // 404: the session is gone, nothing more goes up
        std::function<void()> on_idle;                    // nothing pending or in flight any more
        std::function<void(error_code)> on_error;         // plain mode: a POST refused (the upstream goes on)
        // Set: every POST asks for the session's events after the number it returns (the
        // last delivered), and its answer may carry them (long-polling and polling).
        std::function<sequence_number()> last;
        std::function<void()> on_answered; // a POST's answer was read, its frames handed on
    };

    SWITCHBOARD_DECL http_upstream(asio::any_io_executor ex, const client_options& options, handlers h);

    // Where the POSTs go (the stream's URL, after its redirects).
    void set_url(const url& u) { url_ = u; }
    // No client_options::headers from here on (a redirect to another origin).
    void drop_headers() { options_.headers.clear(); }
    // Session mode: POSTs wait for the session's token (the welcome).
    SWITCHBOARD_DECL void set_token(std::string token);
    // Queues an event (seq 0: plain mode) or a control frame, and posts when it can.
    SWITCHBOARD_DECL void send_event(sequence_number seq, const event& e);
    SWITCHBOARD_DECL void send_control(std::string_view frame);
    // A POST is on its way or waits for its answer.
    bool in_flight() const noexcept { return posting_; }
    // Nothing pending and nothing in flight, or the session is gone.
    bool idle() const noexcept { return gone_ || (!posting_ && upstream_.empty() && plain_.empty()); }
    // Ends the POST connection at once; no handler is called after it.
    SWITCHBOARD_DECL void abort();

private:
    void post_next();
    void write_post();
    void on_response(error_code ec);
    void fail(error_code ec);

    client_options options_;
    asio::ip::tcp::resolver resolver_;
    client_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> response_;
    handlers h_;
    url url_;
    std::string token_;
    std::string upstream_;                           // framed session frames not yet posted
    std::deque<std::pair<std::string, bool>> plain_; // plain mode: one POST per event (data, binary)
    bool posting_ = false;
    bool connected_ = false;
    bool gone_ = false;
    bool aborted_ = false;
};

} // namespace switchboard::detail

#endif
