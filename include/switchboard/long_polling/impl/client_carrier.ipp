// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_LONG_POLLING_IMPL_CLIENT_CARRIER_IPP
#define SWITCHBOARD_LONG_POLLING_IMPL_CLIENT_CARRIER_IPP

#include <switchboard/detail/client_stream.hpp>
#include <switchboard/detail/http_upstream.hpp>
#include <switchboard/long_polling/client_carrier.hpp>
#include <switchboard/sse/client_carrier.hpp>
#include <switchboard/sse/parser.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <chrono>

namespace switchboard::detail::long_polling {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class poll_client_carrier final : public client_carrier, public std::enable_shared_from_this<poll_client_carrier> {
public:
    poll_client_carrier(const client_strand& strand, const client_options& options, bool hold)
        : options_(options),
          hold_(hold),
          resolver_(strand),
          stream_(strand),
          timer_(strand),
          parser_(std::max(options.max_line_size, max_encoded(options)), max_encoded(options)) {}

    void connect(const url& u, std::string target, std::string, carrier_events events,
                 std::function<void(error_code)> done) override {
        // No plain standard to speak.
        if (!options_.session) return done(error::transport_unavailable);
        events_ = std::move(events);
        done_ = std::move(done);
        url_ = u;
        upstream_ = make_upstream();
        upstream_->set_url(u);
        // The handshake: the core's query (a new session, or token and last to resume).
        request(target + "&transport=" + std::string(name()));
    }

    void send_event(sequence_number seq, const event& e) override {
        if (upstream_) upstream_->send_event(seq, e);
    }
    void send_control(std::string frame) override {
        if (upstream_) upstream_->send_control(frame);
    }
    void close() override {
        if (closed_) return;
        closing_ = true;
        maybe_finish_close();
    }
    void abort() override {
        closed_ = true;
        error_code ignored;
        resolver_.cancel();
        timer_.cancel();
        stream_.socket().close(ignored);
        if (upstream_) upstream_->abort();
    }

    // ---- sse_parser handler -----------------------------------------------------

    void on_event(event e) {
        if (closed_) return;
        std::string token;
        if (auto ec = sse::deliver_session_event(std::move(e), options_.max_message_size, events_, token)) return fail(ec);
        if (token.empty() || closed_) return;
        token_ = token;
        upstream_->set_token(std::move(token)); // sends made before it can go now
    }
    void on_retry(std::chrono::milliseconds) {}
    void on_comment(std::string_view text) {
        if (text == "more") more_ = true; // the answer was full: ask again at once
    }

private:
    static std::size_t max_encoded(const client_options& o) noexcept { return o.max_message_size / 3 * 4 + 1024; }
    std::string_view name() const noexcept { return hold_ ? "long-polling" : "polling"; }

    std::shared_ptr<http_upstream> make_upstream() {
        std::weak_ptr<poll_client_carrier> w = shared_from_this();
        http_upstream::handlers h;
        // A POST asks for the events after the last delivered: its answer carries them when
        // they are there already (an echo, a reply), one HTTP exchange instead of two.
        h.on_frame = [w](const proto::frame& f) {
            auto self = w.lock();
            if (!self) return;
            if (f.k == proto::kind::event && (f.a == 0 || f.body.size() > self->options_.max_message_size))
                return self->fail(f.a == 0 ? error_code(error::protocol_violation) : error_code(error::message_too_big));
            self->events_.on_frame(f, std::string(f.body)); // (raw bytes, as upstream)
        };
        h.last = [w] {
            auto self = w.lock();
            return self ? self->events_.last_delivered() : sequence_number{0};
        };
        h.on_answered = [w] {
            if (auto self = w.lock(); self && self->deferred_) {
                auto res = std::move(*self->deferred_);
                self->deferred_.reset();
                self->consume(res);
            }
        };
        h.on_failed = [w](error_code ec) {
            if (auto self = w.lock()) self->fail(ec);
        };
        // A 404: the session is gone. The next GET says how: the close that ended it,
        // or a 404 of its own (the session expired), and the core goes on from there.
        h.on_gone = [] {};
        h.on_idle = [w] {
            if (auto self = w.lock()) self->maybe_finish_close();
        };
        return std::make_shared<http_upstream>(stream_.get_executor(), options_, std::move(h));
    }

    // ---- the GETs ---------------------------------------------------------------

    void request(std::string target) {
        target_ = std::move(target);
        if (connected_) return write_request();
        stream_.expires_after(options_.connect_timeout);
        resolver_.async_resolve(url_.host, url_.port, [self = shared_from_this()](error_code ec, tcp::resolver::results_type r) {
            if (self->closed_) return;
            if (ec) return self->fail(ec);
            self->stream_.async_open(self->url_, r, self->options_.tls, [self](error_code ec2) {
                if (self->closed_) return;
                if (ec2) return self->fail(ec2);
                self->connected_ = true;
                self->write_request();
            });
        });
    }

    void write_request() {
        auto req = std::make_shared<http::request<http::empty_body>>(http::verb::get, target_, 11);
        req->set(http::field::host, url_.authority());
        req->set(http::field::user_agent, "switchboard");
        for (const auto& [name, value] : options_.headers) req->insert(name, value);
        req->keep_alive(true);
        stream_.expires_after(options_.connect_timeout);
        sent_ = std::chrono::steady_clock::now();
        http::async_write(stream_, *req, [self = shared_from_this(), req](error_code ec, std::size_t) {
            if (self->closed_) return;
            if (ec) return self->fail(ec);
            self->response_.emplace();
            self->response_->header_limit(static_cast<std::uint32_t>(self->options_.max_line_size));
            // An answer holds at most a batch of events and one more (any size up to max_message_size).
            self->response_->body_limit(2 * max_encoded(self->options_) + (1u << 20));
            // The server holds a long-poll at most its heartbeat interval: an answer that does
            // not come within the timeout is a dead server (or path).
            self->stream_.expires_after(self->done_ ? self->options_.connect_timeout : self->options_.heartbeat.timeout);
            http::async_read(self->stream_, self->buffer_, *self->response_,
                             [self](error_code ec2, std::size_t) { self->on_response(ec2); });
        });
    }

    void on_response(error_code ec) {
        if (closed_) return;
        if (ec == beast::error::timeout && !done_) return fail(error::heartbeat_timeout);
        if (ec) return fail(ec);
        auto res = response_->release();
        response_.reset();
        if (!res.keep_alive()) {
            connected_ = false;
            error_code ignored;
            stream_.socket().close(ignored);
            buffer_.clear();
        }
        const auto status = res.result_int();
        // 404: the session is unknown or expired; the core reconnects, and the new
        // session's welcome tells it (and the application) what was lost.
        if (status == 404) return fail(error::connection_lost);
        if (status == 503) return fail(error::server_full);
        if (status == 401) return fail(error::unauthorized);
        if (status == 400) return fail(error::protocol_violation);
        if (status != 200) return fail(error::bad_http_status);
        const auto type = res[http::field::content_type];
        if (type.substr(0, type.find(';')) != "text/event-stream") return fail(error::bad_content_type);
        if (done_) {
            std::exchange(done_, nullptr)({});
            if (closed_) return;
        }
        // A GET's answer waits for the answer of a POST on its way, which may carry earlier
        // events (the server sends a GET only what follows them).
        if (upstream_ && upstream_->in_flight()) {
            deferred_ = std::move(res);
            return;
        }
        consume(res);
    }

    void consume(const http::response<http::string_body>& res) {
        more_ = false;
        if (auto perr = parser_.feed(res.body(), *this)) return fail(perr);
        if (closed_) return;
        if (token_.empty()) return fail(error::protocol_violation); // a handshake's answer brings the welcome
        if (more_) return poll();
        // Long-polling asks again at once, unless its GET came back empty sooner than the
        // poll interval: a server (or a proxy) that does not hold is polled at the interval,
        // never in a tight loop.
        if (hold_ && !(res.body().empty() && std::chrono::steady_clock::now() - sent_ < options_.poll_interval)) return poll();
        timer_.expires_after(options_.poll_interval);
        timer_.async_wait([self = shared_from_this()](error_code e) {
            if (!e && !self->closed_) self->poll();
        });
    }

    // The next GET: it acknowledges every event delivered so far.
    void poll() {
        request(url_.target("sb=" + std::to_string(protocol_version) + "&transport=" + std::string(name()) +
                            "&token=" + token_ + "&last=" + std::to_string(events_.last_delivered()) + "&poll=1"));
    }

    void maybe_finish_close() {
        if (!closing_ || closed_ || (upstream_ && !upstream_->idle())) return;
        abort();
    }

    // Ends the connection: reported to `done` while connecting, else to on_closed.
    void fail(error_code ec) {
        if (closed_) return;
        if (ec == beast::error::timeout) ec = error::handshake_timeout;
        else if (ec && ec.category() != error_category() && ec != asio::error::connection_refused) ec = error::connection_lost;
        abort();
        if (done_) return std::exchange(done_, nullptr)(ec);
        events_.on_closed(ec);
    }

    client_options options_;
    bool hold_;
    tcp::resolver resolver_;
    client_stream stream_;
    asio::steady_timer timer_; // polling: the interval between GETs
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::string_body>> response_;
    std::shared_ptr<http_upstream> upstream_;
    sse_parser parser_;
    carrier_events events_;
    std::function<void(error_code)> done_;
    url url_;
    std::string target_;
    std::string token_;
    std::chrono::steady_clock::time_point sent_; // when the GET in flight was sent
    std::optional<http::response<http::string_body>> deferred_; // a GET's answer waiting for a POST's
    bool more_ = false;
    bool connected_ = false;
    bool closing_ = false;
    bool closed_ = false;
};

SWITCHBOARD_DECL std::shared_ptr<client_carrier> make_client_carrier(const client_strand& strand,
                                                                     const client_options& options, bool hold) {
    return std::make_shared<poll_client_carrier>(strand, options, hold);
}

} // namespace switchboard::detail::long_polling

#endif
