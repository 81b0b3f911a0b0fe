// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_SERVER_CORE_IPP
#define SWITCHBOARD_IMPL_SERVER_CORE_IPP

#include <switchboard/detail/http_front.hpp>
#include <switchboard/detail/server_core.hpp>
#include <switchboard/detail/stream_connection.hpp>
#ifdef SWITCHBOARD_WITH_REDIS
#include <switchboard/detail/backplane.hpp>
#endif

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <array>

namespace switchboard::detail {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
// A quarter of the shortest connection timing (heartbeat interval or timeout, a
// long-poll's hold, close linger), at most 1 s: deadlines are met within a tick.
std::chrono::steady_clock::duration wheel_tick(const server_options& o) {
    const auto shortest = std::min({o.heartbeat.interval, o.heartbeat.timeout, o.long_poll_timeout,
                                    std::chrono::milliseconds(stream_connection::linger_ms)});
    return std::min<std::chrono::steady_clock::duration>(shortest / 4, std::chrono::seconds(1));
}
} // namespace

SWITCHBOARD_DECL server_core::server_core(asio::io_context& io, server_options o)
    : ioc(io),
      options(std::move(o)),
      plain_(io, false),
      secure_(io, true),
      wheel_(std::make_shared<timer_wheel<wakeable>>(io, wheel_tick(options))) {
#ifdef SWITCHBOARD_WITH_OPENSSL
    if (!options.tls.certificate_chain_file.empty()) tls_ = server_tls_context(options.tls);
#endif
}

SWITCHBOARD_DECL void server_core::start() {
    if (!options.listen_plain && !tls_)
        throw std::invalid_argument("switchboard: server_options: listen_plain is false and no TLS is set up");
    // (First: a connection accepted reads backplane_.)
    if (!options.backplane.host.empty()) start_backplane();
    if (options.listen_plain) listen(plain_, options.port);
    if (tls_) listen(secure_, options.tls.port);
}

SWITCHBOARD_DECL void server_core::start_backplane() {
#ifdef SWITCHBOARD_WITH_REDIS
    // (The handlers hold the core weakly: the backplane is the core's.)
    std::weak_ptr<server_core> weak = shared_from_this();
    const auto token = make_token();
    backplane_ = std::make_shared<backplane>(
        ioc, options.backplane, std::string(token.data(), token.size()),
        backplane::handlers{
            .apply =
                [weak](backplane::entry x) {
                    auto self = weak.lock();
                    if (!self) return;
                    // (What any client of Redis could have written is checked as a send is.)
                    if (x.e.type.empty()) x.e.type = "message";
                    if (!proto::valid_type(x.e.type)) return self->backplane_lost();
                    switch (x.k) {
                    case backplane::kind::publish:
                        return self->publish_here(x.topic, std::make_shared<const event>(std::move(x.e)));
                    case backplane::kind::broadcast:
                        return self->broadcast_here(std::make_shared<const event>(std::move(x.e)));
                    case backplane::kind::send:
                        if (auto s = self->find_cluster_session(x.session); s && s->push_inbox(std::make_shared<const event>(std::move(x.e))))
                            self->schedule(std::move(s));
                        return;
                    case backplane::kind::join:
                        if (auto s = self->find_cluster_session(x.session)) self->join_here(s, std::move(x.topic));
                        return;
                    case backplane::kind::leave:
                        if (auto s = self->find_cluster_session(x.session)) self->leave_here(s, x.topic);
                        return;
                    }
                },
            .lost =
                [weak] {
                    if (auto self = weak.lock()) self->backplane_lost();
                },
            .status =
                [weak](error_code ec) {
                    auto self = weak.lock();
                    if (self && self->on_backplane && !self->silenced()) self->on_backplane(ec);
                },
        });
    backplane_->start();
#endif
}

SWITCHBOARD_DECL std::size_t server_core::backplane_pending() const noexcept {
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) return backplane_->pending();
#endif
    return 0;
}

SWITCHBOARD_DECL void server_core::send_through_backplane(server_session& s, const shared_event& ev) {
#ifdef SWITCHBOARD_WITH_REDIS
    backplane_->append(backplane::kind::send, {}, s.cluster_id(), *ev);
#else
    (void)s;
    (void)ev;
#endif
}

SWITCHBOARD_DECL std::shared_ptr<server_session> server_core::find_cluster_session(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = by_cluster_id_.find(id);
    return it == by_cluster_id_.end() ? nullptr : it->second;
}

SWITCHBOARD_DECL void server_core::backplane_lost() {
    // Which of them the lost publishes were for is not known: each is told it may
    // have missed one (a gap of one sequence number, docs/decisions.md "Backplane").
    const shared_event lost; // (null: a lost event)
    fan_out fan;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [token, s] : sessions_)
            if (s->resumable()) fan.add(s, lost);
    }
    fan.run(*this, lost);
    if (on_backplane && !silenced()) on_backplane(error::backplane_gap);
}

SWITCHBOARD_DECL void server_core::listen(listener& l, unsigned short port) {
    const tcp::endpoint ep{asio::ip::make_address(options.address), port};
    l.acceptor.open(ep.protocol());
    l.acceptor.set_option(asio::socket_base::reuse_address(true));
    l.acceptor.bind(ep);
    l.acceptor.listen(asio::socket_base::max_listen_connections);
    accept(l);
}

SWITCHBOARD_DECL void server_core::accept(listener& l) {
    // Each socket gets its own strand: the HTTP phase's read and its timeout (Beast's
    // tcp_stream) must never run concurrently when several threads run the io_context.
    l.acceptor.async_accept(asio::make_strand(ioc), [self = shared_from_this(), &l](error_code ec, tcp::socket socket) {
        if (self->stopped()) return;
        if (!ec) {
            l.backoff = {};
            self->serve(std::move(socket), l.tls);
        }
        if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return;
        if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
            ec == asio::error::no_memory)
            return self->accept_later(l); // the connection waits in the backlog until a descriptor is free
        self->accept(l); // other per-connection errors (the peer gave up) do not stop the listener
    });
}

SWITCHBOARD_DECL void server_core::accept_later(listener& l) {
    // Out of descriptors or memory: accepting again at once would fail at once, and spin.
    using namespace std::chrono_literals;
    l.backoff = std::clamp<std::chrono::milliseconds>(l.backoff * 2, 10ms, 1000ms);
    l.timer.expires_after(l.backoff);
    l.timer.async_wait([self = shared_from_this(), &l](error_code ec) {
        if (!ec && !self->stopped()) self->accept(l);
    });
}

SWITCHBOARD_DECL void server_core::serve(tcp::socket socket, bool tls) {
    error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return; // the peer is already gone
    connection_slot slot(shared_from_this(), remote.address());
#ifdef SWITCHBOARD_WITH_OPENSSL
    // (Refused over a limit, it is closed before any handshake: see last_response.)
    if (tls) slot.secure(std::make_unique<tls_layer>(tls_, tls_layer::role::server));
#else
    (void)tls;
#endif
    if (auto why = slot.refusal()) return refuse_http(std::move(slot), std::move(socket), http::status::service_unavailable, why);
    std::make_shared<http_connection>(std::move(slot), std::move(socket))->start();
}

SWITCHBOARD_DECL address_entry& server_core::add_connection(const asio::ip::address& remote) {
    std::lock_guard lock(address_mutex_);
    auto& entry = *addresses_.try_emplace(key_of(remote)).first; // nodes stay put while counted
    ++entry.second.connections;
    return entry;
}

SWITCHBOARD_DECL void server_core::remove_connection(address_entry& a) {
    std::lock_guard lock(address_mutex_);
    if (--a.second.connections == 0 && a.second.sessions == 0) addresses_.erase(a.first);
}

SWITCHBOARD_DECL void server_core::remove_address_session(address_entry& a) {
    std::lock_guard lock(address_mutex_);
    if (--a.second.sessions == 0 && a.second.connections == 0) addresses_.erase(a.first);
}

SWITCHBOARD_DECL unsigned short server_core::port() const {
    error_code ec;
    const auto ep = plain_.acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}
SWITCHBOARD_DECL unsigned short server_core::tls_port() const {
    error_code ec;
    const auto ep = secure_.acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

SWITCHBOARD_DECL void server_core::stop() {
    if (stopped_.exchange(true)) return;
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) backplane_->stop();
#endif
    wheel_->stop(); // it turns on while connections still linger, then stops
    for (auto* l : {&plain_, &secure_})
        asio::post(l->acceptor.get_executor(), [self = shared_from_this(), l] {
            error_code ignored;
            l->acceptor.close(ignored);
            l->timer.cancel();
        });
    // Each session leaves the registry and its topics as it closes: until then a
    // request for it still finds it (and, if its client polls, how it ended).
    std::vector<std::shared_ptr<server_session>> sessions;
    std::unordered_map<std::string, lingering> closed;
    {
        std::lock_guard lock(mutex_);
        sessions.reserve(sessions_.size());
        for (const auto& [token, s] : sessions_) sessions.push_back(s);
        closed.swap(lingering_);
    }
    for (const auto& s : sessions)
        asio::post(s->strand(), [s] { s->close_now(error::closed, "server stopped"); });
    for (auto& [token, l] : closed) // their last answers wait no more
        asio::post(l.session->strand(), [c = std::move(l.connection)] { c->stop_lingering(); });
    std::deque<std::shared_ptr<server_session>> ready;
    {
        std::lock_guard lock(ready_mutex_);
        ready.swap(ready_);
    }
    for (const auto& s : ready) s->post_drain();
}

SWITCHBOARD_DECL void server_core::release() {
    decltype(sessions_) sessions, previous, by_id;
    std::unordered_map<std::string, std::unordered_set<std::shared_ptr<server_session>>> topics;
    std::unordered_map<std::string, lingering> closed;
    {
        std::lock_guard lock(mutex_);
        released_ = true;
        sessions.swap(sessions_);
        previous.swap(previous_tokens_);
        by_id.swap(by_cluster_id_);
        topics.swap(topics_);
        closed.swap(lingering_);
    }
}

SWITCHBOARD_DECL std::size_t server_core::session_count() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

SWITCHBOARD_DECL std::shared_ptr<server_session> server_core::open_session(bool resumable, address_entry& address,
                                                                          const char*& refusal, std::string principal,
                                                                          std::any data) {
    {
        std::lock_guard lock(address_mutex_);
        if (address.second.sessions >= options.max_sessions_per_address) {
            refusal = "too many sessions from this address";
            return nullptr;
        }
        ++address.second.sessions; // (the connection asking holds the entry)
    }
    {
        std::lock_guard lock(mutex_);
        if (!stopped() && sessions_.size() < options.max_sessions) {
            auto s = std::make_shared<server_session>(shared_from_this(), make_token(), resumable,
                                                      next_id_.fetch_add(1), address, std::move(principal),
                                                      std::move(data));
            sessions_.emplace(s->token(), s);
            if (backplane_) {
                s->cluster_id_ = make_token();
                by_cluster_id_.emplace(s->cluster_id(), s);
            }
            return s;
        }
    }
    remove_address_session(address);
    refusal = "server full";
    return nullptr;
}

SWITCHBOARD_DECL std::shared_ptr<server_session> server_core::find_session(std::string_view token) {
    std::lock_guard lock(mutex_);
    if (auto it = sessions_.find(token); it != sessions_.end()) return it->second->resumable() ? it->second : nullptr;
    auto it = previous_tokens_.find(token);
    return it == previous_tokens_.end() ? nullptr : it->second;
}

SWITCHBOARD_DECL void server_core::rotate_token(server_session& s, std::string_view used) {
    const auto fresh = make_token();
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(s.token());
    if (it == sessions_.end() || it->second.get() != &s) return; // it is ending
    auto held = it->second;
    const auto view = [](const server_session::token_type& t) { return std::string_view(t.data(), t.size()); };
    // What the client holds stays valid until it shows it has the fresh one: the token
    // it came with, if that was the one before (the newest never reached it), else the
    // newest (it is the one it used).
    const bool came_with_previous = s.previous_ && constant_time_equal{}(used, view(*s.previous_));
    sessions_.erase(it); // (the newest: void, or the previous from now on)
    if (!came_with_previous) {
        if (s.previous_) previous_tokens_.erase(view(*s.previous_));
        s.previous_ = s.token_;
        previous_tokens_.emplace(view(*s.previous_), held);
    }
    s.token_ = fresh;
    s.unconfirmed_.store(true);
    sessions_.emplace(s.token(), std::move(held));
}

SWITCHBOARD_DECL void server_core::confirm_token(server_session& s) {
    if (!s.unconfirmed_.load()) return;
    std::lock_guard lock(mutex_);
    if (!s.previous_) return;
    previous_tokens_.erase(std::string_view(s.previous_->data(), s.previous_->size()));
    s.previous_.reset();
    s.unconfirmed_.store(false);
}

SWITCHBOARD_DECL void server_core::confirm_token(server_session& s, std::string_view used) {
    if (!s.unconfirmed_.load()) return;
    std::lock_guard lock(mutex_);
    if (!s.previous_ || !constant_time_equal{}(used, s.token())) return;
    previous_tokens_.erase(std::string_view(s.previous_->data(), s.previous_->size()));
    s.previous_.reset();
    s.unconfirmed_.store(false);
}

SWITCHBOARD_DECL void server_core::remove_session(server_session& s) {
    // What the maps held goes after the lock is released: the last reference to a
    // session may be among them, and its destruction runs no code under the lock.
    std::shared_ptr<server_session> held;
    std::vector<std::shared_ptr<server_session>> subscriptions;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(s.token());
        if (it != sessions_.end() && it->second.get() == &s) {
            held = std::move(it->second);
            sessions_.erase(it);
        }
        if (s.previous_) {
            previous_tokens_.erase(std::string_view(s.previous_->data(), s.previous_->size()));
            s.previous_.reset();
        }
        if (auto id = by_cluster_id_.find(s.cluster_id()); id != by_cluster_id_.end() && id->second.get() == &s) {
            subscriptions.push_back(std::move(id->second)); // (released after the lock, as below)
            by_cluster_id_.erase(id);
        }
        if (s.topics) {
            for (const auto& topic : *s.topics) {
                auto t = topics_.find(topic);
                if (t == topics_.end()) continue;
                auto node = t->second.extract(s.shared_from_this());
                if (!node.empty()) subscriptions.push_back(std::move(node.value()));
                if (t->second.empty()) topics_.erase(t);
            }
            s.topics.reset();
        }
    }
    s.release_address();
}

SWITCHBOARD_DECL void server_core::linger(const std::shared_ptr<server_session>& s,
                                          std::shared_ptr<lingering_connection> c) {
    lingering replaced;
    {
        std::lock_guard lock(mutex_);
        if (released_) return; // the server object is gone: nothing would take it out again
        auto& entry = lingering_[std::string(s->token())];
        replaced = std::exchange(entry, lingering{s, std::move(c)});
    }
}

SWITCHBOARD_DECL std::shared_ptr<lingering_connection> server_core::take_lingering(std::string_view token) {
    lingering taken;
    {
        std::lock_guard lock(mutex_);
        auto it = lingering_.find(std::string(token));
        if (it == lingering_.end()) return nullptr;
        taken = std::move(it->second);
        lingering_.erase(it);
    }
    return std::move(taken.connection);
}

SWITCHBOARD_DECL void server_core::unlinger(std::string_view token, const lingering_connection* c) {
    lingering gone;
    {
        std::lock_guard lock(mutex_);
        auto it = lingering_.find(std::string(token));
        if (it == lingering_.end() || it->second.connection.get() != c) return;
        gone = std::move(it->second);
        lingering_.erase(it);
    }
}

SWITCHBOARD_DECL void server_core::join(const std::shared_ptr<server_session>& s, std::string topic) {
#ifdef SWITCHBOARD_WITH_REDIS
    // (It takes effect where the stream has it: every node that holds the session
    // sends it the same publishes.)
    if (backplane_) return backplane_->append(backplane::kind::join, topic, s->cluster_id(), {});
#endif
    join_here(s, std::move(topic));
}

SWITCHBOARD_DECL void server_core::join_here(const std::shared_ptr<server_session>& s, std::string topic) {
    std::lock_guard lock(mutex_);
    if (!sessions_.count(s->token())) return; // closed
    topics_[topic].insert(s);
    if (!s->topics) s->topics = std::make_unique<std::set<std::string, std::less<>>>();
    s->topics->insert(std::move(topic));
}

SWITCHBOARD_DECL void server_core::leave(const std::shared_ptr<server_session>& s, std::string_view topic) {
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) return backplane_->append(backplane::kind::leave, topic, s->cluster_id(), {});
#endif
    leave_here(s, topic);
}

SWITCHBOARD_DECL void server_core::leave_here(const std::shared_ptr<server_session>& s, std::string_view topic) {
    std::lock_guard lock(mutex_);
    auto t = topics_.find(std::string(topic));
    if (t != topics_.end()) {
        t->second.erase(s);
        if (t->second.empty()) topics_.erase(t);
    }
    if (!s->topics) return;
    if (auto it = s->topics->find(topic); it != s->topics->end()) s->topics->erase(it);
    if (s->topics->empty()) s->topics.reset();
}

SWITCHBOARD_DECL void server_core::publish(std::string_view topic, event e) {
    auto ev = std::make_shared<const event>(std::move(e)); // serialized once, shared by every subscriber
#ifdef SWITCHBOARD_WITH_REDIS
    // (Every node, this one too, sends it when it reads it back: in the stream's order.)
    if (backplane_) return backplane_->append(backplane::kind::publish, topic, {}, *ev);
#endif
    publish_here(topic, ev);
}

SWITCHBOARD_DECL void server_core::publish_here(std::string_view topic, const shared_event& ev) {
    fan_out fan;
    {
        std::lock_guard lock(mutex_);
        auto t = topics_.find(std::string(topic));
        if (t == topics_.end()) return;
        fan.due.reserve(t->second.size());
        for (const auto& s : t->second) fan.add(s, ev);
    }
    fan.run(*this, ev);
}

SWITCHBOARD_DECL void server_core::broadcast(event e) {
    auto ev = std::make_shared<const event>(std::move(e));
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) return backplane_->append(backplane::kind::broadcast, {}, {}, *ev);
#endif
    broadcast_here(ev);
}

SWITCHBOARD_DECL void server_core::broadcast_here(const shared_event& ev) {
    fan_out fan;
    {
        std::lock_guard lock(mutex_);
        fan.due.reserve(sessions_.size());
        for (const auto& [token, s] : sessions_) fan.add(s, ev);
    }
    fan.run(*this, ev);
}

// Under the server-wide lock a send only waits in its session's inbox (a push, no
// write, no close, no callback); a session on the calling thread's own strand is sent to
// after the lock is released, at once and in order with what the handler sends next.
SWITCHBOARD_DECL void server_core::fan_out::add(const std::shared_ptr<server_session>& s, const shared_event& ev) {
    if (s->strand().running_in_this_thread()) here.push_back(s);
    else if (s->push_inbox(ev)) due.push_back(s);
}

SWITCHBOARD_DECL void server_core::fan_out::run(server_core& core, const shared_event& ev) {
    for (const auto& s : here) s->send_now(ev);
    core.schedule(due);
}

SWITCHBOARD_DECL void server_core::schedule(std::shared_ptr<server_session>* due, std::size_t n) {
    if (n == 0) return;
    bool listed = false, post = false;
    {
        std::lock_guard lock(ready_mutex_);
        if (!stopped()) {
            for (std::size_t i = 0; i < n; ++i) ready_.push_back(std::move(due[i]));
            listed = true;
            post = !ready_posted_;
            ready_posted_ = true;
        }
    }
    if (post) asio::post(ioc, [self = shared_from_this()] { self->run_ready(); });
    if (listed) return;
    // A stopped server keeps no list (nothing might drain it): each session drains itself.
    for (std::size_t i = 0; i < n; ++i) due[i]->post_drain();
}

SWITCHBOARD_DECL void server_core::run_ready() {
    // A slice, then the rest behind whatever is queued meanwhile (reads, the next
    // publish): the sessions still waiting gather more sends into their one write.
    constexpr std::size_t slice = 16;
    std::array<std::shared_ptr<server_session>, slice> turn;
    std::size_t n = 0;
    bool more = false;
    {
        std::lock_guard lock(ready_mutex_);
        while (n < slice && !ready_.empty()) {
            turn[n++] = std::move(ready_.front());
            ready_.pop_front();
        }
        more = !ready_.empty();
        ready_posted_ = more;
    }
    // Posted first: with more than one thread, the next slice need not wait for this one.
    if (more) asio::post(ioc, [self = shared_from_this()] { self->run_ready(); });
    for (std::size_t i = 0; i < n; ++i) {
        const auto& strand = turn[i]->strand();
        asio::dispatch(strand, [s = std::move(turn[i])] { s->drain_inbox(); });
    }
}

} // namespace switchboard::detail

#endif
