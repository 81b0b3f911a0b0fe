// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_SERVER_CORE_HPP
#define SWITCHBOARD_DETAIL_SERVER_CORE_HPP

// The server's transport-independent state: the listener, the session registry,
// topics and fan-out, and the per-address counts (docs/architecture.md).

#include <switchboard/detail/connection_slot.hpp>
#include <switchboard/detail/server_session.hpp>
#include <switchboard/detail/timer_wheel.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace switchboard::detail {

// What a closed session leaves for its client's next request (long-polling, polling:
// a client between requests when its session ends learns how it ended from it).
class lingering_connection {
public:
    // The server stopped: stop waiting (called on the session's strand).
    virtual void stop_lingering() = 0;

protected:
    ~lingering_connection() = default;
};

class backplane;

class server_core : public std::enable_shared_from_this<server_core> {
public:
    server_core(asio::io_context& ioc, server_options o);

    asio::io_context& ioc;
    const server_options options;
    // The application's callbacks (server::on_open, on_event, on_close).
    std::function<void(session)> on_open;
    std::function<void(session, event)> on_event;
    std::function<void(session, error_code)> on_close;
    // server::on_authorize (null: every request goes on).
    std::function<void(const request_info&, std::function<void(authorization)>)> authorize;
    // server::on_other_request (null: 404).
    std::function<void(asio::ip::tcp::socket, boost::beast::http::request<boost::beast::http::string_body>,
                       boost::beast::flat_buffer)>
        other_request;
    // server::on_backplane (the backplane's link came up or went down, or publishes of
    // other nodes were lost).
    std::function<void(error_code)> on_backplane;

    // TLS from a context of the application's (before start).
    void use_tls(tls_context ctx) { tls_ = std::move(ctx); }
    void start();
    void stop();
    // The server object is gone: the registry, topics and lingering sessions let go of
    // what they hold (the sessions hold the core: nothing else would end that cycle).
    void release();
    unsigned short port() const;
    unsigned short tls_port() const;
    std::size_t connection_count() const noexcept { return connections_.load(); }
    std::size_t session_count() const;
    // The sessions of this node in `topic`.
    std::size_t subscriber_count(std::string_view topic) const;
    // Across the cluster (with a backplane, as of the last exchange: see cluster_ops::presence).
    std::size_t cluster_session_count() const;
    std::size_t cluster_subscriber_count(std::string_view topic) const;

    // Serves one accepted socket from its first byte (HTTP, or TLS then HTTP).
    void serve(asio::ip::tcp::socket socket, bool tls);

    // A new session opened from `address`, or null with the reason when max_sessions or
    // the address's share is reached.
    std::shared_ptr<server_session> open_session(bool resumable, address_entry& address, const char*& refusal,
                                                 std::string principal = {}, std::any data = {});
    // Gives `s` a new token (on its strand) after a resume that came with `used`. The
    // token the client holds stays valid until it shows it got the new one (a request or
    // a frame with it: confirm_token); every other older token finds nothing any more.
    void rotate_token(server_session& s, std::string_view used);
    // The client of `s` has its newest token: the one before is void.
    void confirm_token(server_session& s);
    // A request for `s` came with `used`: when that is the newest token, as above.
    // (Called once the request is known to come from the session's principal.)
    void confirm_token(server_session& s, std::string_view used);
    // The session with this token (the newest, or the one before while the newest is
    // unconfirmed), if it is alive.
    std::shared_ptr<server_session> find_session(std::string_view token);
    void remove_session(server_session& s);

    // Closed sessions whose last frames wait for their client's next request: a
    // long-polling or polling client may be between requests when its session ends.
    // `linger` keeps `c` (which answers that request) under the session's token,
    // `take_lingering` hands it out once, `unlinger` forgets it if it is still `c`.
    void linger(const std::shared_ptr<server_session>& s, std::shared_ptr<lingering_connection> c);
    std::shared_ptr<lingering_connection> take_lingering(std::string_view token);
    void unlinger(std::string_view token, const lingering_connection* c);

    void join(const std::shared_ptr<server_session>& s, std::string topic);
    void leave(const std::shared_ptr<server_session>& s, std::string_view topic);
    // To the sessions of every node (through the backplane, when there is one).
    void publish(std::string_view topic, event e);
    void broadcast(event e);
    // Publishes that wait for the backplane's link to Redis (0 without a backplane).
    std::size_t backplane_pending() const noexcept;
    // With a backplane every send to a session goes through it (docs/decisions.md,
    // "Backplane"): the stream orders what every node sends.
    bool clustered() const noexcept { return backplane_ != nullptr; }
    void send_through_backplane(server_session& s, const shared_event& ev);
    // With a backplane: brings the session of `token` from the cluster when this node
    // does not hold it (its client comes back here), counted against `address`; `done`
    // (on any thread) once it is registered here, or known not to be anywhere: true;
    // false when Redis could not be asked.
    void load_session(std::string token, address_entry& address, std::function<void(bool)> done);
    // With a backplane: what happens to a session that the cluster must hear of
    // (docs/decisions.md, "Backplane"): it attached a connection (resumed: another
    // node that held it lets go), it lost it, it ended.
    void cluster_attached(server_session& s, bool resumed);
    // Writes the session's token again (server_session::recorded is called then).
    void cluster_record_token(server_session& s);
    void cluster_detached(server_session& s);
    void cluster_finished(server_session& s);
    // Its expiry came (no connection here for session_timeout): it ends, unless its
    // client attached on another node since (the session's `holder` in Redis), where it
    // goes on; while Redis cannot say, it waits another session_timeout (on its strand).
    void cluster_expired(const std::shared_ptr<server_session>& s);
    // An upstream event of `s`, delivered once the cluster's record says no node did.
    void cluster_deliver(const std::shared_ptr<server_session>& s, sequence_number seq, event ev);
    // The client of `s` skipped its events up to `last` (a gap frame): the record too.
    void cluster_skip(server_session& s, sequence_number last);
    // `f` runs (on the backplane's strand) once Redis has answered every command asked
    // of it before (their handlers have run).
    void cluster_barrier(std::function<void()> f);
    // `f` runs once this node has read the stream up to its newest entry now (a request
    // may acknowledge events another node sent; this node must have them too).
    void cluster_sync(std::function<void()> f);
    // The session's place in the stream moves to where the reader is, when the
    // entries it was given are still `seen` (its client has every one of them) or
    // `force` (Redis lost its data: its keys are written again, with `in`).
    void cluster_checkpoint(std::shared_ptr<server_session> s, sequence_number seen, sequence_number in, bool force);
    // Not in a cluster, or linked to its Redis now (a new session can be recorded).
    bool cluster_up() const noexcept;
    // Sessions with queued sends (push_inbox said true) wait their turn for a drain.
    void schedule(std::shared_ptr<server_session> s) { schedule(&s, 1); }
    void schedule(std::vector<std::shared_ptr<server_session>>& due) { schedule(due.data(), due.size()); }

    // The entry of `remote` with one more connection on it.
    address_entry& add_connection(const asio::ip::address& remote);
    void remove_connection(address_entry& a);
    void remove_address_session(address_entry& a);

    bool stopped() const noexcept { return stopped_.load(); }
    // The one timer of every connection (heartbeats, close linger).
    timer_wheel<wakeable>& wheel() const noexcept { return *wheel_; }
    // After the server object is destroyed no callback is called any more.
    void silence() noexcept { silenced_.store(true); }
    bool silenced() const noexcept { return silenced_.load(); }

    // Increasing numbers for what must be ordered by when it began: connections (taken
    // when accepted) and poll channels (when made). A POST on a connection older than its
    // session's channel comes from an earlier client carrier (long_polling::server_channel).
    std::uint64_t next_serial() noexcept { return serial_.fetch_add(1, std::memory_order_relaxed) + 1; }

private:
    friend class connection_slot;
    friend struct cluster_ops; // (impl/server_core.ipp)
    struct cluster_load;       // a session being brought from the cluster (cluster_ops)
    // The sessions a publish or broadcast reaches, gathered under the lock and served
    // after it (docs/decisions.md, "Locking").
    struct fan_out {
        std::vector<std::shared_ptr<server_session>> due;  // to schedule for a drain
        std::vector<std::shared_ptr<server_session>> here; // on this thread's strand: sent directly
        void add(const std::shared_ptr<server_session>& s, const shared_event& ev);
        void run(server_core& core, const shared_event& ev);
    };
    // One listening socket: the plain one, or the TLS one.
    struct listener {
        explicit listener(asio::io_context& io, bool secure)
            : acceptor(asio::make_strand(io)), timer(acceptor.get_executor()), tls(secure) {}
        asio::ip::tcp::acceptor acceptor; // its handlers, the backoff timer's and stop's close are serialized
        asio::steady_timer timer;         // backs off while out of descriptors
        std::chrono::milliseconds backoff{0}; // (the acceptor's handlers only)
        const bool tls;
    };
    void listen(listener& l, unsigned short port);
    void accept(listener& l);
    void accept_later(listener& l);
    void schedule(std::shared_ptr<server_session>* due, std::size_t n);
    void run_ready();
    // To the sessions of this node only.
    void publish_here(std::string_view topic, const shared_event& ev);
    void broadcast_here(const shared_event& ev);
    void join_here(const std::shared_ptr<server_session>& s, std::string topic);
    void leave_here(const std::shared_ptr<server_session>& s, std::string_view topic);
    // The session of this node with this cluster id.
    std::shared_ptr<server_session> find_cluster_session(std::string_view id);
    // Publishes of other nodes were lost: every session in session mode is sent a gap.
    void backplane_lost();
    void start_backplane();
    // A session registered under `token` (and, with a backplane, `cluster_id` or a new
    // one), or null with the reason.
    std::shared_ptr<server_session> make_session(bool resumable, address_entry& address, const char*& refusal,
                                                 std::string principal, std::any data, server_session::token_type token,
                                                 std::optional<server_session::token_type> cluster_id,
                                                 const std::function<void(server_session&)>& prepare);

    listener plain_;
    listener secure_;
    tls_context tls_; // the TLS listener's, when there is one
    std::shared_ptr<backplane> backplane_; // server_options::backplane, when set (from start)
    std::shared_ptr<timer_wheel<wakeable>> wheel_;
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::uint64_t> next_id_{1};
    std::atomic<std::uint64_t> serial_{0};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> silenced_{false};
    mutable std::mutex mutex_;
    // Tokens are compared in constant time: how long a lookup takes says nothing of how
    // much of a guessed token was right.
    struct constant_time_equal {
        bool operator()(std::string_view a, std::string_view b) const noexcept {
            if (a.size() != b.size()) return false;
            unsigned char diff = 0;
            for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
            return diff == 0;
        }
    };
    // Keyed by a view of each session's own token: the map keeps the session alive.
    using token_map =
        std::unordered_map<std::string_view, std::shared_ptr<server_session>, std::hash<std::string_view>, constant_time_equal>;
    token_map sessions_;
    // The tokens before a rotation that their clients may still hold (server_core::rotate_token).
    token_map previous_tokens_;
    // With a backplane: the sessions by their cluster id (server_session::cluster_id).
    token_map by_cluster_id_;
    // Sessions being brought from the cluster, by cluster id (on the backplane's strand).
    std::unordered_map<std::string, std::shared_ptr<cluster_load>> loading_;
    std::unordered_map<std::string, std::unordered_set<std::shared_ptr<server_session>>> topics_;
    struct lingering {
        std::shared_ptr<server_session> session;
        std::shared_ptr<lingering_connection> connection;
    };
    std::unordered_map<std::string, lingering> lingering_; // by token
    bool released_ = false; // (mutex_) release() was called
    // The sessions scheduled for a drain, in turn (docs/decisions.md, "Fan-out"): drained
    // a slice at a time, so that what arrives meanwhile (the next publish) joins the
    // sends of the sessions still waiting, and goes out in the same write.
    // The connections and sessions of each remote address (never locked with mutex_).
    std::mutex address_mutex_;
    std::unordered_map<address_key, address_use, address_key_hash> addresses_;
    std::mutex ready_mutex_;
    std::deque<std::shared_ptr<server_session>> ready_;
    bool ready_posted_ = false; // a run_ready is queued
    // (Cluster) what every node served at the last exchange of counts (presence).
    struct presence_counts {
        std::optional<std::chrono::steady_clock::time_point> at; // when the exchange began
        std::size_t sessions = 0;
        std::unordered_map<std::string, std::size_t> topics;
    };
    mutable std::mutex presence_mutex_;
    presence_counts presence_;
    std::unique_ptr<asio::steady_timer> presence_timer_;
    bool presence_fresh() const; // (presence_mutex_)
};

} // namespace switchboard::detail

#endif
