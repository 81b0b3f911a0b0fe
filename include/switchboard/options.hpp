// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_OPTIONS_HPP
#define SWITCHBOARD_OPTIONS_HPP

#include <switchboard/config.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace switchboard {

/** How a client reconnects after a connection drops.

    The delay before attempt n (from 0) is drawn uniformly from
    [0, min(max_delay, initial_delay * multiplier^n)] ("full jitter"), so that many
    clients dropped at once do not return at once. The attempt count starts again from
    zero once a connection has stayed up for `stable_after`.
*/
struct reconnect_options {
    /// Reconnect automatically; when false a dropped connection closes the session.
    bool enabled = true;
    /// The upper bound of the first delay.
    std::chrono::milliseconds initial_delay{500};
    /// No delay is ever longer than this.
    std::chrono::milliseconds max_delay{30'000};
    /// The growth of the upper bound per failed attempt; at least 1.
    double multiplier = 2.0;
    /// A connection that lasts this long resets the attempt count.
    std::chrono::milliseconds stable_after{10'000};
    /// Give up (error::reconnect_exhausted) after this many failed attempts; 0 = never.
    std::size_t max_attempts = 0;
};

/** Liveness: how often to send a heartbeat and when to declare the peer dead.

    A heartbeat is sent when nothing else was sent for `interval`; the peer is dead
    (error::heartbeat_timeout) when nothing at all arrived from it for `timeout`.
*/
struct heartbeat_options {
    /// Idle time after which a heartbeat is sent.
    std::chrono::milliseconds interval{25'000};
    /// Silence after which the peer is declared dead; must exceed `interval`.
    std::chrono::milliseconds timeout{60'000};
};

/** The replay window and acknowledgement cadence of one direction of a session.

    The sender keeps every event it sent until the peer acknowledges it, up to
    `max_events` events and `max_bytes` bytes; past either bound the oldest events are
    dropped, and a peer that resumes from before them is told of the gap
    (error::replay_gap). The receiver acknowledges every `ack_every` events and at
    least every `ack_interval` while events arrive.
*/
struct replay_options {
    /// The most unacknowledged events kept for replay.
    std::size_t max_events = 4096;
    /// The most unacknowledged bytes kept for replay.
    std::size_t max_bytes = 8u << 20;
    /// Acknowledge after this many received events.
    std::size_t ack_every = 64;
    /// Acknowledge received events at least this often.
    std::chrono::milliseconds ack_interval{1'000};
};

/// HTTP header fields (name, value) a client adds to its requests.
using header_list = std::vector<std::pair<std::string, std::string>>;

/** TLS of a client (`wss://` and `https://` URLs); needs a build with
    `SWITCHBOARD_WITH_OPENSSL` (else such URLs fail with error::transport_unavailable).

    By default the server's certificate must chain to the system's trust store and
    name the host (or carry the IP address) of the URL; a certificate that does not
    fails the connection with error::certificate_rejected, which is never retried.
*/
struct client_tls_options {
    /// A PEM file of the certificate authorities to trust, in place of the system's.
    std::string ca_file{};
    /// A directory of hashed CA certificates (`openssl rehash`) to trust as well.
    std::string ca_directory{};
    /// A PEM certificate chain to present when the server asks for one.
    std::string certificate_file{};
    /// The PEM private key of `certificate_file`.
    std::string private_key_file{};
    /// DANGEROUS: accept any certificate for any host. Anyone on the network path can
    /// then read and change the traffic. For tests against self-signed servers only.
    bool insecure_skip_verify = false;
};

/** Options of `basic_client` and `any_client`; an aggregate with production defaults.

    @code
    switchboard::client_options opts{.max_message_size = 1 << 20};
    opts.reconnect.max_attempts = 10;
    @endcode
*/
struct client_options {
    /// Speak the switchboard session protocol; false is plain mode (any SSE or
    /// WebSocket server, no resume).
    bool session = true;
    /// Reconnect policy.
    reconnect_options reconnect{};
    /// Heartbeats: when to ping, and when the server is dead.
    heartbeat_options heartbeat{};
    /// Replay window of the events this client sends.
    replay_options replay{};
    /// The largest event accepted or sent, in bytes of `data`.
    std::size_t max_message_size = 16u << 20;
    /// The most bytes of sends held (error::queue_full beyond): in plain mode while not
    /// connected; in session mode every unacknowledged send (also bounded by `replay`).
    std::size_t max_queued_bytes = 16u << 20;
    /// TCP connect plus transport handshake must complete within this.
    std::chrono::milliseconds connect_timeout{10'000};
    /// The most HTTP redirects followed.
    std::size_t max_redirects = 5;
    /// Follow redirects to another origin (scheme, host or port); by default only
    /// same-origin redirects are followed and others fail with error::redirect_refused.
    bool cross_origin_redirects = false;
    /// The longest HTTP response header accepted from the server (an SSE line may be as
    /// long as an event's data allows), in bytes.
    std::size_t max_line_size = 64u << 10;
    /// The interval between requests of the polling transport (the next request goes
    /// at once when an answer says more is pending). Keep it well below the server's
    /// heartbeat timeout, after which a client that asks nothing is taken for gone.
    std::chrono::milliseconds poll_interval{1'000};
    /// TLS for `wss://` and `https://` URLs.
    client_tls_options tls{};
    /// Header fields sent with every request of every transport (the WebSocket
    /// upgrade, the event stream, polls, POSTs), e.g. {"Authorization", "Bearer ..."}
    /// or a "Cookie".
    header_list headers{};
    /// Called before every connection attempt (the first, each reconnect, each
    /// fallback) on the client's strand; the fields it returns go with that attempt's
    /// requests, after `headers`: credentials that expire stay fresh. It must not
    /// block. A field with a CR, LF or NUL, or a name that is not an HTTP token, is
    /// not sent.
    std::function<header_list()> refresh_headers{};
};

/** The TLS listener of a server (`wss://` and `https://` clients); needs a build with
    `SWITCHBOARD_WITH_OPENSSL`. It serves every transport, as the plain listener does,
    and is on when a certificate is given here or a context through
    `server::use_tls`.
*/
struct server_tls_options {
    /// A PEM file: the server's certificate, then the intermediates up to its root.
    std::string certificate_chain_file{};
    /// The PEM private key of the certificate.
    std::string private_key_file{};
    /// The port of the TLS listener (on server_options::address); 0 picks a free one
    /// (see `server::tls_port()`).
    unsigned short port = 8443;
};

/** The backplane that joins servers into a cluster through Redis (needs a build with
    `SWITCHBOARD_WITH_REDIS`; docs/decisions.md, "Backplane"): off while `host` is
    empty. With it, `server::publish` and `server::broadcast` on any node reach the
    sessions of every node of the cluster (the nodes that share `host`, `port` and
    `prefix`), each once, in the order each node published.
*/
struct backplane_options {
    /// Redis's host name or address; empty: no backplane.
    std::string host{};
    /// Redis's port.
    unsigned short port = 6379;
    /// Prefix of every key and stream: clusters that share one Redis differ in it.
    std::string prefix = "switchboard:";
    /// The most publishes a node holds while Redis is unreachable; beyond it the
    /// oldest are dropped, and the other nodes report the loss (error::backplane_gap).
    std::size_t max_pending = 10'000;
    /// The length the cluster stream is kept to (approximately: Redis trims whole
    /// blocks): a node that falls further behind (a long disconnect) misses the oldest
    /// and reports the loss.
    std::size_t max_stream = 100'000;
    /// Reconnecting to Redis: the first delay, and the longest.
    std::chrono::milliseconds reconnect_initial{100};
    std::chrono::milliseconds reconnect_max{5'000};
    /// A link to Redis that answers nothing for this long (an append unanswered, a
    /// read not back) is taken for down, closed and made again.
    std::chrono::milliseconds timeout{5'000};
    /// Sent with AUTH when not empty (Redis's `requirepass`).
    std::string password{};
};

/** Options of `server`; an aggregate with production defaults.

    @code
    switchboard::server server{ioc, {.port = 8080, .path = "/live"}};
    @endcode
*/
struct server_options {
    /// The address to listen on.
    std::string address = "0.0.0.0";
    /// The port to listen on; 0 picks a free port (see `server::port()`).
    unsigned short port = 8080;
    /// The one path that serves every transport.
    std::string path = "/live";
    /// Heartbeats sent to clients, and the timeout after which a client is dead.
    heartbeat_options heartbeat{};
    /// Replay window of the events the server sends to each session.
    replay_options replay{};
    /// The largest event data accepted from a client, in bytes (WebSocket close 1009 beyond).
    std::size_t max_message_size = 16u << 20;
    /// The most bytes queued for one session; a consumer slower than this is closed.
    std::size_t max_queued_bytes = 32u << 20;
    /// The largest HTTP request header accepted, in bytes.
    std::size_t max_header_size = 8u << 10;
    /// The largest HTTP request body (upstream POST) accepted, in bytes.
    std::size_t max_body_size = 16u << 20;
    /// The most simultaneous connections; more are refused (503).
    std::size_t max_connections = 100'000;
    /// The most live sessions (connected or waiting to resume); more are refused (503).
    std::size_t max_sessions = 100'000;
    /// The most simultaneous connections from one remote address (an IPv6 address
    /// counts by its /64 prefix); more are refused (503). Behind a reverse proxy every
    /// client has the proxy's address: raise it to max_connections there.
    std::size_t max_connections_per_address = 1'000;
    /// The most live sessions opened from one remote address (IPv6: its /64 prefix),
    /// counted until they end (a dropped session counts while it waits to resume); more
    /// are refused (503). Behind a reverse proxy, raise it to max_sessions.
    std::size_t max_sessions_per_address = 1'000;
    /// Each HTTP request (its header, and a POST's body) must arrive within this, and a
    /// new connection's first request too.
    std::chrono::milliseconds handshake_timeout{10'000};
    /// A write to a client that makes no progress for this long ends the connection
    /// (error::send_timeout): a peer that stopped reading, whatever else it sends.
    std::chrono::milliseconds send_timeout{30'000};
    /// How long a session whose connection dropped waits for its client to resume.
    std::chrono::milliseconds session_timeout{60'000};
    /// The reconnection delay announced to SSE clients (the `retry:` field); 0 sends none.
    std::chrono::milliseconds sse_retry{1'000};
    /// How long a long-polling GET is held when no event is pending (then it is
    /// answered empty); never longer than `heartbeat.interval`, the longest the server
    /// stays silent on any transport.
    std::chrono::milliseconds long_poll_timeout{25'000};
    /// Long-polling and polling: the most bytes of events in one answer (at least one
    /// event goes, whatever its size); the rest waits for the next request, which a
    /// polling client makes at once when told there is more.
    std::size_t max_batch_bytes = 1u << 20;
    /// The web origins (`https://app.example.com`) whose pages may use this server
    /// from a browser; "*" allows any. Empty (the default): same origin only, no CORS
    /// headers: a request whose `Origin` is not the host it asks for (its `Host`
    /// header, port included) is refused with 403, so a page of another site cannot
    /// open a WebSocket with the user's cookies (cross-site WebSocket hijacking).
    /// Non-empty: a request with an `Origin` not listed (WebSocket upgrades included)
    /// is refused with 403; a listed one gets CORS headers
    /// (`Access-Control-Allow-Origin`, and answers to preflight `OPTIONS`). Requests
    /// without an `Origin` (non-browser clients) are always served.
    std::vector<std::string> allowed_origins{};
    /// TLS on a second listener (see `server_tls_options`).
    server_tls_options tls{};
    /// Listen without TLS on `port`. False (with TLS on): TLS only.
    bool listen_plain = true;
    /// Serve the browser client (include/switchboard/browser/switchboard.js) at
    /// `<path>/switchboard.js` to GET requests: `text/javascript`, an ETag, and
    /// `Cache-Control: no-cache` (a browser revalidates and gets 304 while it is the
    /// same). Origins are checked as for every request (`allowed_origins`).
    bool serve_client_script = true;
    /// A cluster of servers joined through Redis (see `backplane_options`).
    backplane_options backplane{};
};

/// Throws `std::invalid_argument` naming the first option that makes no sense.
SWITCHBOARD_DECL void validate(const client_options& options);

/// Throws `std::invalid_argument` naming the first option that makes no sense.
SWITCHBOARD_DECL void validate(const server_options& options);

} // namespace switchboard

#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/options.ipp>
#endif

#endif
