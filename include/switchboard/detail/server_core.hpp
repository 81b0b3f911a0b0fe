// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_SERVER_CORE_HPP
#define SWITCHBOARD_DETAIL_SERVER_CORE_HPP

// The server's transport-independent state: sessions (which outlive connections),
// topics, and the interface every carrier's server half implements.

#include <switchboard/detail/protocol.hpp>
#include <switchboard/detail/timer_wheel.hpp>
#include <switchboard/error.hpp>
#include <switchboard/event.hpp>
#include <switchboard/options.hpp>
#include <switchboard/server.hpp>
#include <switchboard/session/inbound_sequencer.hpp>
#include <switchboard/session/replay_window.hpp>
#include <switchboard/transport.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/io_context_strand.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
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
};

class server_core;
class stream_connection;

// A remote address as the per-address limits count it: an IPv4 address (IPv4-mapped
// IPv6 included), or the /64 prefix of an IPv6 address (one host's share of a network).
struct address_key {
    std::uint64_t bits = 0;
    bool v6 = false;
    friend bool operator==(const address_key&, const address_key&) = default;
};
SWITCHBOARD_DECL address_key key_of(const asio::ip::address& a) noexcept;
struct address_key_hash {
    std::size_t operator()(const address_key& k) const noexcept { return std::hash<std::uint64_t>{}(k.bits ^ k.v6); }
};
// What one remote address holds now (server_options::max_*_per_address).
struct address_use {
    std::size_t connections = 0;
    std::size_t sessions = 0;
};
using address_entry = std::pair<const address_key, address_use>;

// Counts a connection against server_options::max_connections and against its remote
// address's share while it lives.
class connection_slot {
public:
    // Counted at once; admitted() says whether the limits allow it.
    connection_slot(std::shared_ptr<server_core> core, const asio::ip::address& remote);
    connection_slot(connection_slot&& o) noexcept : core_(std::move(o.core_)), address_(o.address_) {}
    connection_slot& operator=(connection_slot&&) = delete;
    ~connection_slot();
    server_core& core() const noexcept { return *core_; }
    const std::shared_ptr<server_core>& core_ptr() const noexcept { return core_; }
    address_entry& address() const noexcept { return *address_; }
    // Why this connection is over a limit (server-wide or its address's), or null.
    const char* refusal() const noexcept;

private:
    std::shared_ptr<server_core> core_;
    address_entry* address_; // stays while counted (server_core::addresses_)
};

// One client session; outlives its connections in session mode.
class server_session : public std::enable_shared_from_this<server_session> {
public:
    using token_type = std::array<char, 32>;

    server_session(std::shared_ptr<server_core> core, token_type token, bool resumable, std::uint64_t id,
                   address_entry& address);

    ~server_session() { release_address(); }
    server_session(const server_session&) = delete;
    server_session& operator=(const server_session&) = delete;

    const strand_type& strand() const noexcept { return strand_; }
    std::string_view token() const noexcept { return {token_.data(), token_.size()}; }
    std::uint64_t id() const noexcept { return id_; }
    bool resumable() const noexcept { return resumable_; }
    transport_kind kind() const noexcept { return kind_.load(std::memory_order_relaxed); }
    const server_options& options() const noexcept;
    server_core& core() const noexcept { return *core_; }

    // On the strand: connection events.
    void attach(std::shared_ptr<connection_base> c, sequence_number client_last, bool resumed);
    void detach(connection_base* c, error_code ec);
    void on_frame(const proto::frame& f, std::string data);
    void on_plain_event(event ev);
    // The frames of an upstream POST; the HTTP answer to send.
    struct post_answer {
        boost::beast::http::status status;
        std::string body;
    };
    post_answer on_post(std::string_view body);

    // On the strand: application requests.
    void send_now(const shared_event& ev);
    void close_now(error_code ec, std::string_view reason);

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
    void maybe_ack();
    void arm_ack_timer();
    void finish(error_code ec);
    session handle() { return session(shared_from_this()); }

    std::shared_ptr<server_core> core_;
    strand_type strand_;
    address_entry* address_; // the address that opened it, counted until the session ends
    token_type token_;       // inline: an idle session allocates nothing for it
    std::uint64_t id_;
    // (The small members together: no padding between them.)
    bool resumable_;
    std::atomic<transport_kind> kind_{transport_kind::websocket};
    std::atomic_flag inbox_busy_;
    bool drain_posted_ = false;
    bool ack_timer_armed_ = false;
    bool opened_ = false;
    bool closed_ = false;
    // The session protocol's state, in session mode only (a plain session holds none).
    struct session_state {
        explicit session_state(const replay_options& o) : out(o), in(o) {}
        replay_window<shared_event> out;
        inbound_sequencer in;
        std::unique_ptr<asio::steady_timer> expiry_timer; // made when first needed
        std::unique_ptr<asio::steady_timer> ack_timer;
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

class server_core : public std::enable_shared_from_this<server_core> {
public:
    server_core(asio::io_context& ioc, server_options o);

    asio::io_context& ioc;
    const server_options options;
    server::open_handler on_open;
    server::event_handler on_event;
    server::close_handler on_close;

    void start();
    void stop();
    unsigned short port() const;
    std::size_t connection_count() const noexcept { return connections_.load(); }
    std::size_t session_count() const;

    // Serves one accepted socket from its first byte (HTTP).
    void serve(asio::ip::tcp::socket socket);

    // A new session opened from `address`, or null with the reason when max_sessions or
    // the address's share is reached.
    std::shared_ptr<server_session> open_session(bool resumable, address_entry& address, const char*& refusal);
    // The session with this token, if it is alive.
    std::shared_ptr<server_session> find_session(std::string_view token) const;
    void remove_session(server_session& s);

    void join(const std::shared_ptr<server_session>& s, std::string topic);
    void leave(const std::shared_ptr<server_session>& s, std::string_view topic);
    void publish(std::string_view topic, event e);
    void broadcast(event e);
    // Sessions with queued sends (push_inbox said true) wait their turn for a drain.
    void schedule(std::shared_ptr<server_session> s) { schedule(&s, 1); }
    void schedule(std::vector<std::shared_ptr<server_session>>& due) { schedule(due.data(), due.size()); }

    // The entry of `remote` with one more connection on it.
    address_entry& add_connection(const asio::ip::address& remote);
    void remove_connection(address_entry& a);
    void remove_address_session(address_entry& a);

    bool stopped() const noexcept { return stopped_.load(); }
    // The one timer of every connection (heartbeats, close linger).
    timer_wheel<stream_connection>& wheel() const noexcept { return *wheel_; }
    // After the server object is destroyed no callback is called any more.
    void silence() noexcept { silenced_.store(true); }
    bool silenced() const noexcept { return silenced_.load(); }

private:
    friend class connection_slot;
    // The sessions a publish or broadcast reaches, gathered under the lock and served
    // after it (docs/decisions.md, "Locking").
    struct fan_out {
        std::vector<std::shared_ptr<server_session>> due;  // to schedule for a drain
        std::vector<std::shared_ptr<server_session>> here; // on this thread's strand: sent directly
        void add(const std::shared_ptr<server_session>& s, const shared_event& ev);
        void run(server_core& core, const shared_event& ev);
    };
    void accept();
    void accept_later();
    void schedule(std::shared_ptr<server_session>* due, std::size_t n);
    void run_ready();

    asio::ip::tcp::acceptor acceptor_;
    asio::steady_timer accept_timer_;                 // backs off while out of descriptors
    std::chrono::milliseconds accept_backoff_{0};     // (the acceptor's handlers only)
    std::shared_ptr<timer_wheel<stream_connection>> wheel_;
    std::atomic<std::size_t> connections_{0};
    std::atomic<std::uint64_t> next_id_{1};
    std::atomic<bool> stopped_{false};
    std::atomic<bool> silenced_{false};
    mutable std::mutex mutex_;
    // Keyed by a view of each session's own token: the map keeps the session alive.
    std::unordered_map<std::string_view, std::shared_ptr<server_session>> sessions_;
    std::unordered_map<std::string, std::unordered_set<std::shared_ptr<server_session>>> topics_;
    // The sessions scheduled for a drain, in turn (docs/decisions.md, "Fan-out"): drained
    // a slice at a time, so that what arrives meanwhile (the next publish) joins the
    // sends of the sessions still waiting, and goes out in the same write.
    // The connections and sessions of each remote address (never locked with mutex_).
    std::mutex address_mutex_;
    std::unordered_map<address_key, address_use, address_key_hash> addresses_;
    std::mutex ready_mutex_;
    std::deque<std::shared_ptr<server_session>> ready_;
    bool ready_posted_ = false; // a run_ready is queued
};

// 128 random bits as 32 lower-case hex digits.
SWITCHBOARD_DECL server_session::token_type make_token();

// Answers with a short plain-text HTTP error and ends the connection (gracefully, within
// two seconds; it counts against the limits until then).
SWITCHBOARD_DECL void refuse_http(connection_slot slot, asio::ip::tcp::socket socket,
                                  boost::beast::http::status status, std::string_view why);

// Hands a request for the switchboard path to the carrier that serves it.
SWITCHBOARD_DECL void route_request(connection_slot slot, asio::ip::tcp::socket socket,
                                    boost::beast::http::request<boost::beast::http::string_body> req,
                                    boost::beast::flat_buffer buffer);

// The session a transport request belongs to: a new one, or the one it resumes.
struct session_request {
    std::shared_ptr<server_session> session; // null when refused
    sequence_number client_last = 0;         // what the client delivered (resumed only)
    bool resumed = false;
    boost::beast::http::status refusal = boost::beast::http::status::ok;
    std::string_view why;
};

// Where a carrier found a resume point in its own terms (SSE: Last-Event-ID).
struct resume_hint {
    std::string token;
    std::string last;
};

// Reads `sb`, `token` and `last` from the query, else from `hint`. An unknown or
// expired token gets a new session: its welcome carries a new token, which tells the
// client (docs/protocol.md).
SWITCHBOARD_DECL session_request open_or_resume(const connection_slot& slot,
                                                const boost::beast::http::request<boost::beast::http::string_body>& req,
                                                const std::optional<resume_hint>& hint = std::nullopt);

// The socket, moved off the strand of its HTTP phase onto the plain io_context
// executor (the session's strand serializes it from here on). Closed on failure.
SWITCHBOARD_DECL stream_socket unstrand(asio::ip::tcp::socket socket, asio::io_context& ioc);

SWITCHBOARD_DECL void server_session_join(const std::shared_ptr<server_session>& s, std::string topic);
SWITCHBOARD_DECL void server_session_leave(const std::shared_ptr<server_session>& s, std::string_view topic);

} // namespace switchboard::detail

#endif
