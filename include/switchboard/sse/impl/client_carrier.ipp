// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SSE_IMPL_CLIENT_CARRIER_IPP
#define SWITCHBOARD_SSE_IMPL_CLIENT_CARRIER_IPP

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/http_upstream.hpp>
#include <switchboard/sse/client_carrier.hpp>
#include <switchboard/sse/parser.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <deque>

namespace switchboard::detail::sse {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class sse_client_carrier final : public client_carrier, public std::enable_shared_from_this<sse_client_carrier> {
public:
    sse_client_carrier(const client_strand& strand, const client_options& options)
        : options_(options),
          resolver_(strand),
          stream_(strand),
          // A data line may be as long as an event; base64 (binary events, text with a CR)
          // needs a third more.
          parser_(std::max(options.max_line_size, max_encoded(options)), max_encoded(options)) {}

    void connect(const url& u, std::string target, std::string last_event_id, carrier_events events,
                 std::function<void(error_code)> done) override {
        events_ = std::move(events);
        upstream_ = make_upstream();
        done_ = std::move(done);
        parser_.set_last_event_id(std::move(last_event_id)); // events without an id carry it on
        request(u, std::move(target));
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
        if (gone_timer_) gone_timer_->cancel();
        stream_.socket().close(ignored);
        if (upstream_) upstream_->abort();
    }

private:
    static std::size_t max_encoded(const client_options& o) noexcept { return o.max_message_size / 3 * 4 + 1024; }

    // ---- the event stream -------------------------------------------------------

    void request(const url& u, std::string target) {
        url_ = u;
        upstream_->set_url(u); // POSTs go where the stream is
        target_ = std::move(target);
        stream_.expires_after(options_.connect_timeout);
        resolver_.async_resolve(u.host, u.port, [self = shared_from_this()](error_code ec, tcp::resolver::results_type r) {
            if (self->closed_) return;
            if (ec) return self->connected(ec);
            self->stream_.async_open(self->url_, r, self->options_.tls, [self](error_code ec2) { self->on_tcp(ec2); });
        });
    }

    void on_tcp(error_code ec) {
        if (closed_) return;
        if (ec) return connected(ec);
        auto req = std::make_shared<http::request<http::empty_body>>(http::verb::get, target_, 11);
        req->set(http::field::host, url_.authority());
        req->set(http::field::accept, "text/event-stream");
        req->set(http::field::cache_control, "no-cache");
        req->set(http::field::user_agent, "switchboard");
        for (const auto& [name, value] : options_.headers) req->insert(name, value);
        if (!parser_.last_event_id().empty()) req->set("Last-Event-ID", parser_.last_event_id());
        http::async_write(stream_, *req, [self = shared_from_this(), req](error_code ec2, std::size_t) {
            if (self->closed_) return;
            if (ec2) return self->connected(ec2);
            self->response_.emplace();
            self->response_->header_limit(static_cast<std::uint32_t>(self->options_.max_line_size));
            self->response_->body_limit(boost::none); // the stream is endless
            http::async_read_header(self->stream_, self->buffer_, *self->response_,
                                    [self](error_code ec3, std::size_t) { self->on_header(ec3); });
        });
    }

    void on_header(error_code ec) {
        if (closed_) return;
        if (ec) return connected(ec);
        const auto& res = response_->get();
        const auto status = res.result_int();
        if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) return redirect(res);
        if (status == 204) return connected(error::closed); // the server says: do not reconnect
        if (status == 401) return connected(error::unauthorized);
        if (status != 200) return connected(status == 503 ? error::server_full : error::bad_http_status);
        const auto type = res[http::field::content_type];
        if (type.substr(0, type.find(';')).find("text/event-stream") != 0) return connected(error::bad_content_type);
        connected({});
        read_body();
    }

    void redirect(const http::response_header<>& res) {
        const auto location = std::string(res[http::field::location]);
        if (++redirects_ > options_.max_redirects) return connected(error::too_many_redirects);
        for (unsigned char c : location) // it becomes a request line
            if (c <= 0x20 || c == 0x7f) return connected(error::bad_http_status);
        error_code ignored;
        stream_.socket().close(ignored);
        buffer_.consume(buffer_.size());
        url next = url_;
        try {
            if (location.find("://") != std::string::npos) {
                next = parse_url(location);
                const bool same_origin = next.scheme == url_.scheme && next.host == url_.host && next.port == url_.port;
                if (!same_origin && !options_.cross_origin_redirects) return connected(error::redirect_refused);
                if (!same_origin) { // credentials are for the origin they were given for
                    options_.headers.clear();
                    upstream_->drop_headers();
                }
            } else if (!location.empty() && location[0] == '/') {
                const auto q = location.find('?');
                next.path = location.substr(0, q);
                next.query = q == std::string::npos ? std::string() : location.substr(q + 1);
            } else {
                return connected(error::bad_http_status);
            }
        } catch (const std::invalid_argument&) {
            return connected(error::bad_http_status);
        }
        request(next, next.target()); // the same stream: connecting opens its socket again
    }

    void connected(error_code ec) {
        if (ec == beast::error::timeout) ec = error::handshake_timeout;
        else if (ec && ec.category() != error_category()) ec = error::connection_lost;
        auto done = std::move(done_);
        if (closed_ || !done) return;
        if (ec) {
            closed_ = true;
            return done(ec);
        }
        done({});
    }

    void read_body() {
        auto& body = response_->get().body();
        body.data = rbuf_.data();
        body.size = rbuf_.size();
        // Heartbeats keep a live stream busy; silence past the timeout is a dead one.
        stream_.expires_after(options_.heartbeat.timeout);
        http::async_read_some(stream_, buffer_, *response_,
                              [self = shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
    }

    void on_body(error_code ec) {
        if (closed_) return;
        if (ec == http::error::need_buffer) ec = {};
        const auto n = rbuf_.size() - response_->get().body().size;
        if (n > 0) {
            if (auto perr = parser_.feed(std::string_view(rbuf_.data(), n), *this)) return end(perr);
            if (closed_) return;
            // An id field sets the id sent on reconnect, with or without an event.
            if (!options_.session && parser_.last_event_id() != reported_id_) {
                reported_id_ = parser_.last_event_id();
                if (events_.on_last_event_id) events_.on_last_event_id(reported_id_);
            }
        }
        if (ec == beast::error::timeout) return end(error::heartbeat_timeout);
        if (ec || response_->is_done()) return end(error::connection_lost);
        read_body();
    }

    // ---- sse_parser handler -----------------------------------------------------

public:
    void on_event(event e) {
        if (closed_) return;
        if (!options_.session) return events_.on_plain(std::move(e));
        std::string token;
        if (auto ec = deliver_session_event(std::move(e), options_.max_message_size, events_, token)) return end(ec);
        if (!token.empty() && !closed_) upstream_->set_token(std::move(token)); // sends made before it can go now
    }
    void on_retry(std::chrono::milliseconds delay) {
        if (!closed_ && events_.on_retry) events_.on_retry(delay);
    }
    void on_comment(std::string_view) {} // a heartbeat: the read timeout already restarted

private:
    // ---- upstream ---------------------------------------------------------------

    std::shared_ptr<http_upstream> make_upstream() {
        std::weak_ptr<sse_client_carrier> w = shared_from_this();
        http_upstream::handlers h;
        h.on_frame = [w](const proto::frame& f) {
            if (auto self = w.lock()) self->events_.on_frame(f, {});
        };
        h.on_failed = [w](error_code ec) {
            if (auto self = w.lock()) self->end(ec);
        };
        h.on_gone = [w] {
            // The session is gone (closed, expired, the server stopping) while its event
            // stream is up: the stream still carries its last frames (a close, events on
            // the way) and then ends. Wait for that, a bounded time, rather than cut it.
            auto self = w.lock();
            if (!self) return;
            self->gone_timer_ = std::make_unique<asio::steady_timer>(self->stream_.get_executor(),
                                                                     self->options_.heartbeat.timeout);
            self->gone_timer_->async_wait([w](error_code e) {
                if (auto s = w.lock(); s && !e) s->end(error::connection_lost);
            });
            self->maybe_finish_close();
        };
        h.on_idle = [w] {
            if (auto self = w.lock()) self->maybe_finish_close();
        };
        h.on_error = [w](error_code ec) {
            if (auto self = w.lock(); self && self->events_.on_error) self->events_.on_error(ec);
        };
        return std::make_shared<http_upstream>(stream_.get_executor(), options_, std::move(h));
    }

    void maybe_finish_close() {
        if (!closing_ || closed_ || (upstream_ && !upstream_->idle())) return;
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        abort();
    }

    // ---- the end ----------------------------------------------------------------

    // Ends the connection: reported to `done` while connecting, else to on_closed.
    void end(error_code ec) {
        if (closed_) return;
        abort();
        if (done_) return std::exchange(done_, nullptr)(ec);
        events_.on_closed(ec);
    }

    client_options options_;
    tcp::resolver resolver_;
    client_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::response_parser<http::buffer_body>> response_;
    std::shared_ptr<http_upstream> upstream_;
    std::array<char, 16 * 1024> rbuf_{};
    sse_parser parser_;
    carrier_events events_;
    std::function<void(error_code)> done_;
    url url_;
    std::string target_;
    std::string reported_id_; // plain mode: the last event id the core was told of
    std::size_t redirects_ = 0;
    bool closing_ = false;
    bool closed_ = false;
    std::unique_ptr<asio::steady_timer> gone_timer_; // the session is gone: the stream ends within heartbeat.timeout
};

SWITCHBOARD_DECL error_code deliver_session_event(event e, std::size_t max_message_size, const carrier_events& events,
                                                  std::string& token) {
    if (e.type == proto::sse_control_type) {
        auto f = proto::parse(e.data);
        if (!f || f->k == proto::kind::event) return error::protocol_violation;
        if (f->k == proto::kind::welcome) {
            auto w = proto::parse_welcome(f->body);
            if (!w) return error::protocol_violation;
            token = w->token;
        }
        events.on_frame(*f, {});
        return {};
    }
    // "<token>-<seq>[flag]": 'b' binary, 'e' text, both base64.
    const std::string_view id = e.id;
    const auto dash = id.find('-');
    proto::frame f;
    f.k = proto::kind::event;
    std::string_view rest = dash == std::string_view::npos ? std::string_view{} : id.substr(dash + 1);
    if (!proto::read_number(rest, f.a) || f.a == 0 || rest.size() > 1) return error::protocol_violation;
    const char flag = rest.empty() ? 0 : rest[0];
    if (flag != 0 && flag != 'b' && flag != 'e') return error::protocol_violation;
    f.binary = flag == 'b';
    f.type = e.type;
    std::string data = std::move(e.data);
    if (flag) {
        auto decoded = base64_decode(data);
        if (!decoded) return error::protocol_violation;
        data = std::move(*decoded);
    }
    if (data.size() > max_message_size) return error::message_too_big;
    events.on_frame(f, std::move(data));
    return {};
}

SWITCHBOARD_DECL std::shared_ptr<client_carrier> make_client_carrier(const client_strand& strand,
                                                                     const client_options& options) {
    return std::make_shared<sse_client_carrier>(strand, options);
}

} // namespace switchboard::detail::sse

#endif
