// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_SERVER_SESSION_HPP
#define SWITCHBOARD_DETAIL_SERVER_SESSION_HPP

// A server-side session (which outlives its connections in session mode) and the
// interface every carrier's server half implements to carry it.

#include <switchboard/detail/connection_slot.hpp>
#include <switchboard/detail/protocol.hpp>
#include <switchboard/error.hpp>
#include <switchboard/event.hpp>
#include <switchboard/options.hpp>
#include <switchboard/session.hpp>
#include <switchboard/session/inbound_sequencer.hpp>
#include <switchboard/session/replay_window.hpp>
#include <switchboard/transport.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/io_context_strand.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/status.hpp>

#include <array>
#include <any>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchboard::detail {

namespace asio = boost::asio;
// io_context::strand draws on a fixed pool of implementations, so a session costs no
// strand allocation (sessions that share an implementation are serialized together).
using strand_type = asio::io_context::strand;
using shared_event = std::shared_ptr<const event>;
// A connection's socket after its HTTP phase: on the io_context's own executor type (40
// bytes, and small completion handlers), serialized by the session's strand.
using stream_socket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

// The server half of a carrier: one connection of one session. Every member is
// called on the session's strand.
class connection_base {
public:
    virtual ~connection_base() = default;
    // Sends an event: seq is its sequence number in session mode, 0 in plain mode.
    virtual void send_event(sequence_number seq, const shared_event& ev) = 0;
    // Sends a session control frame (welcome, ack, gap, close; docs/protocol.md).
    virtual void send_control(std::string frame) = 0;
    // Closes the connection gracefully; `ec` says why (success: a normal end), and the
    // carrier tells its peer in its own terms (a WebSocket close code, ...).
    virtual void close(error_code ec, std::string_view reason) = 0;
    virtual transport_kind kind() const noexcept = 0;
    // The sends between begin_batch() and end_batch() go out together (one write).
    virtual void begin_batch() {}
    virtual void end_batch() {}
    // The answer to an upstream POST that asked for events (`last`: the client delivered
    // every event up to it, and the window holds every one after it; `serial`: its
    // connection's, server_core::next_serial): a carrier that answers requests appends
    // what the session holds after `last` (long-polling, polling); the others add nothing.
    virtual void answer_post(sequence_number /*last*/, std::uint64_t /*serial*/, std::string& /*body*/) {}
};

class server_core;

// One client session; outlives its connections in session mode.
class server_session : public std::enable_shared_from_this<server_session> {
public:
    using token_type = std::array<char, 32>;

    server_session(std::shared_ptr<server_core> core, token_type token, bool resumable, std::uint64_t id,
                   address_entry& address, std::string principal = {}, std::any data = {});

    ~server_session() { release_address(); }
    server_session(const server_session&) = delete;
    server_session& operator=(const server_session&) = delete;

    const strand_type& strand() const noexcept { return strand_; }
    std::string_view token() const noexcept { return {token_.data(), token_.size()}; }
    // Its id in a cluster (with a backplane; else empty): random, never changes.
    std::string_view cluster_id() const noexcept { return cluster_id_ ? std::string_view(cluster_id_->data(), cluster_id_->size()) : std::string_view(); }
    std::uint64_t id() const noexcept { return id_; }
    bool resumable() const noexcept { return resumable_; }
    // Who opened it (server::on_authorize), and the application's data for it: set
    // when it is made, never changed.
    const std::string& principal() const noexcept { return principal_; }
    const std::any& data() const noexcept { return data_; }
    // A rotated token's predecessor is still valid (server_core::rotate_token).
    bool token_unconfirmed() const noexcept { return unconfirmed_.load(std::memory_order_relaxed); }
    transport_kind kind() const noexcept { return kind_.load(std::memory_order_relaxed); }
    const server_options& options() const noexcept;
    server_core& core() const noexcept { return *core_; }

    // On the strand: connection events.
    // `used`: the token a resume came with (it is rotated, unless `rotate` is false: see
    // server_core::rotate_token). In a cluster the welcome waits until Redis holds the
    // token it carries (docs/decisions.md, "Backplane"): the client's next request may
    // go to any node.
    void attach(std::shared_ptr<connection_base> c, sequence_number client_last, bool resumed,
                std::string_view used = {}, bool rotate = true);
    void detach(connection_base* c, error_code ec);
    void on_frame(const proto::frame& f, std::string data);
    void on_plain_event(event ev);
    // In a cluster: the record says the events up to `before` were delivered (on any
    // node), and `seq` is to be delivered now.
    // (No event: it was delivered; `before` is the record's number.)
    void delivered_elsewhere_then(sequence_number before, sequence_number seq, std::optional<event> ev);
    // The frames of an upstream POST; the HTTP answer to send.
    struct post_answer {
        boost::beast::http::status status;
        std::string body;
    };
    // `last`: the POST asked for the session's events after it (docs/protocol.md).
    // `respond` gets the answer (on the strand; in a cluster once Redis has recorded the
    // events delivered, so that the answer acknowledges them).
    void on_post(std::string_view body, std::optional<sequence_number> last, std::uint64_t serial,
                 std::function<void(post_answer)> respond);

    // On the strand, for carriers that answer requests (long-polling, polling): they
    // read the replay window instead of queueing each event. The peer delivered every
    // event up to `last` (an acknowledgement, and where an answer starts); the plan says
    // what the window no longer holds (plan.ec: `last` was never sent).
    resume_plan poll_from(sequence_number last) { return sm_->out.resume(last); }
    const replay_window<shared_event>& window() const noexcept { return sm_->out; }
    // The number of the last event put in the window, from any thread (session mode).
    sequence_number sent() const noexcept { return sm_ ? sm_->sent.load(std::memory_order_acquire) : 0; }
    // The connection attached now, if any.
    std::shared_ptr<connection_base> connection() const noexcept { return conn_.lock(); }
    bool closed() const noexcept { return closed_; }

    // On the strand: application requests. (A null event: one that was lost on its
    // way here; the session reports a gap of one in its place.)
    void send_now(const shared_event& ev);
    void close_now(error_code ec, std::string_view reason);
    // Another node of the cluster took it (its client resumed there): it lets go here,
    // without ending (no on_close: it goes on there).
    void moved_away();
    // Brought from the cluster for a request: unless a connection attaches, it waits
    // session_timeout for one, as a dropped session does.
    void expire_unless_attached();
    // Stops the wait of expire_unless_attached, if any (its handler, already due, too).
    void cancel_expiry();
    // In a cluster: Redis holds its keys under its token now (a welcome may go out).
    void recorded(bool ok);
    // The client has acknowledged events (on the strand). In a cluster, when it has
    // every one, the session's place in the stream moves forward in Redis (at most once
    // per checkpoint_interval): a node it moves to reads its history from there.
    void acknowledged();
    static constexpr std::chrono::seconds checkpoint_interval{1};
    // Redis lost its data: the session's keys are written again (on the strand).
    void record_again();
    // Whether this node serves it (a session brought here for a request, and never
    // attached, is another node's): what presence counts. From any thread.
    bool served_here() const noexcept { return !brought_ || attached_.load(); }
    // The entries the backplane's reader gave it so far (from any thread).
    sequence_number given() noexcept {
        inbox_lock lock(inbox_busy_);
        return sm_ ? sm_->given : 0;
    }

    // From any thread: sends at once on the session's strand, else through the inbox.
    void post_send(shared_event ev);
    // Queues a send in the inbox (never sends, closes or calls back); true when the
    // session must now be scheduled (server_core::schedule) for a drain.
    bool push_inbox(shared_event ev);
    // On the strand: sends what the inbox holds, in one write.
    void drain_inbox();
    void post_drain();
    void post_close(std::string reason);

    // The session no longer counts against its address (once: when it ends).
    void release_address() noexcept;

    // The topics this session joined (none: null); guarded by the core's mutex.
    std::unique_ptr<std::set<std::string, std::less<>>> topics;

private:
    void deliver(event ev);
    // attach's second half: the welcome, the replay.
    void attach_now(std::shared_ptr<connection_base> c, sequence_number client_last, bool resumed);
    // The answer to a POST once its events are delivered (see on_post).
    post_answer answer_post_now(std::optional<sequence_number> last, std::uint64_t serial);
    // Sends a window entry: the event, or a gap for an empty one.
    static void send_entry(connection_base& c, sequence_number seq, const shared_event& ev);
    void maybe_ack();
    void arm_ack_timer();
    void finish(error_code ec);
    session handle() { return session(shared_from_this()); }

    std::shared_ptr<server_core> core_;
    strand_type strand_;
    address_entry* address_; // the address that opened it, counted until the session ends
    token_type token_;       // inline: an idle session allocates nothing for it (changed by
                             // server_core::rotate_token only: on the strand, under its lock)
    friend class server_core;
    friend struct cluster_ops;
    // The token before the last rotation, still valid until the client shows it has the
    // new one (server_core::confirm_token); guarded by the core's lock.
    std::optional<token_type> previous_;
    std::optional<token_type> cluster_id_; // (set by server_core::open_session)
    // With a backplane: the stream's entries apply to it (from its place in the stream
    // on; set and read on the backplane's strand).
    bool positioned_ = false;
    bool brought_ = false; // made from the cluster's record (cluster_ops::build), not opened here
    std::atomic<bool> attached_{false}; // a connection was attached here (set on the strand)
    bool moved_ = false;    // it went on on another node (moved_away)
    // Attach entries this node appended for it and has not read back yet.
    std::atomic<int> attaches_pending_{0};
    std::atomic<bool> unconfirmed_{false};
    std::string principal_;
    std::any data_;
    std::uint64_t id_;
    // (The small members together: no padding between them.)
    bool resumable_;
    std::atomic<transport_kind> kind_{transport_kind::websocket};
    std::atomic_flag inbox_busy_;
    bool drain_posted_ = false;
    bool ack_timer_armed_ = false;
    bool opened_ = false;
    bool closed_ = false;
    bool recorded_ = false; // (cluster) see recorded()
    // The session protocol's state, in session mode only (a plain session holds none).
    struct session_state {
        explicit session_state(const replay_options& o) : out(o), in(o) {}
        replay_window<shared_event> out;
        inbound_sequencer in;
        std::unique_ptr<asio::steady_timer> expiry_timer; // made when first needed
        std::uint64_t expiries = 0; // waits begun and cancelled (only the last one's may end the session)
        std::unique_ptr<asio::steady_timer> ack_timer;
        std::atomic<sequence_number> sent{0}; // out.last_sent(), for other threads
        // (Cluster) the entries the backplane's reader gave it: in the window and the
        // inbox (guarded by the inbox's lock); when its place in Redis last moved.
        sequence_number given = 0;
        std::chrono::steady_clock::time_point checkpointed{};
        // (Cluster) a connection whose welcome waits for Redis (see attach).
        struct waiting_attach {
            std::shared_ptr<connection_base> c;
            sequence_number client_last;
            bool resumed;
        };
        std::optional<waiting_attach> waiting;
    };
    std::unique_ptr<session_state> sm_;
    std::weak_ptr<connection_base> conn_; // the connection owns the session, not the reverse
    // Sends from other threads wait in inbox_ for one drain on the strand; inbox_busy_
    // (a 1-byte spin lock, held for a push or a swap only) guards it and drain_posted_
    // (the session is scheduled for a drain).
    struct inbox_lock {
        explicit inbox_lock(std::atomic_flag& f) noexcept : flag(f) {
            while (flag.test_and_set(std::memory_order_acquire)) {
            }
        }
        ~inbox_lock() { flag.clear(std::memory_order_release); }
        std::atomic_flag& flag;
    };
    std::vector<shared_event> inbox_;
};

// 128 random bits as 32 lower-case hex digits.
SWITCHBOARD_DECL server_session::token_type make_token();

SWITCHBOARD_DECL void server_session_join(const std::shared_ptr<server_session>& s, std::string topic);
SWITCHBOARD_DECL void server_session_leave(const std::shared_ptr<server_session>& s, std::string_view topic);

// Every carrier can carry the event's type (session-mode control frames use the
// reserved SSE type "switchboard"); the empty type is "message", as SSE has it.
inline event checked(event e) {
    if (e.type.empty()) e.type = "message";
    if (!proto::valid_type(e.type))
        throw std::invalid_argument("switchboard: an event type must be one line and not \"switchboard\"");
    return e;
}

} // namespace switchboard::detail

#endif
