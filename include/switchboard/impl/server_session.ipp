// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_SERVER_SESSION_IPP
#define SWITCHBOARD_IMPL_SERVER_SESSION_IPP

#include <switchboard/detail/server_core.hpp>
#include <switchboard/detail/server_session.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <random>

#ifdef SWITCHBOARD_WITH_OPENSSL
#include <openssl/rand.h>
#endif

namespace switchboard::detail {

SWITCHBOARD_DECL server_session::token_type make_token() {
    // 128 bits from a CSPRNG: OpenSSL's when built with it, else the system's
    // (std::random_device: getrandom or /dev/urandom on Linux).
    std::array<std::uint32_t, 4> bits{};
#ifdef SWITCHBOARD_WITH_OPENSSL
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bits.data()), static_cast<int>(sizeof bits)) != 1)
#endif
    {
        static thread_local std::random_device device;
        for (auto& b : bits) b = device();
    }
    static constexpr char hex[] = "0123456789abcdef";
    server_session::token_type token{};
    std::size_t n = 0;
    for (auto v : bits)
        for (int k = 0; k < 8; ++k, v >>= 4) token[n++] = hex[v & 15];
    return token;
}

SWITCHBOARD_DECL server_session::server_session(std::shared_ptr<server_core> core, token_type token, bool resumable,
                                                std::uint64_t id, address_entry& address, std::string principal,
                                                std::any data)
    : core_(std::move(core)),
      strand_(core_->ioc),
      address_(&address),
      token_(token),
      principal_(std::move(principal)),
      data_(std::move(data)),
      id_(id),
      resumable_(resumable),
      sm_(resumable ? std::make_unique<session_state>(core_->options.replay) : nullptr) {}

SWITCHBOARD_DECL const server_options& server_session::options() const noexcept { return core_->options; }

SWITCHBOARD_DECL void server_session::release_address() noexcept {
    if (auto* a = std::exchange(address_, nullptr)) core_->remove_address_session(*a);
}

SWITCHBOARD_DECL void server_session::attach(std::shared_ptr<connection_base> c, sequence_number client_last,
                                             bool resumed, std::string_view used, bool rotate) {
    if (closed_) return c->close({}, "session closed");
    if (resumable_ && core_->clustered()) {
        // What the backplane's reader gave it goes in the window first: the client may
        // acknowledge what it got from another node (http_front waited for the reader).
        drain_inbox();
        cancel_expiry(); // (its client is here)
        // The other nodes that held it let go (first: an attach of another node read
        // after this one is newer).
        core_->cluster_attached(*this, resumed);
        // A fresh token must be in Redis before the client has it (server_core::rotate_token
        // calls recorded() then); a new session's keys too (cluster_ops::opened). While
        // Redis is unreachable a resume keeps its token, and is served here.
        const bool up = core_->cluster_up();
        const bool fresh = !opened_ && !brought_;
        if (resumed && rotate && up) {
            recorded_ = false;
            core_->rotate_token(*this, used);
        } else if (!recorded_ && up && !fresh) {
            core_->cluster_record_token(*this); // (a write that failed before)
        }
        if (!recorded_ && (up || fresh)) {
            if (auto& w = sm_->waiting; w && w->c != c) w->c->close({}, "replaced by a new connection");
            sm_->waiting = session_state::waiting_attach{std::move(c), client_last, resumed};
            return;
        }
    } else if (resumable_ && resumed && rotate) {
        // A resume voids the token it came with: whoever else holds it (a log, a proxy,
        // an old SSE id) holds nothing now.
        core_->rotate_token(*this, used);
    }
    attach_now(std::move(c), client_last, resumed);
}

SWITCHBOARD_DECL void server_session::attach_now(std::shared_ptr<connection_base> c, sequence_number client_last,
                                                 bool resumed) {
    const bool clustered = resumable_ && core_->clustered();
    if (clustered && client_last > sm_->out.last_sent()) {
        // The client has events this node has not read yet (the reader could not catch
        // up: Redis unreachable): not a lie it can be sure of. The connection ends; the
        // client comes again.
        c->close(error::backplane_unavailable, "the cluster is unavailable");
        return expire_unless_attached();
    }
    if (auto old = conn_.lock()) { // the client came back before the old connection was seen to drop
        conn_.reset();
        old->close({}, "replaced by a new connection");
    }
    cancel_expiry();
    conn_ = c;
    kind_.store(c->kind(), std::memory_order_relaxed);
    if (resumable_) {
        const auto& o = core_->options;
        c->send_control(proto::encode_welcome(proto::welcome{.token = std::string(token()),
                                                                 .last = sm_->in.last_delivered(),
                                                                 .resumed = resumed,
                                                                 .heartbeat = o.heartbeat.interval,
                                                                 .timeout = o.heartbeat.timeout,
                                                                 .max_message = o.max_message_size}));
        auto plan = sm_->out.resume(client_last);
        if (plan.ec) return close_now(plan.ec, "invalid resume point");
        if (plan.lost) c->send_control(proto::encode_gap(*plan.lost));
        sm_->out.for_each_after(plan.replay_after, [&](sequence_number seq, const shared_event& ev) {
            send_entry(*c, seq, ev);
        });
    }
    attached_ = true;
    if (clustered) acknowledged();
    if (!opened_) {
        opened_ = true;
        if (core_->on_open && !core_->silenced()) core_->on_open(handle());
    }
}

SWITCHBOARD_DECL void server_session::recorded(bool ok) {
    if (closed_ || !sm_) return;
    auto w = std::exchange(sm_->waiting, std::nullopt);
    if (!ok) {
        // Redis did not take it: a new session cannot be had (its client tries again); a
        // resume's connection ends (its client comes again with the token it has).
        if (!opened_ && !brought_) {
            if (w) w->c->close(error::backplane_unavailable, "the cluster is unavailable");
            return finish(error::backplane_unavailable);
        }
        // (Not recorded: the next attach writes its token again.)
        if (w) w->c->close(error::backplane_unavailable, "the cluster is unavailable");
        if (!conn_.lock()) expire_unless_attached();
        return;
    }
    recorded_ = true;
    if (w) attach_now(std::move(w->c), w->client_last, w->resumed);
}

SWITCHBOARD_DECL void server_session::acknowledged() {
    if (!resumable_ || !attached_ || closed_ || !core_->clustered() || !sm_->out.empty()) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - sm_->checkpointed < checkpoint_interval) return;
    sm_->checkpointed = now;
    core_->cluster_checkpoint(shared_from_this(), sm_->out.last_sent(), sm_->in.last_delivered(), false);
}

SWITCHBOARD_DECL void server_session::record_again() {
    // (Only with its client here: a copy whose client went elsewhere, the attach that
    // said so lost with Redis's data, would write what is older.)
    if (!resumable_ || !attached_ || closed_ || !sm_ || !conn_.lock()) return;
    sm_->checkpointed = std::chrono::steady_clock::now();
    core_->cluster_checkpoint(shared_from_this(), sm_->out.last_sent(), sm_->in.last_delivered(), true);
}

SWITCHBOARD_DECL void server_session::detach(connection_base* c, error_code ec) {
    if (sm_ && sm_->waiting && sm_->waiting->c.get() == c) { // it ended before its welcome
        sm_->waiting.reset();
        if (!conn_.lock()) expire_unless_attached();
        return;
    }
    if (conn_.lock().get() != c) return;
    conn_.reset();
    if (closed_) return;
    const bool fatal = ec == error::queue_full || ec == error::protocol_violation || ec == error::message_too_big;
    if (!resumable_ || fatal) return finish(ec);
    if (core_->clustered()) core_->cluster_detached(*this);
    expire_unless_attached();
}

SWITCHBOARD_DECL void server_session::cancel_expiry() {
    if (!sm_ || !sm_->expiry_timer) return;
    ++sm_->expiries;
    sm_->expiry_timer->cancel();
}

SWITCHBOARD_DECL void server_session::expire_unless_attached() {
    if (closed_ || conn_.lock() || !sm_) return;
    auto& expiry = sm_->expiry_timer; // a resumable session has session-mode state
    if (!expiry) expiry = std::make_unique<asio::steady_timer>(core_->ioc);
    expiry->expires_after(core_->options.session_timeout);
    // (Numbered: a wait that fired while a resume was queued on the strand completes
    // without an error; the connection it attached may have dropped again meanwhile.)
    expiry->async_wait(asio::bind_executor(strand_, [self = shared_from_this(), n = ++sm_->expiries](error_code timer_ec) {
        if (timer_ec || n != self->sm_->expiries || self->conn_.lock()) return;
        // Brought from the cluster and never resumed here: its client is elsewhere, or
        // gone; this node lets go without ending it.
        if (self->brought_ && !self->attached_) return self->moved_away();
        if (self->resumable_ && self->core_->clustered()) return self->core_->cluster_expired(self);
        self->finish(error::session_expired);
    }));
}

SWITCHBOARD_DECL void server_session::on_frame(const proto::frame& f, std::string data) {
    if (closed_ || !sm_) return; // session frames exist in session mode only
    switch (f.k) {
    case proto::kind::event: {
        event ev{.type = proto::event_type(f.type), .data = std::move(data), .binary = f.binary, .id = std::to_string(f.a)};
        // In a cluster another node may have delivered it (its client was there): the
        // cluster's record decides, before the application sees it.
        if (core_->clustered()) {
            if (f.a > sm_->in.last_delivered()) core_->cluster_deliver(shared_from_this(), f.a, std::move(ev));
            return;
        }
        auto v = sm_->in.accept(f.a);
        if (!v.deliver) return; // a replay of an event already delivered
        deliver(std::move(ev));
        return maybe_ack();
    }
    case proto::kind::ack:
        if (core_->clustered() && f.a > sm_->out.last_sent()) {
            // Another node may have sent it (the client's requests go to any node), and
            // this one not have read it yet: not a lie it can be sure of.
            drain_inbox();
            if (f.a > sm_->out.last_sent()) return;
        }
        if (sm_->out.acknowledge(f.a)) return close_now(error::protocol_violation, "acknowledged an event never sent");
        return acknowledged();
    case proto::kind::gap:
        if (core_->clustered()) core_->cluster_skip(*this, f.b); // (the record moves past it too)
        sm_->in.skip(gap{f.a, f.b});
        return maybe_ack();
    case proto::kind::close: return close_now({}, "");
    case proto::kind::heartbeat:
    case proto::kind::welcome: return;
    }
}

SWITCHBOARD_DECL void server_session::on_post(std::string_view body, std::optional<sequence_number> last,
                                              std::uint64_t serial, std::function<void(post_answer)> respond) {
    namespace http = boost::beast::http;
    // (One that moved to another node meanwhile: its client tries again, and finds it.)
    if (moved_) return respond({http::status::service_unavailable, "the session moved"}); // (unanswered: http_front)
    if (closed_ || !resumable_) return respond({http::status::not_found, "unknown or expired session"});
    const auto delivered = sm_->in.last_delivered();
    sequence_number newest = 0; // the newest upstream event the body carries
    std::string_view frame;
    while (!body.empty()) {
        if (!proto::next_framed(body, frame)) {
            close_now(error::protocol_violation, "malformed upstream body");
            return respond({http::status::bad_request, "malformed upstream body"});
        }
        auto f = proto::parse(frame);
        if (!f || f->k == proto::kind::welcome) {
            close_now(error::protocol_violation, "malformed switchboard frame");
            return respond({http::status::bad_request, "malformed switchboard frame"});
        }
        if (f->k == proto::kind::event && f->body.size() > core_->options.max_message_size) {
            close_now(error::message_too_big, "message too big");
            return respond({http::status::payload_too_large, "message too big"});
        }
        if (f->k == proto::kind::event) newest = std::max(newest, f->a);
        on_frame(*f, std::string(f->body)); // a POST body carries bytes: binary data is raw
        if (closed_) break;
    }
    if (!core_->clustered() || newest <= delivered) return respond(answer_post_now(last, serial));
    // In a cluster the record in Redis decides each delivery (server_core::cluster_deliver,
    // whose answers come back to the strand in order): the answer waits for the last of
    // them, and acknowledges what they delivered. One not recorded (Redis unreachable)
    // fails the POST: its client sends it again.
    core_->cluster_barrier([self = shared_from_this(), last, serial, newest, respond = std::move(respond)]() mutable {
        asio::post(self->strand_, [self, last, serial, newest, respond = std::move(respond)] {
            if (!self->closed_ && self->sm_->in.last_delivered() < newest)
                return respond({http::status::service_unavailable, "the cluster is unavailable"});
            respond(self->answer_post_now(last, serial));
        });
    });
}

SWITCHBOARD_DECL server_session::post_answer server_session::answer_post_now(std::optional<sequence_number> last,
                                                                             std::uint64_t serial) {
    namespace http = boost::beast::http;
    // The answer acknowledges everything delivered so far.
    std::string answer;
    const auto now = inbound_sequencer::clock::now();
    auto& in = sm_->in;
    proto::append_framed(answer, proto::encode_ack(in.unacknowledged() > 0 ? in.take_ack(now) : in.last_delivered()));
    // In a cluster a POST's `last` counts only where the session's requests are answered
    // (its connection is here), and only up to what this node has sent: the client may
    // have events from another node this one has not read yet.
    if (last && !closed_ && core_->clustered() && (!conn_.lock() || *last > sm_->out.last_sent())) last.reset();
    if (last && !closed_) {
        // As a poll's `last`: it acknowledges, and one never sent breaks the session.
        const auto plan = sm_->out.resume(*last);
        if (plan.ec) {
            close_now(error::invalid_resume, "invalid resume point");
            return {http::status::bad_request, "invalid last"};
        }
        if (auto c = conn_.lock(); c && !plan.lost) c->answer_post(*last, serial, answer);
        acknowledged();
    }
    return {http::status::ok, std::move(answer)};
}

SWITCHBOARD_DECL void server_session::delivered_elsewhere_then(sequence_number before, sequence_number seq,
                                                              std::optional<event> ev) {
    // (Moved away meanwhile: the record says it is delivered now, so it is, here.)
    if (closed_ && !moved_) return;
    sm_->in.advance_to(before);
    if (!ev) return maybe_ack(); // (delivered on another node: acknowledged from here too)
    if (!sm_->in.accept(seq).deliver) return;
    deliver(std::move(*ev));
    maybe_ack();
}

SWITCHBOARD_DECL void server_session::on_plain_event(event ev) {
    if (!closed_) deliver(std::move(ev));
}

SWITCHBOARD_DECL void server_session::deliver(event ev) {
    if (core_->on_event && !core_->silenced()) core_->on_event(handle(), std::move(ev));
}

SWITCHBOARD_DECL void server_session::maybe_ack() {
    const auto now = inbound_sequencer::clock::now();
    if (auto c = conn_.lock(); c && sm_->in.ack_due(now)) return c->send_control(proto::encode_ack(sm_->in.take_ack(now)));
    arm_ack_timer();
}

SWITCHBOARD_DECL void server_session::arm_ack_timer() {
    if (ack_timer_armed_) return;
    auto& ack_timer = sm_->ack_timer;
    if (!ack_timer) ack_timer = std::make_unique<asio::steady_timer>(core_->ioc);
    ack_timer_armed_ = true;
    ack_timer->expires_after(core_->options.replay.ack_interval);
    ack_timer->async_wait(asio::bind_executor(strand_, [self = shared_from_this()](error_code ec) {
        self->ack_timer_armed_ = false;
        if (ec || self->closed_) return;
        // The timer is the interval: whatever arrived since the last acknowledgement is acknowledged.
        const auto now = inbound_sequencer::clock::now();
        if (auto c = self->conn_.lock(); c && self->sm_->in.unacknowledged() > 0)
            c->send_control(proto::encode_ack(self->sm_->in.take_ack(now)));
    }));
}

SWITCHBOARD_DECL void server_session::send_now(const shared_event& ev) {
    if (closed_) return;
    if (!resumable_) {
        if (auto c = conn_.lock(); c && ev) c->send_event(0, ev);
        return;
    }
    const auto seq = sm_->out.push(ev, ev ? ev->data.size() : 0);
    sm_->sent.store(seq, std::memory_order_release);
    if (auto c = conn_.lock()) send_entry(*c, seq, ev);
}

SWITCHBOARD_DECL void server_session::send_entry(connection_base& c, sequence_number seq, const shared_event& ev) {
    // (An empty entry is an event lost before it reached this session: a gap of one.)
    if (ev) c.send_event(seq, ev);
    else c.send_control(proto::encode_gap(gap{seq, seq}));
}

SWITCHBOARD_DECL void server_session::close_now(error_code ec, std::string_view reason) {
    if (closed_) return;
    if (auto c = conn_.lock()) {
        if (resumable_) c->send_control(proto::encode_close(static_cast<std::uint16_t>(ec.value()), reason));
        c->close(ec, reason);
    }
    finish(ec);
}

SWITCHBOARD_DECL void server_session::moved_away() {
    if (closed_) return;
    closed_ = true;
    moved_ = true;
    if (sm_ && sm_->waiting) std::exchange(sm_->waiting, std::nullopt)->c->close({}, "replaced by a new connection");
    cancel_expiry();
    if (sm_ && sm_->ack_timer) sm_->ack_timer->cancel();
    if (auto c = conn_.lock()) {
        conn_.reset();
        c->close({}, "replaced by a new connection");
    }
    core_->remove_session(*this);
}

SWITCHBOARD_DECL void server_session::finish(error_code ec) {
    if (closed_) return;
    closed_ = true;
    if (resumable_ && core_->clustered()) core_->cluster_finished(*this);
    core_->remove_session(*this);
    if (sm_ && sm_->waiting) std::exchange(sm_->waiting, std::nullopt)->c->close(error::closed, "session closed");
    cancel_expiry();
    if (sm_ && sm_->ack_timer) sm_->ack_timer->cancel();
    if (auto c = conn_.lock()) {
        conn_.reset();
        c->close(error::closed, "session closed");
    }
    if (opened_ && core_->on_close && !core_->silenced()) core_->on_close(handle(), ec);
}

SWITCHBOARD_DECL void server_session::post_send(shared_event ev) {
    if (core_->clustered()) return core_->send_through_backplane(*this, ev);
    // At once when already on the session's strand (an echo from on_event).
    if (strand_.running_in_this_thread()) return send_now(ev);
    if (push_inbox(std::move(ev))) core_->schedule(shared_from_this());
}

SWITCHBOARD_DECL bool server_session::push_inbox(shared_event ev) {
    // One drain takes whatever a burst of publishes left in the inbox.
    inbox_lock lock(inbox_busy_);
    if (inbox_.empty()) inbox_.reserve(16); // a burst grows it once, not five times
    inbox_.push_back(std::move(ev));
    if (sm_) ++sm_->given;
    if (drain_posted_) return false;
    drain_posted_ = true;
    return true;
}

SWITCHBOARD_DECL void server_session::drain_inbox() {
    std::vector<shared_event> events;
    {
        inbox_lock lock(inbox_busy_);
        events.swap(inbox_); // the inbox keeps no memory while empty
        drain_posted_ = false;
    }
    auto c = conn_.lock();
    if (c) c->begin_batch();
    for (const auto& ev : events) send_now(ev);
    if (c) c->end_batch();
}

SWITCHBOARD_DECL void server_session::post_drain() {
    asio::post(strand_, [self = shared_from_this()] { self->drain_inbox(); });
}

SWITCHBOARD_DECL void server_session::post_close(std::string reason) {
    asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] { self->close_now({}, reason); });
}

SWITCHBOARD_DECL void server_session_join(const std::shared_ptr<server_session>& s, std::string topic) {
    s->core().join(s, std::move(topic));
}
SWITCHBOARD_DECL void server_session_leave(const std::shared_ptr<server_session>& s, std::string_view topic) {
    s->core().leave(s, topic);
}

} // namespace switchboard::detail

#endif
