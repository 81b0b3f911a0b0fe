// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_SERVER_CORE_IPP
#define SWITCHBOARD_IMPL_SERVER_CORE_IPP

#include <switchboard/detail/http_front.hpp>
#include <switchboard/detail/query.hpp>
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

#ifdef SWITCHBOARD_WITH_REDIS
// A session being brought from the cluster: what the backplane's reader applied while
// its history was being read.
struct server_core::cluster_load {
    struct item {
        bool lost = false; // entries were lost here
        backplane::entry x;
    };
    std::string id;
    std::vector<item> buffer;
    std::vector<std::function<void(bool)>> waiters; // other requests for it meanwhile
};

// The cluster's side of the registry (docs/decisions.md, "Backplane"). Keys, under the
// backplane's prefix: session:<cluster id> (a hash: where its history starts in the
// stream, its principal) and token:<token> (its cluster id), both with a TTL.
struct cluster_ops {
    using clock = std::chrono::steady_clock;
    // How long the keys of a session with a connection live (refreshed at each attach).
    static constexpr std::chrono::hours attached_ttl{24};

    static std::string key(const server_core& c, std::string_view kind, std::string_view id) {
        return c.options.backplane.prefix + std::string(kind) + ":" + std::string(id);
    }
    static std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()); }
    static void ignore(error_code, detail::redis::reply) {}
    // A reply handler that tells `s` whether Redis took what its welcome will carry.
    static detail::redis::connection::reply_handler recorded(server_session& s) {
        return [w = s.weak_from_this()](error_code ec, detail::redis::reply r) {
            if (auto s = w.lock()) asio::post(s->strand(), [s, ok = !ec && !r.is_error()] { s->recorded(ok); });
        };
    }

    // The session's keys live `ttl` from now (on its strand: its token does not change).
    static void expire(server_core& c, server_session& s, std::chrono::milliseconds ttl) {
        for (auto k : {key(c, "session", s.cluster_id()), key(c, "token", s.token())})
            c.backplane_->command({"PEXPIRE", std::move(k), ms(ttl)}, ignore);
    }

    // An entry read from the stream (on the backplane's strand).
    static void apply(server_core& c, backplane::entry x) {
        for (auto& [id, l] : c.loading_) l->buffer.push_back({false, x});
        if (backplane::carries_event(x.k) && !valid(x.e)) return c.backplane_lost(); // (what any client of Redis could write)
        switch (x.k) {
        case backplane::kind::publish: return c.publish_here(x.topic, std::make_shared<const event>(std::move(x.e)));
        case backplane::kind::broadcast: return c.broadcast_here(std::make_shared<const event>(std::move(x.e)));
        case backplane::kind::send:
            if (auto s = c.find_cluster_session(x.session); s && s->positioned_ &&
                                                            s->push_inbox(std::make_shared<const event>(std::move(x.e))))
                c.schedule(std::move(s));
            return;
        case backplane::kind::join:
            if (auto s = c.find_cluster_session(x.session)) c.join_here(s, std::move(x.topic));
            return;
        case backplane::kind::leave:
            if (auto s = c.find_cluster_session(x.session)) c.leave_here(s, x.topic);
            return;
        case backplane::kind::attach: // another node took it (unless this node took it again since)
            if (auto s = c.find_cluster_session(x.session)) {
                if (x.own) --s->attaches_pending_;
                else if (s->attaches_pending_.load() == 0) asio::post(s->strand(), [s] { s->moved_away(); });
            }
            return;
        case backplane::kind::close: // it ended on another node
            if (x.own) return;
            if (auto s = c.find_cluster_session(x.session)) asio::post(s->strand(), [s] { s->moved_away(); });
            return;
        }
    }

    // A session's topics as one field: "<length>:<name>" each.
    static std::string encode_topics(const std::set<std::string, std::less<>>* topics) {
        std::string out;
        if (topics)
            for (const auto& t : *topics) out.append(std::to_string(t.size())).append(":").append(t);
        return out;
    }
    static std::set<std::string, std::less<>> decode_topics(std::string_view in) {
        std::set<std::string, std::less<>> out;
        while (!in.empty()) {
            const auto colon = in.find(':');
            if (colon == std::string_view::npos) break;
            const auto n = parse_u64(in.substr(0, colon));
            if (!n || *n > in.size() - colon - 1) break; // (not what a node wrote)
            out.emplace(in.substr(colon + 1, *n));
            in.remove_prefix(colon + 1 + *n);
        }
        return out;
    }

    // See server_core::cluster_checkpoint. Between two entries read: the session's
    // window and topics are what the entries before gave it, so a node that makes it
    // again from here (start_after(seq), then the entries after) numbers as this one.
    static void checkpoint(server_core& c, std::shared_ptr<server_session> s, sequence_number seen, sequence_number in,
                           bool force) {
        // (In a script: a hash another node deleted, the session having ended, is not
        // made again, except by `force`; `in` only moves up; the keys live a day, as a
        // session's with a connection.)
        static constexpr const char* script = R"lua(
local exists = redis.call('EXISTS', KEYS[1]) == 1
if not exists and ARGV[1] ~= 'force' then return 0 end
redis.call('HSET', KEYS[1], 'start', ARGV[2], 'number', ARGV[3], 'seq', ARGV[4], 'topics', ARGV[5])
if ARGV[1] == 'force' then
  redis.call('HSET', KEYS[1], 'principal', ARGV[6])
  if tonumber(ARGV[7]) > tonumber(redis.call('HGET', KEYS[1], 'in') or '0') then
    redis.call('HSET', KEYS[1], 'in', ARGV[7])
  end
  redis.call('SET', KEYS[2], ARGV[8])
  redis.call('HSET', KEYS[1], 'holder', ARGV[10])
end
redis.call('PEXPIRE', KEYS[1], ARGV[9])
redis.call('PEXPIRE', KEYS[2], ARGV[9])
return 1
)lua";
        std::weak_ptr<server_core> weak = c.shared_from_this();
        c.backplane_->at_position([weak, s, seen, in, force](const std::string& position, std::optional<std::uint64_t> number) {
            auto self = weak.lock();
            if (!self) return;
            // Still this node's (a session removed, having moved away, stopped getting the
            // entries: its count says nothing of the position), and nothing came since.
            if (self->find_cluster_session(s->cluster_id()) != s) return;
            const auto given = s->given();
            if (given != seen && !force) return; // more came since: its client has not got it all
            std::string token, topics;
            {
                std::lock_guard lock(self->mutex_);
                token = std::string(s->token());
                topics = encode_topics(s->topics.get());
            }
            self->backplane_->command({"EVAL", script, "2", key(*self, "session", s->cluster_id()), key(*self, "token", token),
                                       force ? "force" : "move", position, number ? std::to_string(*number) : "-",
                                       std::to_string(given), topics, s->principal(), std::to_string(in),
                                       std::string(s->cluster_id()), ms(attached_ttl), self->backplane_->node()},
                                      ignore);
        });
    }

    // Presence: every presence_interval each node writes what it serves (its sessions,
    // and the sessions of each topic) to <prefix>presence:<node>, a hash replaced at once
    // (RENAME) that lives three intervals, lists itself in <prefix>nodes, and reads every
    // node's hash: their sums are the cluster's counts until the next exchange.
    static constexpr std::chrono::seconds presence_interval{1};
    static void presence_later(server_core& c) {
        std::weak_ptr<server_core> weak = c.shared_from_this();
        c.presence_timer_->expires_after(presence_interval);
        c.presence_timer_->async_wait([weak](error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->stopped()) return;
            presence(*self);
            presence_later(*self);
        });
    }
    static void presence(server_core& c) {
        auto& bp = *c.backplane_;
        const auto& node = bp.node();
        const auto mine = key(c, "presence", node), next = key(c, "presence-next", node);
        const auto nodes = c.options.backplane.prefix + "nodes";
        std::vector<std::string> hset{"HSET", next, "sessions", {}};
        std::size_t sessions = 0;
        {
            std::lock_guard lock(c.mutex_);
            for (const auto& [token, s] : c.sessions_) sessions += s->served_here();
            for (const auto& [topic, members] : c.topics_) {
                std::size_t n = 0;
                for (const auto& s : members) n += s->served_here();
                if (n != 0) hset.insert(hset.end(), {"t:" + topic, std::to_string(n)});
            }
        }
        hset[3] = std::to_string(sessions);
        bp.command(std::move(hset), ignore);
        bp.command({"PEXPIRE", next, ms(3 * presence_interval)}, ignore); // (RENAME keeps it)
        bp.command({"RENAME", next, mine}, ignore);
        bp.command({"SADD", nodes, node}, ignore);
        std::weak_ptr<server_core> weak = c.shared_from_this();
        bp.command({"SMEMBERS", nodes}, [weak, nodes](error_code ec, detail::redis::reply r) {
            auto self = weak.lock();
            if (!self || ec || r.type != detail::redis::reply::kind::array) return;
            struct gather {
                std::size_t left = 0;
                server_core::presence_counts sum;
            };
            auto g = std::make_shared<gather>();
            g->left = r.elements.size();
            g->sum.at = std::chrono::steady_clock::now();
            for (const auto& member : r.elements) {
                const auto id = member.str;
                self->backplane_->command({"HGETALL", key(*self, "presence", id)}, [weak, g, id, nodes](error_code ec2, detail::redis::reply h) {
                    auto self = weak.lock();
                    if (!self) return;
                    if (!ec2 && h.type == detail::redis::reply::kind::array) {
                        if (h.elements.empty()) self->backplane_->command({"SREM", nodes, id}, ignore); // (a node gone)
                        for (std::size_t i = 0; i + 1 < h.elements.size(); i += 2) {
                            const auto& f = h.elements[i].str;
                            const auto n = parse_u64(h.elements[i + 1].str).value_or(0);
                            if (f == "sessions") g->sum.sessions += n;
                            else if (f.size() > 2 && f.compare(0, 2, "t:") == 0) g->sum.topics[f.substr(2)] += n;
                        }
                    }
                    if (--g->left != 0) return;
                    std::lock_guard lock(self->presence_mutex_);
                    if (!self->presence_.at || *self->presence_.at < *g->sum.at) self->presence_ = std::move(g->sum);
                });
            }
        });
    }

    // Redis lost its data: every session this node serves writes its keys again.
    static void new_epoch(server_core& c) {
        std::vector<std::shared_ptr<server_session>> held;
        {
            std::lock_guard lock(c.mutex_);
            for (const auto& [token, s] : c.sessions_)
                if (s->resumable()) held.push_back(s);
        }
        for (auto& s : held) asio::post(s->strand(), [s] { s->record_again(); });
    }

    static bool valid(event& e) {
        if (e.type.empty()) e.type = "message";
        return proto::valid_type(e.type);
    }

    static void lost(server_core& c) {
        for (auto& [id, l] : c.loading_) l->buffer.push_back({true, {}});
        c.backplane_lost();
    }

    // A session opened here: its history starts where the stream is now.
    static void opened(server_core& c, const std::shared_ptr<server_session>& s) {
        std::weak_ptr<server_core> weak = c.shared_from_this();
        c.backplane_->at_position([weak, s](const std::string& position, std::optional<std::uint64_t> number) {
            auto self = weak.lock();
            if (!self) return;
            s->positioned_ = true;
            if (!s->resumable()) return; // (a plain session cannot be resumed anywhere)
            std::string token;
            {
                std::lock_guard lock(self->mutex_);
                token = std::string(s->token());
            }
            const auto ttl = ms(attached_ttl);
            auto& bp = *self->backplane_;
            const auto session_key = key(*self, "session", s->cluster_id());
            std::vector<std::string> hset{"HSET", session_key, "start", position, "principal", s->principal(),
                                          "number", number ? std::to_string(*number) : "-", // ("-": not known)
                                          "holder", bp.node()};
            bp.command(std::move(hset), ignore);
            bp.command({"PEXPIRE", session_key, ttl}, ignore);
            bp.command({"SET", key(*self, "token", token), std::string(s->cluster_id()), "PX", ttl}, recorded(*s));
        });
    }

    // The session of `token` from the cluster (see server_core::load_session).
    static void load(server_core& c, std::string token, address_entry& address, std::function<void(bool)> done) {
        auto bp = c.backplane_;
        auto self = c.shared_from_this();
        bp->command({"GET", key(c, "token", token)}, [self, bp, token, &address, done](error_code ec, detail::redis::reply r) {
            if (ec || r.is_error()) return done(false);
            if (r.type != detail::redis::reply::kind::string) return done(true); // (no such token)
            auto id = r.str;
            bp->command({"HGETALL", key(*self, "session", id)},
                        [self, bp, token, id, &address, done](error_code ec2, detail::redis::reply h) {
                            if (ec2 || h.is_error()) return done(false);
                            if (h.type != detail::redis::reply::kind::array || h.elements.empty()) return done(true);
                            std::string start = "0-0", principal, topics;
                            std::optional<std::uint64_t> number;
                            std::uint64_t in = 0, seq = 0;
                            for (std::size_t i = 0; i + 1 < h.elements.size(); i += 2) {
                                const auto& f = h.elements[i].str;
                                const auto& v = h.elements[i + 1].str;
                                if (f == "start") start = v;
                                else if (f == "principal") principal = v;
                                else if (f == "number") number = parse_u64(v); // ("-": not known)
                                else if (f == "in") in = std::strtoull(v.c_str(), nullptr, 10);
                                else if (f == "seq") seq = std::strtoull(v.c_str(), nullptr, 10);
                                else if (f == "topics") topics = v;
                            }
                            // (Held here already, or being brought by another request: it
                            // goes on when that one is done.)
                            if (self->find_cluster_session(id)) return done(true);
                            if (auto it = self->loading_.find(id); it != self->loading_.end())
                                return it->second->waiters.push_back(std::move(done));
                            auto l = std::make_shared<server_core::cluster_load>();
                            l->id = id;
                            self->loading_[id] = l;
                            bp->range(start, [self, bp, l, token, principal, number, in, seq, topics, start, &address,
                                              done](error_code ec3, std::vector<backplane::parsed> entries) mutable {
                                auto finish = [self, l, done](bool answered) {
                                    self->loading_.erase(l->id);
                                    done(answered);
                                    for (auto& w : l->waiters) w(answered);
                                };
                                if (ec3) return finish(false);
                                // The reader must have passed the history's end first: an entry
                                // it had not applied yet would be in the history and applied
                                // live again (it skips nothing).
                                const auto end = entries.empty() ? start : entries.back().x.id;
                                auto e = std::make_shared<std::vector<backplane::parsed>>(std::move(entries));
                                bp->when_read(end, [self, l, token, principal, number, in, seq, topics, start, e, &address, finish] {
                                    build(*self, *l, token, principal, {number, in, seq, decode_topics(topics)}, start, *e, address);
                                    finish(true);
                                });
                            });
                        });
        });
    }

    // Makes the session from its history: each entry numbered as the nodes that held
    // it numbered it (the same rules as apply).
    // A session's place in the stream as its hash has it (where its history starts).
    struct place {
        std::optional<std::uint64_t> number; // the cluster number there (none: not known)
        sequence_number in;     // the last upstream event delivered
        sequence_number seq;    // the session's last event there
        std::set<std::string, std::less<>> topics; // its topics there
    };
    static void build(server_core& c, server_core::cluster_load& l, const std::string& token, const std::string& principal,
                      place at, std::string last_id, std::vector<backplane::parsed>& entries, address_entry& address) {
        auto number = at.number.value_or(0);
        server_session::token_type t{}, id{};
        if (token.size() != t.size() || l.id.size() != id.size()) return;
        std::copy(token.begin(), token.end(), t.begin());
        std::copy(l.id.begin(), l.id.end(), id.begin());
        std::vector<shared_event> events; // (null: lost)
        auto topics = std::move(at.topics);
        bool ended = false;
        auto project = [&](backplane::entry& x) {
            if (backplane::carries_event(x.k) && !valid(x.e)) return events.push_back(nullptr);
            const bool mine = x.session == l.id;
            switch (x.k) {
            case backplane::kind::publish:
                if (topics.count(x.topic)) events.push_back(std::make_shared<const event>(std::move(x.e)));
                return;
            case backplane::kind::broadcast: return events.push_back(std::make_shared<const event>(std::move(x.e)));
            case backplane::kind::send:
                if (mine) events.push_back(std::make_shared<const event>(std::move(x.e)));
                return;
            case backplane::kind::join:
                if (mine) topics.insert(x.topic);
                return;
            case backplane::kind::leave:
                if (mine) topics.erase(x.topic);
                return;
            case backplane::kind::close: ended = ended || mine; return;
            case backplane::kind::attach: return;
            }
        };
        bool first = true;
        for (auto& p : entries) {
            bool missing = false;
            if (p.number != 0) {
                // The history must start right after where the session began (when that
                // place's number is known).
                if (first && at.number && p.number != *at.number + 1) return;
                missing = !first && p.number > number + 1;
                number = std::max(number, p.number);
                first = false;
            }
            if (missing || p.dropped > 0) events.push_back(nullptr); // (one, as the reader reports it)
            if (p.known) project(p.x);
            last_id = p.x.id;
        }
        // Then what the reader applied meanwhile, from after the history's end.
        std::size_t lost = 0;
        for (auto& item : l.buffer) {
            if (item.lost) {
                ++lost;
                continue;
            }
            if (!backplane::id_after(item.x.id, last_id)) {
                lost = 0; // (reported before an entry the history had)
                continue;
            }
            for (; lost > 0; --lost) events.push_back(nullptr);
            project(item.x);
        }
        for (; lost > 0; --lost) events.push_back(nullptr);
        if (ended) return;
        const char* refusal = nullptr;
        // (Its window is filled before any other thread can find it.)
        auto s = c.make_session(true, address, refusal, principal, {}, t, id, [&](server_session& made) {
            made.sm_->out.start_after(at.seq);
            for (const auto& ev : events) made.sm_->out.push(ev, ev ? ev->data.size() : 0);
            made.sm_->in.advance_to(at.in);
            made.sm_->sent.store(made.sm_->out.last_sent());
            made.sm_->given = made.sm_->out.last_sent();
            made.positioned_ = true;
            made.brought_ = true;
            made.recorded_ = true;
            made.opened_ = true; // (on_open ran where it opened)
        });
        if (!s) return;
        for (const auto& topic : topics) c.join_here(s, topic);
        // Not resumed after all (the request fails, or is refused): it waits for its
        // client as a dropped session does, then ends.
        asio::post(s->strand(), [s] { s->expire_unless_attached(); });
    }

};
#endif

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
                    if (auto self = weak.lock()) cluster_ops::apply(*self, std::move(x));
                },
            .lost =
                [weak] {
                    if (auto self = weak.lock()) cluster_ops::lost(*self);
                },
            .status =
                [weak](error_code ec) {
                    auto self = weak.lock();
                    if (self && self->on_backplane && !self->silenced()) self->on_backplane(ec);
                },
            .epoch =
                [weak] {
                    if (auto self = weak.lock()) cluster_ops::new_epoch(*self);
                },
        });
    backplane_->start();
    presence_timer_ = std::make_unique<asio::steady_timer>(asio::make_strand(ioc));
    cluster_ops::presence(*this);
    cluster_ops::presence_later(*this);
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

SWITCHBOARD_DECL void server_core::load_session(std::string token, address_entry& address, std::function<void(bool)> done) {
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) return cluster_ops::load(*this, std::move(token), address, std::move(done));
#else
    (void)token;
    (void)address;
#endif
    done(true);
}

SWITCHBOARD_DECL void server_core::cluster_attached(server_session& s, bool resumed) {
#ifdef SWITCHBOARD_WITH_REDIS
    // (A resume tells every other node that held it to let go.)
    if (resumed) {
        ++s.attaches_pending_; // (attaches of other nodes read before it are older)
        // (It makes this node the session's `holder` too: a node it left, whose copy
        // expires, asks before ending it: cluster_expired.)
        backplane_->append(backplane::kind::attach, {}, s.cluster_id(), {});
    }
    cluster_ops::expire(*this, s, cluster_ops::attached_ttl);
#else
    (void)s;
    (void)resumed;
#endif
}

SWITCHBOARD_DECL void server_core::cluster_record_token(server_session& s) {
#ifdef SWITCHBOARD_WITH_REDIS
    std::string token;
    {
        std::lock_guard lock(mutex_);
        token = std::string(s.token());
    }
    backplane_->command({"SET", cluster_ops::key(*this, "token", token), std::string(s.cluster_id()), "PX",
                         cluster_ops::ms(cluster_ops::attached_ttl)},
                        cluster_ops::recorded(s));
#else
    (void)s;
#endif
}

SWITCHBOARD_DECL void server_core::cluster_deliver(const std::shared_ptr<server_session>& s, sequence_number seq,
                                                   event ev) {
#ifdef SWITCHBOARD_WITH_REDIS
    // The session's record of what was delivered upstream moves to `seq` once, for
    // whichever node asks first, and only from `seq - 1` (an earlier one not recorded
    // is never skipped). The answer: {1, the number before} (deliver), {0, the record's
    // number} (delivered already), {-3, the record's number} (an earlier one is missing),
    // {-2} (the record is gone).
    static constexpr const char* script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {-2, 0} end
local last = tonumber(redis.call('HGET', KEYS[1], 'in') or '0')
local n = tonumber(ARGV[1])
if n <= last then return {0, last} end
if n > last + 1 then return {-3, last} end
redis.call('HSET', KEYS[1], 'in', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, last}
)lua";
    backplane_->command({"EVAL", script, "1", cluster_ops::key(*this, "session", s->cluster_id()), std::to_string(seq),
                         cluster_ops::ms(cluster_ops::attached_ttl)},
                        [s, seq, ev = std::move(ev)](error_code ec, detail::redis::reply r) mutable {
                            long long verdict = -2, record = 0;
                            if (!ec && r.type == detail::redis::reply::kind::array && r.elements.size() == 2) {
                                verdict = r.elements[0].integer;
                                record = r.elements[1].integer;
                            }
                            asio::post(s->strand(), [s, seq, verdict, record, ev = std::move(ev)]() mutable {
                                const auto before = static_cast<sequence_number>(std::max(0LL, record));
                                if (verdict == 1) return s->delivered_elsewhere_then(before, seq, std::move(ev));
                                if (verdict == 0) return s->delivered_elsewhere_then(before, seq, std::nullopt);
                                // Not recorded (an earlier event missing, Redis unreachable, the
                                // record gone): not delivered and not acknowledged; the connection
                                // ends, and the client sends it again when it resumes.
                                if (auto c = s->connection()) c->close({}, "the cluster is unavailable");
                            });
                        });
#else
    (void)s;
    (void)seq;
    (void)ev;
#endif
}

SWITCHBOARD_DECL void server_core::cluster_skip(server_session& s, sequence_number last) {
#ifdef SWITCHBOARD_WITH_REDIS
    static constexpr const char* script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'in') or '0')
if tonumber(ARGV[1]) > last then redis.call('HSET', KEYS[1], 'in', ARGV[1]) end
return 1
)lua";
    backplane_->command({"EVAL", script, "1", cluster_ops::key(*this, "session", s.cluster_id()), std::to_string(last)},
                        cluster_ops::ignore);
#else
    (void)s;
    (void)last;
#endif
}

SWITCHBOARD_DECL void server_core::cluster_barrier(std::function<void()> f) {
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) return backplane_->command({"PING"}, [f = std::move(f)](error_code, detail::redis::reply) { f(); });
#endif
    f();
}

SWITCHBOARD_DECL void server_core::cluster_checkpoint(std::shared_ptr<server_session> s, sequence_number seen,
                                                      sequence_number in, bool force) {
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) cluster_ops::checkpoint(*this, std::move(s), seen, in, force);
#else
    (void)s;
    (void)seen;
    (void)in;
    (void)force;
#endif
}

SWITCHBOARD_DECL bool server_core::cluster_up() const noexcept {
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) return backplane_->up();
#endif
    return true;
}

SWITCHBOARD_DECL void server_core::cluster_sync(std::function<void()> f) {
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) return backplane_->sync(std::move(f));
#endif
    f();
}

SWITCHBOARD_DECL void server_core::cluster_detached(server_session& s) {
#ifdef SWITCHBOARD_WITH_REDIS
    cluster_ops::expire(*this, s, options.session_timeout);
#else
    (void)s;
#endif
}

SWITCHBOARD_DECL void server_core::cluster_finished(server_session& s) {
#ifdef SWITCHBOARD_WITH_REDIS
    backplane_->append(backplane::kind::close, {}, s.cluster_id(), {});
    std::vector<std::string> del{"DEL", cluster_ops::key(*this, "session", s.cluster_id()),
                                 cluster_ops::key(*this, "token", s.token())};
    {
        std::lock_guard lock(mutex_);
        if (s.previous_) del.push_back(cluster_ops::key(*this, "token", {s.previous_->data(), s.previous_->size()}));
    }
    backplane_->command(std::move(del), cluster_ops::ignore);
#else
    (void)s;
#endif
}

SWITCHBOARD_DECL void server_core::cluster_expired(const std::shared_ptr<server_session>& s) {
#ifdef SWITCHBOARD_WITH_REDIS
    // Not this node's to decide while it cannot ask: its client may be on another node
    // (it asks again after another session_timeout).
    if (!backplane_->up()) return s->expire_unless_attached();
    const auto n = s->sm_->expiries;
    backplane_->command({"HGET", cluster_ops::key(*this, "session", s->cluster_id()), "holder"},
                        [s, n, me = backplane_->node()](error_code ec, detail::redis::reply r) {
                            const bool failed = ec || r.is_error();
                            const bool elsewhere = !failed && r.type == detail::redis::reply::kind::string && r.str != me;
                            asio::post(s->strand(), [s, n, failed, elsewhere] {
                                // (Attached again meanwhile, or ended.)
                                if (s->closed_ || n != s->sm_->expiries || s->conn_.lock()) return;
                                if (failed) return s->expire_unless_attached();
                                if (elsewhere) return s->moved_away(); // it goes on there
                                s->finish(error::session_expired);
                            });
                        });
#else
    s->finish(error::session_expired);
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
            if (s->resumable() && (!backplane_ || s->positioned_)) fan.add(s, lost);
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
    if (presence_timer_) asio::post(presence_timer_->get_executor(), [self = shared_from_this()] { self->presence_timer_->cancel(); });
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
    // With a backplane a session in session mode does not end with its node: its
    // client resumes on another (a rolling restart moves sessions, it does not end them).
    const bool clustered_sessions = backplane_ != nullptr;
    for (const auto& s : sessions)
        asio::post(s->strand(), [s, clustered_sessions] {
            if (clustered_sessions && s->resumable()) return s->moved_away();
            s->close_now(error::closed, "server stopped");
        });
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

SWITCHBOARD_DECL std::size_t server_core::subscriber_count(std::string_view topic) const {
    std::lock_guard lock(mutex_);
    auto t = topics_.find(std::string(topic));
    if (t == topics_.end()) return 0;
    std::size_t n = 0;
    for (const auto& s : t->second) n += s->served_here();
    return n;
}

SWITCHBOARD_DECL bool server_core::presence_fresh() const {
#ifdef SWITCHBOARD_WITH_REDIS
    // (An exchange older than a node's presence lives: Redis unreachable. This node's.)
    return presence_.at && std::chrono::steady_clock::now() - *presence_.at < 3 * cluster_ops::presence_interval;
#else
    return false;
#endif
}

SWITCHBOARD_DECL std::size_t server_core::cluster_session_count() const {
    {
        std::lock_guard lock(presence_mutex_);
        if (presence_fresh()) return presence_.sessions;
    }
    std::lock_guard lock(mutex_); // (no backplane, or before the first exchange: this node's)
    std::size_t n = 0;
    for (const auto& [token, s] : sessions_) n += s->served_here();
    return n;
}

SWITCHBOARD_DECL std::size_t server_core::cluster_subscriber_count(std::string_view topic) const {
    {
        std::lock_guard lock(presence_mutex_);
        if (presence_fresh()) {
            auto t = presence_.topics.find(std::string(topic));
            return t == presence_.topics.end() ? 0 : t->second;
        }
    }
    return subscriber_count(topic);
}

SWITCHBOARD_DECL std::shared_ptr<server_session> server_core::open_session(bool resumable, address_entry& address,
                                                                          const char*& refusal, std::string principal,
                                                                          std::any data) {
    auto s = make_session(resumable, address, refusal, std::move(principal), std::move(data), make_token(), {}, {});
#ifdef SWITCHBOARD_WITH_REDIS
    if (s && backplane_) cluster_ops::opened(*this, s);
#endif
    return s;
}

SWITCHBOARD_DECL std::shared_ptr<server_session> server_core::make_session(bool resumable, address_entry& address,
                                                                          const char*& refusal, std::string principal,
                                                                          std::any data, server_session::token_type token,
                                                                          std::optional<server_session::token_type> cluster_id,
                                                                          const std::function<void(server_session&)>& prepare) {
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
        if (!stopped() && sessions_.size() < options.max_sessions && !sessions_.count({token.data(), token.size()})) {
            auto s = std::make_shared<server_session>(shared_from_this(), token, resumable, next_id_.fetch_add(1), address,
                                                      std::move(principal), std::move(data));
            if (prepare) prepare(*s); // (a session no one else knows yet: nothing is called out)
            sessions_.emplace(s->token(), s);
            if (backplane_) {
                s->cluster_id_ = cluster_id ? *cluster_id : make_token();
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
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_) { // (the commands are only queued: nothing is called under the lock)
        // The fresh token is in Redis before the client has it (server_session::attach
        // waits for recorded()); the one before stays valid as long as a dropped
        // session waits for its client, no longer.
        backplane_->command({"SET", cluster_ops::key(*this, "token", s.token()), std::string(s.cluster_id()), "PX",
                             cluster_ops::ms(cluster_ops::attached_ttl)},
                            cluster_ops::recorded(s));
        if (s.previous_)
            backplane_->command({"PEXPIRE", cluster_ops::key(*this, "token", view(*s.previous_)),
                                 cluster_ops::ms(std::chrono::duration_cast<std::chrono::milliseconds>(options.session_timeout))},
                                cluster_ops::ignore);
    }
#endif
}

SWITCHBOARD_DECL void server_core::confirm_token(server_session& s) {
    if (!s.unconfirmed_.load()) return;
    std::lock_guard lock(mutex_);
    if (!s.previous_) return;
    previous_tokens_.erase(std::string_view(s.previous_->data(), s.previous_->size()));
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_)
        backplane_->command({"DEL", cluster_ops::key(*this, "token", {s.previous_->data(), s.previous_->size()})},
                            cluster_ops::ignore);
#endif
    s.previous_.reset();
    s.unconfirmed_.store(false);
}

SWITCHBOARD_DECL void server_core::confirm_token(server_session& s, std::string_view used) {
    if (!s.unconfirmed_.load()) return;
    std::lock_guard lock(mutex_);
    if (!s.previous_ || !constant_time_equal{}(used, s.token())) return;
    previous_tokens_.erase(std::string_view(s.previous_->data(), s.previous_->size()));
#ifdef SWITCHBOARD_WITH_REDIS
    if (backplane_)
        backplane_->command({"DEL", cluster_ops::key(*this, "token", {s.previous_->data(), s.previous_->size()})},
                            cluster_ops::ignore);
#endif
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
        for (const auto& [token, s] : sessions_)
            if (!backplane_ || s->positioned_) fan.add(s, ev); // (with one: from its place in the stream on)
    }
    fan.run(*this, ev);
}

// Under the server-wide lock a send only waits in its session's inbox (a push, no
// write, no close, no callback); a session on the calling thread's own strand is sent to
// after the lock is released, at once and in order with what the handler sends next.
SWITCHBOARD_DECL void server_core::fan_out::add(const std::shared_ptr<server_session>& s, const shared_event& ev) {
    // (In a cluster every entry goes through the inbox: it counts what the reader gave.)
    if (s->strand().running_in_this_thread() && !s->core().clustered()) here.push_back(s);
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
