// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_HTTP_FRONT_IPP
#define SWITCHBOARD_IMPL_HTTP_FRONT_IPP

#include <switchboard/browser/script.hpp>
#include <switchboard/detail/http_front.hpp>
#include <switchboard/detail/query.hpp>
#include <switchboard/detail/server_core.hpp>
#include <switchboard/long_polling/server_channel.hpp>
#include <switchboard/sse/server_connection.hpp>
#include <switchboard/websocket/server_connection.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/dynamic_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace switchboard::detail {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// The HTTP phase's stream: TCP (Beast's, with its timeouts), and TLS over it when the
// connection has a TLS layer (detail/tls.hpp). `with(f)` calls f with the one in use.
class http_io {
public:
    http_io(asio::ip::tcp::socket socket, tls_layer* tls) : tcp_(std::move(socket)) {
#ifdef SWITCHBOARD_WITH_OPENSSL
        if (tls) tls_.emplace(tcp_, *tls);
#else
        (void)tls;
#endif
    }
    boost::beast::tcp_stream& tcp_stream() noexcept { return tcp_; }
    template <class F>
    void with(F&& f) {
#ifdef SWITCHBOARD_WITH_OPENSSL
        if (tls_) return f(*tls_);
#endif
        f(tcp_);
    }
    tls_layer* tls() const noexcept {
#ifdef SWITCHBOARD_WITH_OPENSSL
        if (tls_) return &tls_->layer();
#endif
        return nullptr;
    }
    // A write tried at once on the non-blocking socket, as socket.write_some.
    std::size_t write_now(asio::const_buffer b, error_code& ec) {
        auto& socket = tcp_.socket();
        if (!socket.non_blocking()) socket.non_blocking(true, ec);
        if (ec) return 0;
        if (auto* t = tls()) return t->write_some(socket, b, ec);
        return socket.write_some(b, ec);
    }

private:
    boost::beast::tcp_stream tcp_;
#ifdef SWITCHBOARD_WITH_OPENSSL
    std::optional<tls_stream<boost::beast::tcp_stream>> tls_;
#endif
};

namespace {
// What server_options::allowed_origins says of a request's Origin: refused, or the
// value of its Access-Control-Allow-Origin header (empty: none is due).
struct origin_check {
    bool refused = false;
    std::string allow;
};
// host[:port] of an origin (scheme://host[:port]) or a Host header, lower case, with
// the scheme's default port made explicit; empty when it is not one.
std::string normal_authority(std::string_view text, bool secure) {
    if (const auto scheme = text.find("://"); scheme != std::string_view::npos) {
        secure = boost::beast::iequals(text.substr(0, scheme), "https") || boost::beast::iequals(text.substr(0, scheme), "wss");
        text.remove_prefix(scheme + 3);
    }
    if (text.empty() || text.find_first_of("/?#@ ") != std::string_view::npos) return {};
    std::string out;
    for (char c : text) out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    const auto bracket = out.rfind(']');
    const auto colon = out.rfind(':');
    if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) out += secure ? ":443" : ":80";
    return out;
}

origin_check check_origin(const server_options& o, const http::request_header<>& req, bool secure) {
    const auto origin = req[http::field::origin];
    if (origin.empty()) return {}; // not a browser: nothing to check
    if (o.allowed_origins.empty()) {
        // Same origin only (cross-site WebSocket hijacking: a browser sends any page's
        // upgrade with the user's cookies): the page must come from the host it asks.
        const auto page = normal_authority(origin, false);
        const bool same = !page.empty() && page == normal_authority(req[http::field::host], secure);
        return {!same, {}};
    }
    for (const auto& allowed : o.allowed_origins)
        if (allowed == "*" || boost::beast::iequals(allowed, origin)) return {false, std::string(origin)};
    return {true, {}};
}
} // namespace

namespace {
// Writes the last response of a connection, then ends it gracefully: the send side is
// shut and whatever the peer still sends is read and dropped until it closes (closing
// with unread input would reset the connection, and the peer could lose the answer).
// All of it within last_response_linger; the connection counts against the limits
// until it ends.
class last_response : public std::enable_shared_from_this<last_response> {
public:
    static constexpr std::chrono::seconds linger{2};

    last_response(connection_slot slot, tcp::socket socket)
        : slot_(std::move(slot)), io_(std::move(socket), slot_.tls()) {}

    void send(std::shared_ptr<http::response<http::string_body>> res) {
        io_.tcp_stream().expires_after(linger);
        // Refused before its TLS handshake (over a limit): closed at once. A handshake
        // costs a private-key operation, which a connection over the limits must not get.
        if (auto* tls = io_.tls(); tls && !tls->handshake_done()) return close();
        io_.with([&](auto& io) {
            http::async_write(io, *res, [self = shared_from_this(), res](error_code ec, std::size_t) {
                if (ec) return self->close();
                self->shut();
            });
        });
    }

private:
    void shut() {
        auto after = [self = shared_from_this()](error_code) {
            error_code ignored;
            self->io_.tcp_stream().socket().shutdown(tcp::socket::shutdown_send, ignored);
            self->drain();
        };
#ifdef SWITCHBOARD_WITH_OPENSSL
        if (io_.tls()) // close_notify first
            return tls_stream<boost::beast::tcp_stream>(io_.tcp_stream(), *io_.tls()).async_shutdown(std::move(after));
#endif
        after({});
    }
    void drain() {
        io_.with([&](auto& io) {
            io.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](error_code ec, std::size_t) {
                if (ec) return self->close();
                self->drain();
            });
        });
    }
    void close() {
        error_code ignored;
        io_.tcp_stream().socket().close(ignored);
    }

    connection_slot slot_;
    http_io io_;
    std::array<char, 512> buffer_;
};
} // namespace

// The routes of the carriers, asked in turn, the most specific first (a long-poll
// names its transport in the query, whatever it accepts).
const carrier_route routes[] = {
    {&websocket::wants, &websocket::serve, [](const http::request<http::string_body>&) { return transport_kind::websocket; }},
    {&long_polling::wants, &long_polling::serve,
     [](const http::request<http::string_body>& req) {
         return query_param(split_target(req.target()).second, "transport") == "long-polling" ? transport_kind::long_polling
                                                                                                : transport_kind::polling;
     }},
    {&sse::wants, &sse::serve, [](const http::request<http::string_body>&) { return transport_kind::sse; }},
};

class http_connection final : public http_exchange, public std::enable_shared_from_this<http_connection> {
public:
    http_connection(connection_slot slot, tcp::socket socket, boost::beast::flat_buffer buffer = {})
        : slot_(std::move(slot)), io_(std::move(socket), slot_.tls()), stream_(io_.tcp_stream()), buffer_(std::move(buffer)) {}

    // Reads the next request's header on the connection (one request, or several with
    // keep-alive POSTs); the body only once the request is known to be wanted. A TLS
    // connection's handshake comes first, within the same handshake_timeout.
    void start() {
        const auto& o = slot_.core().options;
        stream_.expires_after(o.handshake_timeout);
#ifdef SWITCHBOARD_WITH_OPENSSL
        if (auto* tls = io_.tls(); tls && !tls->handshake_done()) {
            return tls_stream<boost::beast::tcp_stream>(stream_, *tls).async_handshake([self = shared_from_this()](error_code ec) {
                if (!ec) self->start(); // else the connection ends here
            });
        }
#endif
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(o.max_header_size));
        parser_->body_limit(o.max_body_size);
        io_.with([&](auto& io) {
            http::async_read_header(io, buffer_, *parser_,
                                    [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
        });
    }

    // Serves one whole request for the switchboard path (server::handle).
    // Later requests on the connection may use the path the application served it on.
    void handle(http::request<http::string_body> req) {
        handed_path_ = split_target(req.target()).first;
        if (is_script(req, handed_path_)) {
            if (admit(req, req.keep_alive())) serve_script(req, req.keep_alive());
            return;
        }
        if (!admit(req, req.keep_alive())) return;
        auto held = std::make_shared<http::request<http::string_body>>(std::move(req));
        if (bring_session(*held, [self = shared_from_this(), held] { self->handle_admitted(std::move(*held)); })) return;
        handle_admitted(std::move(*held));
    }

private:
    void handle_admitted(http::request<http::string_body> req) {
        if (req.method() != http::verb::post) return route(std::move(req));
        auto held = std::make_shared<http::request<http::string_body>>(std::move(req));
        authorize(*held, post_transport(*held), true, [self = shared_from_this(), held] {
            auto s = self->post_session(*held);
            if (!s) return;
            auto body = std::make_shared<std::string>(std::move(held->body()));
            self->post(std::move(s), *body, held->keep_alive(), body);
        });
    }

    // The token a request comes with (the query's, or an SSE Last-Event-ID's).
    static std::optional<std::string> session_token(const http::request_header<>& req) {
        if (auto token = query_param(split_target(req.target()).second, "token")) return token;
        if (auto hint = last_event_id_hint(req)) return std::move(hint->token);
        return std::nullopt;
    }

    // Ends the connection with no answer (a client takes it for a lost connection).
    void drop() {
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

    // The `last` a request acknowledges (the query's, or an SSE Last-Event-ID's), if any.
    static std::optional<std::uint64_t> session_last(const http::request_header<>& req) {
        if (auto last = query_param(split_target(req.target()).second, "last")) return parse_u64(*last);
        if (auto hint = last_event_id_hint(req)) return parse_u64(hint->last);
        return std::nullopt;
    }

    // With a backplane, the session of a token this node does not hold is brought from
    // the cluster first (its client was on another node); one it holds, but whose client
    // acknowledges more than this node has sent it (it got them from another node, whose
    // reader is ahead), waits for this node's reader to reach the stream's newest entry.
    // True when `then` (on the connection's executor) goes on with the request once the
    // session is here or known not to be.
    template <class Then>
    bool bring_session(const http::request_header<>& req, Then then) {
        auto& core = slot_.core();
        if (!core.clustered()) return false;
        const auto token = session_token(req);
        if (!token) return false;
        auto go_on = [self = shared_from_this(), then = std::move(then)](bool answered = true) mutable {
            asio::dispatch(self->stream_.get_executor(), [self, answered, then = std::move(then)]() mutable {
                // Redis could not say where the session is: not "unknown" (a 404 ends it for
                // its client) but "later". The connection ends unanswered: every client
                // takes that for a lost connection, and resumes after its backoff.
                if (!answered) return self->drop();
                then();
            });
        };
        if (auto s = core.find_session(*token)) {
            if (req.method() == http::verb::post) return false; // (its `last` waits for nothing: on_post)
            const auto last = session_last(req);
            if (!last || *last <= s->sent()) return false;
            core.cluster_sync([go_on = std::move(go_on)]() mutable { go_on(true); });
            return true;
        }
        core.load_session(*token, slot_.address(), std::move(go_on));
        return true;
    }

    using body_parser = http::request_parser<http::basic_dynamic_body<boost::beast::flat_buffer>>;

    // False (and the request answered) when it must not go on: an error, another path, an
    // Origin not allowed, a preflight.
    bool fails(error_code ec) {
        if (!ec) return false;
        if (ec == boost::beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof) {
        } else if (ec == http::error::header_limit) {
            refuse_http(std::move(slot_), stream_.release_socket(), http::status::request_header_fields_too_large, "header too large");
        } else if (ec == http::error::body_limit) {
            refuse_http(std::move(slot_), stream_.release_socket(), http::status::payload_too_large, "body too large");
        } else {
            refuse_http(std::move(slot_), stream_.release_socket(), http::status::bad_request, "malformed request");
        }
        return true;
    }

    bool admit(const http::request_header<>& req, bool keep_alive) {
        auto origin = check_origin(slot_.core().options, req, slot_.tls() != nullptr);
        if (origin.refused) {
            refuse_http(std::move(slot_), stream_.release_socket(), http::status::forbidden, "origin not allowed");
            return false;
        }
        cors_ = std::move(origin.allow);
        if (req.method() != http::verb::options) return true;
        preflight(keep_alive);
        return false;
    }

    // Path, Origin and (for a POST) the session are checked before a body is read: a
    // request that will be refused costs its header only, and a declared Content-Length
    // reserves nothing (the body grows as it arrives).
    void on_header(error_code ec) {
        if (fails(ec)) return;
        const auto& req = parser_->get();
        const auto path = split_target(req.target()).first;
        if (is_script(req, path) && parser_->is_done()) {
            if (admit(req, parser_->keep_alive())) serve_script(req, parser_->keep_alive());
            return;
        }
        if (path != slot_.core().options.path && (handed_path_.empty() || path != handed_path_)) {
            if (slot_.core().other_request && !slot_.tls() && parser_->is_done())
                return hand_back(http::request<http::string_body>(std::move(parser_->get().base())));
            return refuse_http(std::move(slot_), stream_.release_socket(), http::status::not_found, "not found");
        }
        // (Before anything is answered: an unread body must never be taken for the next request.)
        if (req.method() != http::verb::post && !parser_->is_done())
            return refuse_http(std::move(slot_), stream_.release_socket(), http::status::bad_request,
                               "only a POST carries a body");
        if (!admit(req, parser_->keep_alive())) return;
        if (bring_session(req, [self = shared_from_this()] { self->on_admitted(); })) return;
        on_admitted();
    }

    void on_admitted() {
        const auto& req = parser_->get();
        if (req.method() == http::verb::post) {
            return authorize(req, post_transport(req), true, [self = shared_from_this()] {
                const auto& req = self->parser_->get();
                auto s = self->post_session(req);
                if (!s) return;
                if (boost::beast::iequals(req[http::field::expect], "100-continue"))
                    return self->continue_then_read(std::move(s));
                self->read_body(std::move(s));
            });
        }
        route(http::request<http::string_body>(std::move(parser_->get().base())));
    }

    // A request for another path (or one no carrier wants on a path the application
    // handed over), to server::on_other_request with the connection, as it was given to
    // us: blocking, no deadline.
    void hand_back(http::request<http::string_body> req) {
        stream_.expires_never();
        error_code ignored;
        stream_.socket().non_blocking(false, ignored); // (write_now and watch set it)
        auto& core = slot_.core();
        asio::post(core.ioc, [handler = core.other_request, socket = stream_.release_socket(), req = std::move(req),
                              buffer = std::move(buffer_)]() mutable {
            handler(std::move(socket), std::move(req), std::move(buffer));
        });
        // (The slot goes with this object: the connection no longer counts as ours.)
    }

    // The browser client's address: <path>/switchboard.js.
    bool is_script(const http::request_header<>& req, std::string_view path) const {
        const auto& o = slot_.core().options;
        // (<path>/switchboard.js; for the path "/", /switchboard.js)
        const std::string_view name = o.path.ends_with('/') ? "switchboard.js" : "/switchboard.js";
        return o.serve_client_script && req.method() == http::verb::get && path.size() == o.path.size() + name.size() &&
               path.starts_with(o.path) && path.ends_with(name);
    }
    void serve_script(const http::request_header<>& req, bool keep_alive) {
        static const std::string etag = [] { // FNV-1a of the text: changes with it
            std::uint64_t h = 14695981039346656037ull;
            for (unsigned char c : browser::script) h = (h ^ c) * 1099511628211ull;
            char hex[17];
            std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
            return "\"" + std::string(hex) + "\"";
        }();
        auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, 11);
        res->set(http::field::etag, etag);
        res->set(http::field::cache_control, "no-cache"); // (revalidated: the ETag says whether it changed)
        if (const auto match = req[http::field::if_none_match]; match.find(etag) != std::string_view::npos || match == "*") {
            res->result(http::status::not_modified);
            return send(std::move(res), keep_alive);
        }
        res->set(http::field::content_type, "text/javascript; charset=utf-8");
        res->set("X-Content-Type-Options", "nosniff");
        res->body() = browser::script;
        send(std::move(res), keep_alive);
    }

    // What a POST's session uses now (for the authorization hook's request_info).
    transport_kind post_transport(const http::request_header<>& req) const {
        const auto token = query_param(split_target(req.target()).second, "token");
        const auto s = token ? slot_.core().find_session(*token) : nullptr;
        return s ? s->kind() : transport_kind::sse;
    }

    // Asks server::on_authorize whether the request may go on, then calls `then` (on
    // the connection's executor) with the answer in the slot; a refusal is answered with
    // its status. The hook has handshake_timeout to answer (then 503).
    template <class Then>
    void authorize(const http::request_header<>& req, transport_kind transport, bool for_session, Then then) {
        auto& core = slot_.core();
        if (!core.authorize) return then();
        auto info = std::make_shared<request_info>();
        info->target = std::string(req.target());
        for (const auto& f : req) info->headers.insert(f.name_string(), f.value());
        error_code ec;
        info->remote_address = stream_.socket().remote_endpoint(ec).address();
        info->transport = transport;
        info->for_session = for_session;
        info->secure = slot_.tls() != nullptr;
        auto once = std::make_shared<std::atomic<bool>>(false);
        auth_timer_.emplace(stream_.get_executor());
        auth_timer_->expires_after(core.options.handshake_timeout);
        auth_timer_->async_wait([self = shared_from_this(), once](error_code e) {
            if (e || once->exchange(true)) return;
            refuse_http(std::move(self->slot_), self->stream_.release_socket(), http::status::service_unavailable,
                        "authorization did not answer in time");
        });
        auto done = [self = shared_from_this(), once, then = std::move(then)](authorization a) mutable {
            if (once->exchange(true)) return; // answered twice, or too late
            asio::dispatch(self->stream_.get_executor(), [self, a = std::move(a), then = std::move(then)]() mutable {
                self->auth_timer_->cancel();
                if (!a.allowed) {
                    const auto status = a.status >= 400 && a.status < 500 ? static_cast<http::status>(a.status)
                                                                           : http::status::forbidden;
                    return refuse_http(std::move(self->slot_), self->stream_.release_socket(), status,
                                       a.reason.empty() ? "unauthorized" : a.reason);
                }
                self->slot_.authorized(std::make_shared<const authorization>(std::move(a)));
                then();
            });
        };
        try {
            core.authorize(*info, std::move(done));
        } catch (const std::exception&) { // the application's hook threw: nothing is allowed
            if (!once->exchange(true)) {
                auth_timer_->cancel();
                refuse_http(std::move(slot_), stream_.release_socket(), http::status::internal_server_error,
                            "authorization failed");
            }
        }
    }

    void continue_then_read(std::shared_ptr<server_session> s) {
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        const auto out = asio::buffer(go_on);
        io_.with([&](auto& io) {
            asio::async_write(io, out,
                              [self = shared_from_this(), s = std::move(s)](error_code ec, std::size_t) mutable {
                                  if (!ec) self->read_body(std::move(s));
                              });
        });
    }

    void read_body(std::shared_ptr<server_session> s) {
        io_.with([&](auto& io) {
            http::async_read(io, buffer_, *parser_, [self = shared_from_this(), s = std::move(s)](error_code ec, std::size_t) mutable {
                if (self->fails(ec)) return;
                const auto& data = self->parser_->get().body().data();
                const std::string_view body(static_cast<const char*>(data.data()), data.size());
                self->post(std::move(s), body, self->parser_->keep_alive(), nullptr);
            });
        });
    }

    // Hands a request without a body to the carrier that serves it.
    void route(http::request<http::string_body> req) {
        for (const auto& r : routes) {
            if (!r.wants(req)) continue;
            stream_.expires_never(); // the carrier answers in its own time
            const auto query = split_target(req.target()).second;
            const auto transport = r.kind(req);
            const bool for_session = query_param(query, "token") || req.count("Last-Event-ID");
            if (!slot_.core().authorize) return r.serve(shared_from_this(), std::move(req));
            auto held = std::make_shared<http::request<http::string_body>>(std::move(req));
            return authorize(*held, transport, for_session,
                             [self = shared_from_this(), serve = r.serve, held] { serve(self, std::move(*held)); });
        }
        // On a path the application handed over, what no carrier wants may be its own.
        if (!handed_path_.empty() && slot_.core().other_request && !slot_.tls() && req.body().empty())
            return hand_back(std::move(req));
        refuse_http(std::move(slot_), stream_.release_socket(), http::status::bad_request,
                    "this endpoint serves WebSocket upgrades, event streams (Accept: text/event-stream), "
                    "long-polling and polling GETs (?transport=long-polling|polling) and session POSTs");
    }

    // http_exchange
    server_core& core() const noexcept override { return slot_.core(); }
    const connection_slot& slot() const noexcept override { return slot_; }
    const std::string& cors() const noexcept override { return cors_; }
    connection take() override { return {std::move(slot_), stream_.release_socket(), std::move(buffer_)}; }
    void reply(http::status status, std::string_view content_type, std::string body, bool keep_alive) override {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this(), status, type = std::string(content_type),
                                                body = std::move(body), keep_alive]() mutable {
            self->unwatch();
            self->answer(status, type, body, keep_alive);
        });
    }
    void watch(std::function<void()> gone) override {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this(), gone = std::move(gone)]() mutable {
            // Bytes already read past the request: a pipelined request, answered in turn.
            if (self->buffer_.size() != 0) return;
            // TLS: bytes the layer holds are of the next request (or an alert); a readable
            // socket below says as much, so only its end (a peek of nothing) is seen.
            if (auto* tls = self->io_.tls(); tls && tls->buffered()) return;
            self->watching_ = true;
            const auto watch = ++self->watches_;
            error_code ignored;
            self->stream_.socket().non_blocking(true, ignored); // the peek below must not wait
            self->stream_.socket().async_wait(tcp::socket::wait_read, [self, watch, gone = std::move(gone)](error_code ec) {
                // Answered meanwhile. (The wait cancelled by that answer may complete after
                // the next request of the connection began a watch of its own: not its end.)
                if (watch != self->watches_ || !std::exchange(self->watching_, false)) return;
                if (!ec) {
                    // Readable: the end of the stream, or a request sent early (read after the answer).
                    char c;
                    error_code peek;
                    if (self->stream_.socket().receive(asio::buffer(&c, 1), tcp::socket::message_peek, peek) > 0) return;
                    if (peek == asio::error::would_block || peek == asio::error::try_again) return;
                }
                gone();
            });
        });
    }
    void unwatch() {
        if (!std::exchange(watching_, false)) return;
        error_code ignored;
        stream_.socket().cancel(ignored);
    }

    // The session an upstream POST is for; null when it is refused (and answered).
    std::shared_ptr<server_session> post_session(const http::request_header<>& req) {
        const auto query = split_target(req.target()).second;
        const auto token = query_param(query, "token");
        if (!query_param(query, "sb") || !token) {
            reply(http::status::bad_request, "a POST needs a session: ?sb=1&token=...", false);
            return nullptr;
        }
        post_last_.reset();
        if (const auto last = query_param(query, "last")) { // the answer is to carry events too
            const auto n = parse_u64(*last);
            if (!n) {
                reply(http::status::bad_request, "last is not a number", false);
                return nullptr;
            }
            post_last_ = n.value_or(0);
        }
        auto s = slot_.core().find_session(*token);
        // The body that would follow is not read: the connection ends with the answer.
        if (!s) reply(http::status::not_found, "unknown or expired session", false);
        else if (!owned_by(slot_, *s)) {
            reply(http::status::forbidden, "this session belongs to another principal", false);
            return nullptr;
        } else slot_.core().confirm_token(*s, *token);
        return s;
    }

    // Upstream frames of a session (SSE; docs/protocol.md): processed on the session's
    // strand, answered with an acknowledgement. `keep` holds the body's bytes, if the
    // parser does not.
    void post(std::shared_ptr<server_session> s, std::string_view body, bool keep_alive, std::shared_ptr<std::string> keep) {
        stream_.expires_never();
        asio::dispatch(s->strand(), [self = shared_from_this(), s, body, keep_alive, keep = std::move(keep), last = post_last_] {
            s->on_post(body, last, self->serial_, [self, keep_alive](server_session::post_answer answer) {
                asio::dispatch(self->stream_.get_executor(), [self, keep_alive, answer = std::move(answer)] {
                    // (In a cluster: its events were not recorded, or its session moved
                    // meanwhile. Unanswered, as a lost connection: every client keeps the
                    // events and sends them again once it has resumed.)
                    if (answer.status == http::status::service_unavailable) return self->drop();
                    self->reply(answer.status, answer.body, keep_alive && answer.status == http::status::ok);
                });
            });
        });
    }

    void reply(http::status status, std::string_view body, bool keep_alive) {
        if (status == http::status::ok) return answer(status, "application/octet-stream", body, keep_alive);
        answer(status, "text/plain", std::string(body) + '\n', keep_alive);
    }

    // An answer with a body. Kept alive, it is written as one buffer made here (what
    // Beast's serializer would write, without its per-field allocations and gathered
    // buffers: every long-poll, poll and POST answer goes this way).
    void answer(http::status status, std::string_view content_type, std::string_view body, bool keep_alive) {
        if (!keep_alive) {
            auto res = std::make_shared<http::response<http::string_body>>(status, 11);
            res->set(http::field::content_type, content_type);
            res->set(http::field::cache_control, "no-store");
            res->body() = body;
            return send(std::move(res), false);
        }
        auto out = std::make_shared<std::string>();
        const auto reason = http::obsolete_reason(status);
        out->reserve(160 + cors_.size() + body.size());
        out->append("HTTP/1.1 ").append(std::to_string(static_cast<unsigned>(status))).append(" ");
        out->append(reason.data(), reason.size());
        out->append("\r\nContent-Type: ").append(content_type).append("\r\nCache-Control: no-store\r\n");
        if (!cors_.empty()) out->append("Access-Control-Allow-Origin: ").append(cors_).append("\r\nVary: Origin\r\n");
        out->append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
        write_then_read(std::move(out));
    }

    // Writes a kept-alive answer, then reads the next request. The write is tried at once
    // (a socket with room, the usual case, costs no handler and no timer); what does not
    // fit goes asynchronously within handshake_timeout.
    void write_then_read(std::shared_ptr<std::string> out) {
        error_code ec;
        const std::size_t n = io_.write_now(asio::buffer(*out), ec);
        if (!ec && n == out->size()) return start();
        if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return; // the connection ends
        stream_.expires_after(slot_.core().options.handshake_timeout);
        io_.with([&](auto& io) {
            asio::async_write(io, asio::buffer(*out) + n, [self = shared_from_this(), out](error_code e, std::size_t) {
                if (!e) self->start();
            });
        });
    }

    // A CORS preflight (or any OPTIONS): what a browser may send from an allowed origin.
    void preflight(bool keep_alive) {
        auto res = std::make_shared<http::response<http::string_body>>(http::status::no_content, 11);
        res->set(http::field::allow, "GET, POST, OPTIONS");
        if (!cors_.empty()) {
            res->set(http::field::access_control_allow_methods, "GET, POST");
            res->set(http::field::access_control_allow_headers, "Content-Type, Last-Event-ID, Cache-Control");
            res->set(http::field::access_control_max_age, "600");
        }
        send(std::move(res), keep_alive);
    }

    void send(std::shared_ptr<http::response<http::string_body>> res, bool keep_alive) {
        if (!cors_.empty()) {
            res->set(http::field::access_control_allow_origin, cors_);
            res->set(http::field::vary, "Origin");
        }
        res->keep_alive(keep_alive);
        res->prepare_payload();
        // (A 304's Content-Length would have to be the 200's: none.)
        if (res->result() == http::status::not_modified) res->erase(http::field::content_length);
        if (!keep_alive)
            return std::make_shared<last_response>(std::move(slot_), stream_.release_socket())->send(std::move(res));
        stream_.expires_after(slot_.core().options.handshake_timeout);
        io_.with([&](auto& io) {
            http::async_write(io, *res, [self = shared_from_this(), res](error_code ec, std::size_t) {
                if (!ec) self->start();
            });
        });
    }

    connection_slot slot_;
    http_io io_;
    boost::beast::tcp_stream& stream_; // io_'s TCP stream
    boost::beast::flat_buffer buffer_;
    std::optional<body_parser> parser_;
    std::string cors_; // Access-Control-Allow-Origin for the request being answered
    std::string handed_path_; // the path of the request server::handle gave it
    std::optional<asio::steady_timer> auth_timer_; // the authorization hook's deadline
    bool watching_ = false; // a held request's connection is watched for its end
    std::uint64_t watches_ = 0; // watches begun (a wait's handler knows whether it is the last one's)
    std::optional<sequence_number> post_last_; // the POST being served asked for events after it
    const std::uint64_t serial_ = slot_.core().next_serial(); // when the connection began
};


SWITCHBOARD_DECL void refuse_http(connection_slot slot, tcp::socket socket, http::status status, std::string_view why) {
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    res->set(http::field::content_type, "text/plain");
    res->set(http::field::connection, "close");
    if (status == http::status::upgrade_required) res->set(http::field::sec_websocket_version, "13");
    res->body() = std::string(why) + "\n";
    res->prepare_payload();
    std::make_shared<last_response>(std::move(slot), std::move(socket))->send(std::move(res));
}

SWITCHBOARD_DECL stream_socket unstrand(tcp::socket socket, asio::io_context& ioc) {
    error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    stream_socket rewrapped(ioc.get_executor());
    if (!ec) rewrapped.assign(protocol, socket.release(ec), ec);
    if (ec) rewrapped.close(ec);
    return rewrapped;
}

SWITCHBOARD_DECL std::optional<resume_hint> last_event_id_hint(const http::request_header<>& req) {
    const auto id = req["Last-Event-ID"];
    const auto dash = id.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const auto digits = id.substr(dash + 1);
    return resume_hint{std::string(id.substr(0, dash)), std::string(digits.substr(0, digits.find_first_not_of("0123456789")))};
}

SWITCHBOARD_DECL session_request open_or_resume(const connection_slot& slot, const http::request<http::string_body>& req,
                                                const std::optional<resume_hint>& hint) {
    auto& core = slot.core();
    session_request r;
    const auto query = split_target(req.target()).second;
    const auto sb = query_param(query, "sb");
    if (sb && *sb != std::to_string(protocol_version)) {
        r.refusal = http::status::bad_request;
        r.why = "unsupported switchboard protocol version";
        return r;
    }
    if (sb) {
        auto token = query_param(query, "token");
        auto last = query_param(query, "last");
        if (!token && hint) {
            token = hint->token;
            if (!last) last = hint->last;
        }
        if (token) {
            const auto n = last ? parse_u64(*last) : std::optional<std::uint64_t>(0);
            if (!n) {
                r.refusal = http::status::bad_request;
                r.why = "invalid last";
                return r;
            }
            r.session = core.find_session(*token);
            if (r.session && !owned_by(slot, *r.session)) {
                r.session = nullptr;
                r.refusal = http::status::forbidden;
                r.why = "this session belongs to another principal";
                return r;
            }
            r.resumed = r.session != nullptr;
            if (r.resumed) {
                r.client_last = *n;
                r.token = *token;
            }
        }
    }
    if (r.session) return r;
    if (sb && !core.cluster_up()) { // (its keys must be in Redis before its client has its token)
        r.refusal = http::status::service_unavailable;
        r.why = "the cluster is unavailable";
        return r;
    }
    const char* refusal = nullptr;
    const auto* auth = slot.authorized();
    r.session = core.open_session(sb.has_value(), slot.address(), refusal, auth ? auth->principal : std::string(),
                                  auth ? auth->data : std::any());
    if (!r.session) {
        r.refusal = http::status::service_unavailable;
        r.why = refusal;
    }
    return r;
}

SWITCHBOARD_DECL void route_request(connection_slot slot, tcp::socket socket, http::request<http::string_body> req,
                                    boost::beast::flat_buffer buffer) {
    // A handed-over socket may run on any executor: its own strand keeps Beast's
    // timeout and reads apart (see server_core::accept).
    auto& ioc = slot.core().ioc;
    error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    tcp::socket stranded(asio::make_strand(ioc));
    if (!ec) stranded.assign(protocol, socket.release(ec), ec);
    if (ec) return;
    if (auto why = slot.refusal()) return refuse_http(std::move(slot), std::move(stranded), http::status::service_unavailable, why);
    std::make_shared<http_connection>(std::move(slot), std::move(stranded), std::move(buffer))->handle(std::move(req));
}

} // namespace switchboard::detail

#endif
