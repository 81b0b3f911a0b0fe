// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_CLIENT_CORE_IPP
#define SWITCHBOARD_IMPL_CLIENT_CORE_IPP

#include <switchboard/detail/client_core.hpp>
#include <switchboard/detail/query.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

namespace switchboard::detail {

SWITCHBOARD_DECL client_core::client_core(asio::any_io_executor ex, url u, client_options o,
                                          std::vector<carrier_choice> transports)
    : strand_(asio::make_strand(std::move(ex))),
      url_(std::move(u)),
      options_(std::move(o)),
      transports_(std::move(transports)),
      current_kind_(transports_.at(0).kind),
      out_(options_.replay),
      in_(options_.replay),
      backoff_(options_.reconnect),
      reconnect_timer_(strand_),
      ack_timer_(strand_),
      close_timer_(strand_) {
    // A TLS file that cannot be used is a mistake of the program: said here, at once.
    if (url_.secure()) tls_context_ = client_tls_context(options_.tls);
}

template <class Handler, class... Args>
void client_core::complete(Handler h, Args... args) {
    // Never inline: the handler runs later, on its own executor (the strand by default).
    asio::post(strand_, [strand = strand_, h = std::move(h), ... args = std::move(args)]() mutable {
        auto ex = asio::get_associated_executor(h, strand);
        asio::dispatch(asio::bind_executor(
            ex, [h = std::move(h), ... args = std::move(args)]() mutable { std::move(h)(std::move(args)...); }));
    });
}

SWITCHBOARD_DECL void client_core::connect(connect_handler h) {
    asio::post(strand_, [self = shared_from_this(), h = std::move(h)]() mutable {
        if (self->started_) return self->complete(std::move(h), error_code(error::closed));
        self->started_ = true;
        self->connect_handler_.emplace(std::move(h));
        self->attempt();
    });
}

SWITCHBOARD_DECL carrier_events client_core::events_for(std::uint64_t gen) {
    std::weak_ptr<client_core> w = weak_from_this();
    carrier_events ev;
    ev.on_frame = [w, gen](const proto::frame& f, std::string data) {
        if (auto self = w.lock()) self->on_frame(gen, f, std::move(data));
    };
    ev.on_plain = [w, gen](event e) {
        if (auto self = w.lock()) self->on_plain(gen, std::move(e));
    };
    ev.on_closed = [w, gen](error_code ec) {
        if (auto self = w.lock()) self->on_closed(gen, ec);
    };
    ev.on_retry = [w, gen](std::chrono::milliseconds delay) {
        // Never later than the client's own longest delay: a server cannot postpone
        // reconnects for years.
        if (auto self = w.lock(); self && gen == self->generation_)
            self->retry_ = std::min(delay, self->options_.reconnect.max_delay);
    };
    ev.on_last_event_id = [w, gen](std::string id) {
        if (auto self = w.lock(); self && gen == self->generation_) self->last_event_id_ = std::move(id);
    };
    ev.on_error = [w, gen](error_code ec) {
        if (auto self = w.lock(); self && gen == self->generation_ && self->on_error && !self->silenced())
            self->on_error(ec);
    };
    ev.last_delivered = [w]() -> sequence_number {
        auto self = w.lock();
        return self ? self->in_.last_delivered() : 0;
    };
    return ev;
}

SWITCHBOARD_DECL void client_core::attempt() {
    const auto gen = ++generation_;
    if (options_.refresh_headers) {
        // This attempt's headers: the fixed ones, then fresh ones (credentials that expire).
        auto attempt_options = options_;
        for (auto& [name, value] : options_.refresh_headers())
            if (sendable_header(name, value)) attempt_options.headers.emplace_back(std::move(name), std::move(value));
        carrier_ = transports_[current_].make(strand_, attempt_options);
    } else {
        carrier_ = transports_[current_].make(strand_, options_);
    }
    std::string extra;
    if (options_.session) {
        extra = "sb=" + std::to_string(protocol_version);
        if (!token_.empty()) extra += "&token=" + token_ + "&last=" + std::to_string(in_.last_delivered());
    }
    // (In session mode the query carries the resume point; last_event_id_ is plain mode's.)
    std::weak_ptr<client_core> w = weak_from_this();
    carrier_->connect(url_, url_.target(extra), last_event_id_, events_for(gen), [w, gen](error_code ec) {
        if (auto self = w.lock()) self->on_connected(gen, ec);
    });
}

SWITCHBOARD_DECL void client_core::on_connected(std::uint64_t gen, error_code ec) {
    if (gen != generation_) return;
    if (ec) {
        carrier_.reset();
        return attempt_failed(ec);
    }
    connected_ = true;
    if (options_.session) {
        // Open once the welcome frame arrives, which must be within connect_timeout.
        reconnect_timer_.expires_after(options_.connect_timeout);
        reconnect_timer_.async_wait([w = weak_from_this(), gen](error_code timer_ec) {
            auto self = w.lock();
            // (Not connected: the connection dropped after this wait fired, before it ran.)
            if (!self || timer_ec || gen != self->generation_ || !self->connected_ || self->state_ == state::open) return;
            ++self->generation_;
            if (self->carrier_) self->carrier_->abort();
            self->carrier_.reset();
            self->connected_ = false;
            self->attempt_failed(error::handshake_timeout); // e.g. a proxy that buffers a stream
        });
        return;
    }
    set_state(state::open);
    backoff_.connected(backoff::clock::now());
    for (auto& e : plain_queue_) carrier_->send_event(0, e);
    plain_queue_.clear();
    plain_queue_bytes_ = 0;
    if (connect_handler_) complete(std::exchange(connect_handler_, std::nullopt).value(), error_code{});
    try_finish_close();
}

SWITCHBOARD_DECL void client_core::attempt_failed(error_code ec) {
    // Whether this says the transport does not get through here (a proxy refusing
    // WebSocket upgrades or answering with an error, a stream whose first frame never
    // arrives), rather than that the server is unreachable or full, which every
    // transport to the same host and port would find too.
    const bool server_wide = ec == asio::error::connection_refused || ec == asio::error::host_not_found ||
                             ec == asio::error::host_not_found_try_again || ec == asio::error::host_unreachable ||
                             ec == asio::error::network_unreachable || ec == error::server_full ||
                             ec == error::tls_failed || ec == error::certificate_rejected || ec == error::unauthorized;
    if (server_wide || current_ + 1 >= transports_.size() || state_ == state::closed || closing_) return lost(ec);
    // The next transport, at once: the session (token, windows) carries over, so the
    // server resumes it there. A client never goes back to an earlier transport.
    ++current_;
    current_kind_.store(transports_[current_].kind);
    if (on_error && !silenced()) on_error(ec);
    attempt();
}

SWITCHBOARD_DECL void client_core::on_welcome(std::string_view body) {
    auto w = proto::parse_welcome(body);
    if (!w) return finish(error::protocol_violation);
    // A resumed session comes with a new token (the old one is void); a welcome that
    // is not a resume, when we had a session, is a new session in place of ours.
    if (!token_.empty() && !w->resumed) {
        // Whatever the old one had in flight is gone.
        if (on_error && !silenced()) on_error(error::session_expired);
        in_ = inbound_sequencer(options_.replay);
        out_ = replay_window<event>(options_.replay);
    }
    reconnect_timer_.cancel();
    token_ = w->token;
    auto plan = out_.resume(w->last);
    if (plan.ec) return finish(plan.ec);
    if (plan.lost) carrier_->send_control(proto::encode_gap(*plan.lost));
    out_.for_each_after(plan.replay_after, [&](sequence_number seq, const event& e) { carrier_->send_event(seq, e); });
    set_state(state::open);
    backoff_.connected(backoff::clock::now());
    if (connect_handler_) complete(std::exchange(connect_handler_, std::nullopt).value(), error_code{});
    try_finish_close();
}

SWITCHBOARD_DECL void client_core::on_frame(std::uint64_t gen, const proto::frame& f, std::string data) {
    if (gen != generation_ || state_ == state::closed) return;
    switch (f.k) {
    case proto::kind::welcome: return on_welcome(f.body);
    case proto::kind::event: {
        if (state_ != state::open) return finish(error::protocol_violation);
        auto v = in_.accept(f.a);
        if (v.missed) report_gap(*v.missed);
        if (v.deliver)
            deliver({}, event{.type = proto::event_type(f.type), .data = std::move(data), .binary = f.binary,
                              .id = std::to_string(f.a)});
        return maybe_ack();
    }
    case proto::kind::ack:
        if (out_.acknowledge(f.a)) return finish(error::protocol_violation);
        return try_finish_close();
    case proto::kind::gap:
        if (auto g = in_.skip(gap{f.a, f.b})) report_gap(*g);
        return maybe_ack();
    case proto::kind::close: {
        const error_code code(static_cast<int>(f.a), error_category());
        if (code != error::session_expired) return finish(code);
        // The server no longer knows our session: start a new one, and say what was lost.
        if (on_error && !silenced()) on_error(code);
        token_.clear();
        in_ = inbound_sequencer(options_.replay);
        out_ = replay_window<event>(options_.replay);
        if (carrier_) carrier_->abort();
        carrier_.reset();
        ++generation_;
        connected_ = false;
        return lost(code);
    }
    case proto::kind::heartbeat: return;
    }
}

SWITCHBOARD_DECL void client_core::on_plain(std::uint64_t gen, event e) {
    if (gen != generation_ || state_ == state::closed) return;
    last_event_id_ = e.id;
    deliver({}, std::move(e));
}

SWITCHBOARD_DECL void client_core::on_closed(std::uint64_t gen, error_code ec) {
    if (gen != generation_) return;
    connected_ = false;
    carrier_.reset();
    backoff_.disconnected(backoff::clock::now());
    lost(ec);
}

SWITCHBOARD_DECL void client_core::lost(error_code ec) {
    if (state_ == state::closed) return;
    // The server said not to come back (SSE: HTTP 204): a clean end.
    if (ec == error::closed) return finish({});
    const bool fatal = ec == error::protocol_violation || ec == error::message_too_big ||
                       ec == error::transport_unavailable || ec == error::server_full ||
                       ec == error::bad_content_type || ec == error::line_too_long ||
                       ec == error::too_many_redirects || ec == error::redirect_refused ||
                       ec == error::certificate_rejected || // retrying would not change the certificate
                       (ec == error::unauthorized && !options_.refresh_headers); // nor the credentials
    if (state_ == state::connecting || closing_ || fatal || !options_.reconnect.enabled) return finish(ec);
    set_state(state::reconnecting);
    if (backoff_.exhausted()) return finish(error::reconnect_exhausted);
    // Never sooner than the server asked (SSE `retry:`), later when attempts keep failing.
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(backoff_.next_delay());
    if (retry_) delay = std::max(delay, *retry_);
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([w = weak_from_this()](error_code timer_ec) {
        auto self = w.lock();
        if (!self || timer_ec || self->state_ == state::closed) return;
        self->attempt();
    });
}

SWITCHBOARD_DECL void client_core::set_state(state s) {
    if (state_.exchange(s) == s) return;
    if (on_state && !silenced()) on_state(s);
}

SWITCHBOARD_DECL void client_core::deliver(error_code ec, event e) {
    if (silenced()) return;
    if (on_event && !ec) return on_event(std::move(e));
    if (receive_handler_) return complete(std::exchange(receive_handler_, std::nullopt).value(), ec, std::move(e));
    inbox_.emplace_back(ec, std::move(e));
}

SWITCHBOARD_DECL void client_core::report_gap(gap g) {
    if (silenced()) return;
    if (on_gap) return on_gap(g);
    if (on_event) {
        if (on_error) on_error(error::replay_gap);
        return;
    }
    deliver(error::replay_gap, event{.type = "switchboard.gap",
                                     .data = std::to_string(g.first) + "-" + std::to_string(g.last),
                                     .binary = false,
                                     .id = {}});
}

SWITCHBOARD_DECL void client_core::maybe_ack() {
    const auto now = inbound_sequencer::clock::now();
    if (in_.ack_due(now)) {
        if (carrier_ && connected_) carrier_->send_control(proto::encode_ack(in_.take_ack(now)));
        return;
    }
    if (ack_timer_armed_) return;
    ack_timer_armed_ = true;
    ack_timer_.expires_after(options_.replay.ack_interval);
    ack_timer_.async_wait([w = weak_from_this()](error_code ec) {
        auto self = w.lock();
        if (!self) return;
        self->ack_timer_armed_ = false;
        if (ec || self->state_ == state::closed) return;
        // The timer is the interval: whatever arrived since the last acknowledgement is acknowledged.
        const auto now = inbound_sequencer::clock::now();
        if (self->carrier_ && self->connected_ && self->in_.unacknowledged() > 0)
            self->carrier_->send_control(proto::encode_ack(self->in_.take_ack(now)));
    });
}

SWITCHBOARD_DECL void client_core::send(event e, send_handler h) {
    asio::post(strand_, [self = shared_from_this(), e = std::move(e), h = std::move(h)]() mutable {
        auto& o = self->options_;
        if (self->state_ == state::closed || self->closing_) return self->complete(std::move(h), error_code(error::closed));
        if (e.data.size() > o.max_message_size) return self->complete(std::move(h), error_code(error::message_too_big));
        const auto size = e.data.size();
        if (!o.session) {
            if (self->state_ == state::open && self->carrier_) {
                self->carrier_->send_event(0, e);
            } else {
                if (self->plain_queue_bytes_ + size > o.max_queued_bytes)
                    return self->complete(std::move(h), error_code(error::queue_full));
                self->plain_queue_bytes_ += size;
                self->plain_queue_.push_back(std::move(e));
            }
            return self->complete(std::move(h), error_code{});
        }
        if (e.type.empty()) e.type = "message";
        if (!proto::valid_type(e.type)) return self->complete(std::move(h), error_code(error::invalid_event));
        // Unacknowledged events are never dropped from the window: past its bounds a send fails.
        const auto byte_limit = std::min(o.replay.max_bytes, o.max_queued_bytes);
        if (self->out_.size() >= o.replay.max_events || self->out_.bytes() + size > byte_limit)
            return self->complete(std::move(h), error_code(error::queue_full));
        const auto seq = self->out_.push(e, size);
        if (self->state_ == state::open && self->carrier_) self->carrier_->send_event(seq, e);
        self->complete(std::move(h), error_code{});
    });
}

SWITCHBOARD_DECL void client_core::receive(receive_handler h) {
    asio::post(strand_, [self = shared_from_this(), h = std::move(h)]() mutable {
        if (!self->inbox_.empty()) {
            auto [ec, e] = std::move(self->inbox_.front());
            self->inbox_.pop_front();
            return self->complete(std::move(h), ec, std::move(e));
        }
        if (self->state_ == state::closed) return self->complete(std::move(h), error_code(error::closed), event{});
        if (self->receive_handler_)
            self->complete(std::exchange(self->receive_handler_, std::nullopt).value(),
                           error_code(asio::error::operation_aborted), event{});
        self->receive_handler_.emplace(std::move(h));
    });
}

SWITCHBOARD_DECL void client_core::close(connect_handler h) {
    asio::post(strand_, [self = shared_from_this(), h = std::move(h)]() mutable {
        if (self->state_ == state::closed) return self->complete(std::move(h), error_code{});
        self->close_handlers_.push_back(std::move(h));
        if (self->closing_) return;
        self->closing_ = true;
        // Wait (bounded) until everything sent was acknowledged.
        self->close_timer_.expires_after(self->options_.connect_timeout);
        self->close_timer_.async_wait([w = self->weak_from_this()](error_code ec) {
            if (auto s = w.lock(); s && !ec) s->finish(error::connection_lost);
        });
        self->try_finish_close();
    });
}

SWITCHBOARD_DECL void client_core::try_finish_close() {
    if (!closing_ || state_ != state::open) return;
    if (options_.session && !out_.empty()) return; // acknowledgements pending
    if (options_.session && carrier_) carrier_->send_control(proto::encode_close(0, ""));
    finish({});
}

SWITCHBOARD_DECL void client_core::finish(error_code ec) {
    if (state_ == state::closed) return;
    ++generation_; // late carrier callbacks are ignored
    if (carrier_) {
        if (ec) carrier_->abort();
        else carrier_->close();
        carrier_.reset();
    }
    connected_ = false;
    reconnect_timer_.cancel();
    ack_timer_.cancel();
    close_timer_.cancel();
    set_state(state::closed);
    const error_code pending_ec = ec ? ec : error_code(error::closed);
    if (connect_handler_) complete(std::exchange(connect_handler_, std::nullopt).value(), pending_ec);
    if (receive_handler_) complete(std::exchange(receive_handler_, std::nullopt).value(), pending_ec, event{});
    for (auto& h : close_handlers_) complete(std::move(h), ec);
    close_handlers_.clear();
    closing_ = false;
}

SWITCHBOARD_DECL void client_core::shutdown() {
    silenced_.store(true); // no callback starts from now on
    asio::post(strand_, [self = shared_from_this()] { self->finish(error::closed); });
}

} // namespace switchboard::detail

#endif
