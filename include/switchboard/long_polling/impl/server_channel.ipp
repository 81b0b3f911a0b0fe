// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_LONG_POLLING_IMPL_SERVER_CHANNEL_IPP
#define SWITCHBOARD_LONG_POLLING_IMPL_SERVER_CHANNEL_IPP

#include <switchboard/detail/query.hpp>
#include <switchboard/detail/server_core.hpp>
#include <switchboard/long_polling/server_channel.hpp>
#include <switchboard/sse/writer.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

namespace switchboard::detail::long_polling {

namespace {
constexpr std::string_view body_type = "text/event-stream; charset=utf-8";

// The poll's `last`, a decimal number (out of an optional: GCC 12 at -O3 takes the
// optional's value for uninitialized after the check).
bool read_last(std::string_view query, sequence_number& last) {
    const auto text = query_param(query, "last");
    if (!text) return false;
    const auto n = parse_u64(*text);
    if (!n) return false;
    last = n.value_or(0);
    return true;
}

void refuse(http_exchange& x, http::status status, std::string_view why) {
    x.reply(status, "text/plain", std::string(why) + "\n", false);
}

// Answers a GET on the session's strand: with the session's channel of this kind, or
// a new one (the session comes from another transport, or its client was away long
// enough to be declared gone): attaching it sends a welcome, as any connection gets.
void poll(const std::shared_ptr<server_session>& s, std::shared_ptr<http_exchange> x, sequence_number last, bool hold,
          bool keep_alive, const std::string& token) {
    if (s->closed()) { // it ended meanwhile: its last frames may wait for this request
        auto c = std::static_pointer_cast<server_channel>(s->core().take_lingering(s->token()));
        if (!c) return refuse(*x, http::status::not_found, "unknown or expired session");
        return c->on_get(std::move(x), last, keep_alive);
    }
    auto c = std::dynamic_pointer_cast<server_channel>(s->connection());
    if (!c || c->holds() != hold) {
        c = std::make_shared<server_channel>(s, hold);
        c->start();
        // (In a cluster, a poll on a node the session was not on is its next request,
        // not a resume: the token stays.)
        s->attach(c, last, true, token, !s->core().clustered());
    }
    c->on_get(std::move(x), last, keep_alive);
}
} // namespace

SWITCHBOARD_DECL bool wants(const http::request<http::string_body>& req) {
    if (req.method() != http::verb::get) return false;
    const auto t = query_param(split_target(req.target()).second, "transport");
    return t && (*t == "long-polling" || *t == "polling");
}

SWITCHBOARD_DECL void serve(std::shared_ptr<http_exchange> x, http::request<http::string_body> req) {
    const auto query = split_target(req.target()).second;
    const bool hold = query_param(query, "transport") == "long-polling";
    const bool keep_alive = req.keep_alive();
    if (!query_param(query, "sb"))
        return refuse(*x, http::status::bad_request, "long-polling and polling need session mode: ?sb=1");
    if (!query_param(query, "poll")) {
        // A handshake: a new session, or a resume (token and last), answered at once
        // with the welcome and whatever the client lacks.
        auto r = open_or_resume(x->slot(), req);
        if (!r.session) return refuse(*x, r.refusal, r.why);
        auto c = std::make_shared<server_channel>(r.session, hold);
        const auto strand = r.session->strand();
        return asio::dispatch(strand, [c, x = std::move(x), r = std::move(r), keep_alive]() mutable {
            c->start();
            r.session->attach(c, r.client_last, r.resumed, r.token);
            c->on_get(std::move(x), r.resumed ? r.client_last : 0, keep_alive);
        });
    }
    const auto token = query_param(query, "token");
    sequence_number last = 0;
    if (query_param(query, "sb") != std::to_string(protocol_version))
        return refuse(*x, http::status::bad_request, "unsupported switchboard protocol version");
    if (!token || !read_last(query, last)) return refuse(*x, http::status::bad_request, "a poll needs token and last");
    auto& core = x->core();
    if (auto s = core.find_session(*token)) {
        if (!owned_by(x->slot(), *s)) return refuse(*x, http::status::forbidden, "this session belongs to another principal");
        core.confirm_token(*s, *token);
        const auto strand = s->strand();
        return asio::dispatch(strand, [s = std::move(s), x = std::move(x), last, hold, keep_alive, token = *token]() mutable {
            poll(s, std::move(x), last, hold, keep_alive, token);
        });
    }
    auto c = std::static_pointer_cast<server_channel>(core.take_lingering(*token));
    if (!c) return refuse(*x, http::status::not_found, "unknown or expired session");
    c->on_get(std::move(x), last, keep_alive); // (it posts to its session's strand)
}

SWITCHBOARD_DECL server_channel::server_channel(std::shared_ptr<server_session> session, bool hold)
    : session_(std::move(session)), life_(session_->core().ioc), serial_(session_->core().next_serial()), hold_(hold) {}

SWITCHBOARD_DECL void server_channel::start() {
    life_.expires_at(asio::steady_timer::time_point::max());
    life_.async_wait([self = shared_from_this()](error_code) {});
    idle_until_ = clock::now() + session_->options().heartbeat.timeout;
    arm(idle_until_);
}

SWITCHBOARD_DECL void server_channel::on_get(std::shared_ptr<http_exchange> x, sequence_number last, bool keep_alive) {
    if (!session_->strand().running_in_this_thread()) {
        return asio::post(session_->strand(), [self = shared_from_this(), x = std::move(x), last, keep_alive]() mutable {
            self->on_get(std::move(x), last, keep_alive);
        });
    }
    if (ended_) return refuse(*x, http::status::not_found, "unknown or expired session");
    // One GET at a time: a second one ends the held one with an empty answer.
    if (auto old = std::move(held_)) old->reply(http::status::ok, body_type, {}, held_keep_alive_);
    // (In a cluster, what the reader gave the session goes in the window first: the
    // client may acknowledge what it got from another node.)
    if (session_->core().clustered() && last > session_->window().last_sent()) session_->drain_inbox();
    // In a cluster the client may have events this node has not read yet (the reader
    // could not catch up: Redis unreachable): the GET waits for them as for news.
    const bool ahead = session_->core().clustered() && last > session_->window().last_sent();
    if (!ahead && session_->poll_from(last).ec) {
        refuse(*x, http::status::bad_request, "invalid last");
        return session_->close_now(error::invalid_resume, "invalid resume point");
    }
    acked_ = last;
    if (!ahead) session_->acknowledged();
    held_ = std::move(x);
    held_keep_alive_ = keep_alive;
    // (A poll is answered at once, after the welcome: in a cluster that waits for Redis.)
    if ((!hold_ && welcomed_) || closing_ || has_news()) return answer();
    const auto& o = session_->options();
    held_until_ = clock::now() + std::min(o.long_poll_timeout, o.heartbeat.interval);
    arm(held_until_);
    // A client that goes away while its GET is held is noticed at once: the session is
    // detached (it waits session_timeout for a resume) and the connection freed.
    held_->watch([w = weak_from_this(), x = std::weak_ptr<http_exchange>(held_)] {
        auto self = w.lock();
        if (!self) return;
        asio::dispatch(self->session_->strand(), [self, x] {
            if (self->ended_ || !self->held_ || self->held_ != x.lock()) return;
            self->held_.reset();
            if (!self->closing_) self->session_->detach(self.get(), error::connection_lost);
            self->end();
        });
    });
}

SWITCHBOARD_DECL void server_channel::send_event(sequence_number, const shared_event&) {
    // The window holds the event: an answer reads it from there. What waits for the
    // client counts against max_queued_bytes, as a stream's queue does.
    if (!closing_ && session_->window().bytes() > session_->options().max_queued_bytes) {
        overflowed_ = true; // the last answer carries the close, not the events
        return session_->close_now(error::queue_full, "slow consumer");
    }
    answer_soon();
}

SWITCHBOARD_DECL void server_channel::send_control(std::string frame) {
    if (frame.empty() || ended_) return;
    switch (static_cast<proto::kind>(frame[0])) {
    case proto::kind::welcome:
        welcome_ = std::move(frame);
        welcomed_ = true;
        return answer_soon();
    case proto::kind::close: close_ = std::move(frame); return answer_soon();
    case proto::kind::ack: ack_ = std::move(frame); return; // (goes with the next answer)
    // Gap notices are read from the window at each answer (a lost event is an entry of
    // its own there: server_session::send_entry); no heartbeats.
    case proto::kind::gap: return answer_soon();
    default: return;
    }
}

SWITCHBOARD_DECL void server_channel::close(error_code, std::string_view) {
    if (ended_ || closing_) return;
    closing_ = true;
    if (held_) answer();
    if (ended_) return;
    // A close frame not yet delivered waits for the client's next request, a bounded time.
    if (close_.empty()) return end();
    linger();
}

SWITCHBOARD_DECL void server_channel::linger() {
    // Up to heartbeat.timeout (the longest a live client is silent); on a stopped
    // server no longer than a closing stream lingers.
    const auto& o = session_->options();
    const auto wait = session_->core().stopped()
                          ? std::min<clock::duration>(o.heartbeat.timeout, std::chrono::milliseconds(linger_ms))
                          : clock::duration(o.heartbeat.timeout);
    idle_until_ = clock::now() + wait;
    arm(idle_until_);
    session_->core().linger(session_, shared_from_this());
}

SWITCHBOARD_DECL void server_channel::end_batch() {
    batching_ = false;
    if (std::exchange(answer_wanted_, false) && held_ && has_news()) answer();
}

SWITCHBOARD_DECL bool server_channel::has_news() const noexcept {
    // (Nothing goes before the welcome: in a cluster it waits for Redis.)
    if (!welcomed_) return false;
    return !welcome_.empty() || !close_.empty() || session_->window().last_sent() > std::max(acked_, covered_);
}

SWITCHBOARD_DECL void server_channel::answer_post(sequence_number last, std::uint64_t serial, std::string& body) {
    // (The session checked `last`, acknowledged up to it, and calls this only when the
    // window still holds everything after it: a gap is left to the next GET, whose answer
    // reports it first.) A POST on a connection older than this channel comes from the
    // client's previous carrier (written before it resumed, processed after): its answer
    // may go nowhere, so it carries nothing that the GETs would then skip.
    if (serial < serial_ || closing_ || overflowed_ || ended_) return;
    acked_ = std::max(acked_, last);
    const auto max = session_->options().max_batch_bytes;
    std::size_t bytes = 0;
    session_->window().for_each_after(last, [&](sequence_number seq, const shared_event& ev) {
        if (!ev) return false; // (a lost event: the GET's answer reports the gap)
        if (bytes != 0 && bytes + ev->data.size() > max) return false;
        proto::append_framed_event(body, seq, *ev);
        bytes += ev->data.size() + 1;
        covered_ = std::max(covered_, seq);
        return true;
    });
    // More than one answer holds: the held GET takes the rest.
    if (held_ && has_news()) answer_soon();
}

SWITCHBOARD_DECL void server_channel::answer_soon() {
    if (!held_ || ended_) return;
    if (batching_) {
        answer_wanted_ = true;
        return;
    }
    // Not at once: what else the running handler sends goes in the same answer.
    if (std::exchange(answer_posted_, true)) return;
    asio::post(session_->strand(), [self = shared_from_this()] {
        self->answer_posted_ = false;
        if (self->held_ && self->has_news()) self->answer();
    });
}

SWITCHBOARD_DECL void server_channel::answer() {
    auto x = std::move(held_);
    held_.reset();
    if (!x) return;
    std::string body;
    if (!welcome_.empty()) append_sse_control(body, std::exchange(welcome_, {}));
    if (auto plan = session_->poll_from(acked_); plan.lost && welcomed_) append_sse_control(body, proto::encode_gap(*plan.lost));
    const auto max = session_->options().max_batch_bytes;
    bool any = false, more = false;
    if (!overflowed_ && welcomed_) session_->window().for_each_after(std::max(acked_, covered_), [&](sequence_number seq, const shared_event& ev) {
        if (!ev) { // lost before it reached the session
            append_sse_control(body, proto::encode_gap(gap{seq, seq}));
            return true;
        }
        if (any && body.size() + ev->data.size() > max) {
            more = true;
            return false;
        }
        append_sse_session_event(body, session_->token(), seq, *ev);
        any = true;
        return true;
    });
    if (!ack_.empty()) append_sse_control(body, std::exchange(ack_, {}));
    if (!more && !close_.empty()) append_sse_control(body, std::exchange(close_, {}));
    if (more) body += ":more\n"; // a polling client asks again at once
    x->reply(http::status::ok, body_type, std::move(body), held_keep_alive_);
    idle_until_ = clock::now() + session_->options().heartbeat.timeout;
    arm(idle_until_);
    if (!closing_) return;
    if (close_.empty()) return end();
    linger(); // the rest goes with the next request
}

SWITCHBOARD_DECL void server_channel::arm(clock::time_point when) {
    // One wake-up at a time is asked of the wheel; a later deadline waits for it (the
    // wake-up finds it too early and asks again), an earlier one asks now.
    if (when >= wheel_at_) return;
    wheel_at_ = when;
    session_->core().wheel().schedule(weak_from_this(), when);
}

SWITCHBOARD_DECL void server_channel::wake(clock::time_point when) {
    asio::dispatch(session_->strand(), [self = shared_from_this(), when] {
        if (when != self->wheel_at_ || self->ended_) return;
        self->wheel_at_ = clock::time_point::max();
        const auto now = clock::now();
        if (self->held_) {
            // long_poll_timeout: an empty answer (not before the welcome: it waits for Redis)
            if (now >= self->held_until_ && (self->welcomed_ || self->closing_)) return self->answer();
            if (now >= self->held_until_) self->held_until_ = now + self->session_->options().long_poll_timeout;
            return self->arm(self->held_until_);
        }
        if (now < self->idle_until_) return self->arm(self->idle_until_);
        // No request for heartbeat.timeout: the client is gone (the session waits for it
        // session_timeout, as for any dropped connection).
        if (!self->closing_) self->session_->detach(self.get(), error::heartbeat_timeout);
        self->end();
    });
}

SWITCHBOARD_DECL void server_channel::end() {
    if (ended_) return;
    ended_ = true;
    if (auto x = std::move(held_)) x->reply(http::status::ok, body_type, {}, held_keep_alive_);
    session_->core().unlinger(session_->token(), this);
    life_.cancel(); // (the last reference may go with its handler, later)
}

} // namespace switchboard::detail::long_polling

#endif
