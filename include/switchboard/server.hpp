// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SERVER_HPP
#define SWITCHBOARD_SERVER_HPP

#include <switchboard/authorization.hpp>
#include <switchboard/config.hpp>
#include <switchboard/error.hpp>
#include <switchboard/event.hpp>
#include <switchboard/options.hpp>
#include <switchboard/session.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#ifdef SWITCHBOARD_WITH_OPENSSL
#include <openssl/ssl.h>
#endif

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

namespace switchboard {

namespace detail {
class tls_layer;
class server_core;
}

/** One listener that serves every transport on one port and one path.

    A WebSocket upgrade on `server_options::path` (default "/live") opens a session:
    in session mode (`?sb=1`, the switchboard protocol of docs/protocol.md) it can
    resume after a drop with nothing lost or duplicated; without it (plain mode) any
    RFC 6455 client works, e.g. a browser's `new WebSocket(url)`, and every message is
    an event of type "message".

    @code
    boost::asio::io_context ioc;
    switchboard::server server{ioc, {.port = 8080}};
    server.on_event([](switchboard::session s, switchboard::event e) { s.send(e); }); // echo
    server.start();
    ioc.run();
    @endcode

    Threads: run the `io_context` on as many threads as wanted. Each session's
    callbacks run one at a time on that session's strand; callbacks of different
    sessions may run concurrently. `publish`, `broadcast` and every `session` member
    may be called from any thread. Set the callbacks before `start()`.
*/
class server {
public:
    /// Called when a session opens (not when it resumes).
    using open_handler = std::function<void(session)>;
    /// Called for each event a client sends, exactly once, in order.
    using event_handler = std::function<void(session, event)>;
    /// Called once when a session ends; `ec` says why (success for a clean close).
    using close_handler = std::function<void(session, error_code)>;

    /// A server that will listen per `options`. @throws std::invalid_argument on bad options.
    SWITCHBOARD_DECL server(boost::asio::io_context& ioc, server_options options = {});

    /// Stops the server (as `stop()`); no callback starts after the destructor returns
    /// (one already running on another thread finishes).
    SWITCHBOARD_DECL ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Completes an authorization: once, from any thread, now or later.
    using authorize_callback = std::function<void(authorization)>;
    /// Decides whether a request may go on (see `on_authorize`).
    using authorize_handler = std::function<void(const request_info&, authorize_callback)>;

    /** Sets the authorization hook: called with every request that opens a session,
        resumes one (on a new connection or request: each poll, each upstream POST),
        before anything else happens to it. It answers with `authorization::allow`
        (naming the principal, optionally with data for a new session) or `deny`
        (401/403 and a reason). Asynchronous: `done` may be called later, from any
        thread (e.g. after a database lookup), but within `handshake_timeout`, after
        which the request is refused with 503. A session belongs to the principal
        that opened it: a resume, poll or POST allowed for another principal is refused
        with 403. Set it before `start()`; without it every request goes on.

        @code
        server.on_authorize([](const switchboard::request_info& r, auto done) {
            lookup_async(r.bearer_token(), [done](std::optional<user> u) {
                done(u ? switchboard::authorization::allow(u->id, *u)
                       : switchboard::authorization::deny(401, "bad token"));
            });
        });
        @endcode
    */
    SWITCHBOARD_DECL void on_authorize(authorize_handler h);
    /// The synchronous form: the hook returns its answer.
    SWITCHBOARD_DECL void on_authorize(std::function<authorization(const request_info&)> h);

    SWITCHBOARD_DECL void on_open(open_handler h);
    SWITCHBOARD_DECL void on_event(event_handler h);
    SWITCHBOARD_DECL void on_close(close_handler h);

    /** Hears from the backplane (server_options::backplane): `ec` is success when its
        link to Redis comes up, error::backplane_unavailable when it goes down (the
        server goes on serving its own sessions, holds what it publishes, up to
        backplane_options::max_pending, and reconnects with backoff), and
        error::backplane_gap when publishes of other nodes were lost (the sessions that
        may have missed them were sent a gap). Called on the server's io_context,
        never under a lock; it must not throw.
    */
    SWITCHBOARD_DECL void on_backplane(std::function<void(error_code)> h);

    /// Takes a plain connection with a request for another path than the server's.
    using other_request_handler = std::function<void(boost::asio::ip::tcp::socket socket,
                                                     boost::beast::http::request<boost::beast::http::string_body> request,
                                                     boost::beast::flat_buffer buffer)>;
    /** Hands the application the requests for other paths: its pages on the server's
        own port, and the requests a browser sends on a connection the application had
        handed over (`handle`; browsers reuse connections). The server lets go of the
        connection: `socket` is the application's, with the request (its body empty:
        only GET, HEAD and other requests without a body come here) and the bytes read
        past it. From then on the connection is out of the server's accounting:
        `max_connections`, the per-address limits and the timeouts no longer apply to
        it, so the application bounds what it keeps (a deadline per request, a cap on
        connections: see examples/chat). Called on the server's io_context, never under
        a lock; it must not throw. Without it, or for a request with a body or over TLS:
        404. (On a path the application handed over, a request no carrier wants comes
        here too, instead of a 400.)

        @code
        server.on_other_request([](tcp::socket s, http::request<http::string_body> req, beast::flat_buffer b) {
            serve_page(std::move(s), std::move(req), std::move(b)); // and server.handle() what is for the path
        });
        @endcode
    */
    SWITCHBOARD_DECL void on_other_request(other_request_handler h);

    /// Binds, listens and starts accepting. @throws system_error when the address is unusable.
    SWITCHBOARD_DECL void start();

    /// The port listened on (the one chosen by the system when `options.port` was 0);
    /// 0 when there is no plain listener (`listen_plain` false).
    SWITCHBOARD_DECL unsigned short port() const;

    /// The port of the TLS listener (chosen by the system when `options.tls.port` was
    /// 0); 0 when there is none.
    SWITCHBOARD_DECL unsigned short tls_port() const;

#ifdef SWITCHBOARD_WITH_OPENSSL
    /** Serves TLS with an OpenSSL context the application set up (its certificates,
        protocol versions, client-certificate checks), in place of
        `server_options::tls`'s files; the listener is on `options.tls.port`. The
        server holds a reference to the context. Call before `start()`.

        @code
        boost::asio::ssl::context ctx{boost::asio::ssl::context::tls_server};
        ctx.use_certificate_chain_file("server.pem");
        ctx.use_private_key_file("server.key", boost::asio::ssl::context::pem);
        server.use_tls(ctx.native_handle());
        @endcode
    */
    SWITCHBOARD_DECL void use_tls(SSL_CTX* context);
#endif

    /// Stops accepting and closes every connection and session. Idempotent.
    SWITCHBOARD_DECL void stop();

    /** Sends `e` to every session that joined `topic`, on every node of the cluster
        when there is a backplane (server_options::backplane).

        The event is serialized once and its bytes are shared by every subscriber.
        Safe from any thread; returns at once. Event types are checked as by
        `session::send`.
    */
    SWITCHBOARD_DECL void publish(std::string_view topic, event e);

    /// Sends `e` to every open session (of every node, with a backplane). Safe from any thread.
    SWITCHBOARD_DECL void broadcast(event e);

    /// The number of live sessions (connected or waiting for their client to resume).
    /// With a backplane it counts the sessions this node holds, including one brought
    /// here for a request of its client that another node serves.
    SWITCHBOARD_DECL std::size_t session_count() const;

    /// The number of this node's sessions that joined `topic`.
    SWITCHBOARD_DECL std::size_t subscriber_count(std::string_view topic) const;

    /** The sessions of the whole cluster (server_options::backplane): the sum of what
        each node serves, as the nodes last told each other (every second, through
        Redis; a node gone stops counting within three). Without a backplane, or before
        the first exchange, this node's. Safe from any thread.
    */
    SWITCHBOARD_DECL std::size_t cluster_session_count() const;

    /// The sessions of the whole cluster that joined `topic` (as `cluster_session_count`).
    SWITCHBOARD_DECL std::size_t cluster_subscriber_count(std::string_view topic) const;

    /// The publishes this node holds until the backplane's link to Redis takes them
    /// (0 without a backplane).
    SWITCHBOARD_DECL std::size_t backplane_pending() const;

    /// The number of open connections.
    SWITCHBOARD_DECL std::size_t connection_count() const;

    /** Serves a request that an existing Beast HTTP server read on its own port.

        Hands over the connection: the server takes `socket`, answers `request` (a
        WebSocket upgrade on any path is served; the path is the application's
        business) and serves the session on it. `buffer` holds any bytes read past
        the request.
    */
    SWITCHBOARD_DECL void handle(boost::asio::ip::tcp::socket socket,
                                 boost::beast::http::request<boost::beast::http::string_body> request,
                                 boost::beast::flat_buffer buffer = {});

#ifdef SWITCHBOARD_WITH_OPENSSL
    /** Serves a request that an existing server read over TLS on its own port.

        As the overload above, for a TLS stream whose handshake the application did:
        `boost::asio::ssl::stream<tcp::socket>` or `boost::beast::ssl_stream<
        boost::beast::tcp_stream>` (any stream with `native_handle()` giving the `SSL*`
        over a TCP socket). The server takes the socket and the TLS session (its keys,
        the peer's certificate, what OpenSSL buffered) and serves the connection on
        through its own TLS layer; the stream is left empty.

        Hand over between messages, with no operation in progress on the stream, as
        for a plain socket. Encrypted bytes that the stream itself holds past OpenSSL's
        buffers (possible only when the peer sends more than a TLS record beyond the
        request before the answer) cannot be carried over: the connection then fails
        its next record's check and closes, never delivers altered data, and a session
        resumes on a new connection.

        @throws std::invalid_argument when the stream's TLS handshake is not done.
    */
    template <class TlsStream>
        requires(!std::is_lvalue_reference_v<TlsStream> &&
                 std::is_same_v<decltype(std::declval<TlsStream&>().native_handle()), SSL*>)
    void handle(TlsStream&& stream, boost::beast::http::request<boost::beast::http::string_body> request,
                boost::beast::flat_buffer buffer = {}) {
        if (SSL_is_init_finished(stream.native_handle()) != 1) // (checked while the stream is still the caller's)
            throw std::invalid_argument("server::handle: the TLS stream's handshake is not done");
        std::optional<boost::asio::ip::tcp::socket> socket;
        std::shared_ptr<detail::tls_layer> layer;
        {
            auto taken = std::move(stream); // ends here, with its reference to the TLS session
            auto& lowest = boost::beast::get_lowest_layer(taken);
            if constexpr (requires { lowest.socket(); }) socket.emplace(std::move(lowest.socket()));
            else socket.emplace(std::move(lowest));
            layer = adopt(taken.native_handle(), buffer);
        }
        if (layer) serve_adopted(std::move(*socket), std::move(layer), std::move(request), std::move(buffer));
    }
#endif

private:
#ifdef SWITCHBOARD_WITH_OPENSSL
    // The TLS session of `ssl` in a layer of the server's (null: records unsent, the
    // connection closes); the plaintext OpenSSL holds goes behind `buffer`'s bytes.
    SWITCHBOARD_DECL std::shared_ptr<detail::tls_layer> adopt(SSL* ssl, boost::beast::flat_buffer& buffer);
#endif
    // A connection handed over (with its TLS layer, or none): counted, then served.
    SWITCHBOARD_DECL void serve_adopted(boost::asio::ip::tcp::socket socket, std::shared_ptr<detail::tls_layer> layer,
                                        boost::beast::http::request<boost::beast::http::string_body> request,
                                        boost::beast::flat_buffer buffer);
    std::shared_ptr<detail::server_core> core_;
};

} // namespace switchboard

#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/server.ipp>
#endif

#endif
