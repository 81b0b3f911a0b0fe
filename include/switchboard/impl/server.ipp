// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_SERVER_IPP
#define SWITCHBOARD_IMPL_SERVER_IPP

#include <switchboard/detail/query.hpp>
#include <switchboard/detail/server_core.hpp>
#include <switchboard/server.hpp>
#include <switchboard/websocket/server_connection.hpp>
#include <switchboard/impl/stream_connection.ipp>
#include <switchboard/impl/websocket_server.ipp>
#include <switchboard/impl/sse_server.ipp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/dynamic_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <random>

namespace switchboard {

// ---------------------------------------------------------------------------
// session (the handle)

namespace detail {
// Every carrier can carry the event's type (session-mode control frames use the
// reserved SSE type "switchboard"); the empty type is "message", as SSE has it.
inline event checked(event e) {
    if (e.type.empty()) e.type = "message";
    if (!proto::valid_type(e.type))
        throw std::invalid_argument("switchboard: an event type must be one line and not \"switchboard\"");
    return e;
}
} // namespace detail

SWITCHBOARD_DECL void session::send(event e) const {
    if (impl_) impl_->post_send(std::make_shared<const event>(detail::checked(std::move(e))));
}
SWITCHBOARD_DECL void session::join(std::string topic) const {
    if (impl_) detail::server_session_join(impl_, std::move(topic));
}
SWITCHBOARD_DECL void session::leave(std::string topic) const {
    if (impl_) detail::server_session_leave(impl_, topic);
}
SWITCHBOARD_DECL void session::close(std::string reason) const {
    if (impl_) impl_->post_close(std::move(reason));
}
SWITCHBOARD_DECL std::uint64_t session::id() const noexcept { return impl_ ? impl_->id() : 0; }
SWITCHBOARD_DECL transport_kind session::transport() const noexcept {
    return impl_ ? impl_->kind() : transport_kind::websocket;
}
SWITCHBOARD_DECL bool session::resumable() const noexcept { return impl_ && impl_->resumable(); }

namespace detail {

SWITCHBOARD_DECL server_session::token_type make_token() {
    static thread_local std::random_device device;
    static constexpr char hex[] = "0123456789abcdef";
    server_session::token_type token{};
    std::size_t n = 0;
    for (int i = 0; i < 4; ++i) {
        std::uint32_t v = device();
        for (int k = 0; k < 8; ++k, v >>= 4) token[n++] = hex[v & 15];
    }
    return token;
}

// ---------------------------------------------------------------------------
// connection_slot

SWITCHBOARD_DECL address_key key_of(const asio::ip::address& a) noexcept {
    if (a.is_v4()) return {a.to_v4().to_uint(), false};
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) return {asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint(), false};
    const auto bytes = v6.to_bytes();
    std::uint64_t prefix = 0;
    for (int i = 0; i < 8; ++i) prefix = prefix << 8 | bytes[static_cast<std::size_t>(i)];
    return {prefix, true};
}

SWITCHBOARD_DECL connection_slot::connection_slot(std::shared_ptr<server_core> core, const asio::ip::address& remote)
    : core_(std::move(core)), address_(&core_->add_connection(remote)) {
    core_->connections_.fetch_add(1);
}
SWITCHBOARD_DECL connection_slot::~connection_slot() {
    if (!core_) return;
    core_->connections_.fetch_sub(1);
    core_->remove_connection(*address_);
}
SWITCHBOARD_DECL const char* connection_slot::refusal() const noexcept {
    const auto& o = core_->options;
    if (core_->connection_count() > o.max_connections) return "too many connections";
    std::lock_guard lock(core_->address_mutex_);
    if (address_->second.connections > o.max_connections_per_address) return "too many connections from this address";
    return nullptr;
}

// ---------------------------------------------------------------------------
// server_session

SWITCHBOARD_DECL server_session::server_session(std::shared_ptr<server_core> core, token_type token, bool resumable,
                                                std::uint64_t id, address_entry& address)
    : core_(std::move(core)),
      strand_(core_->ioc),
      address_(&address),
      token_(token),
      id_(id),
      resumable_(resumable),
      sm_(resumable ? std::make_unique<session_state>(core_->options.replay) : nullptr) {}

SWITCHBOARD_DECL const server_options& server_session::options() const noexcept { return core_->options; }

SWITCHBOARD_DECL void server_session::release_address() noexcept {
    if (auto* a = std::exchange(address_, nullptr)) core_->remove_address_session(*a);
}

SWITCHBOARD_DECL void server_session::attach(std::shared_ptr<connection_base> c, sequence_number client_last,
                                             bool resumed) {
    if (closed_) return c->close({}, "session closed");
    if (auto old = conn_.lock()) { // the client came back before the old connection was seen to drop
        conn_.reset();
        old->close({}, "replaced by a new connection");
    }
    if (sm_ && sm_->expiry_timer) sm_->expiry_timer->cancel();
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
            c->send_event(seq, ev);
        });
    }
    if (!opened_) {
        opened_ = true;
        if (core_->on_open && !core_->silenced()) core_->on_open(handle());
    }
}

SWITCHBOARD_DECL void server_session::detach(connection_base* c, error_code ec) {
    if (conn_.lock().get() != c) return;
    conn_.reset();
    if (closed_) return;
    const bool fatal = ec == error::queue_full || ec == error::protocol_violation || ec == error::message_too_big;
    if (!resumable_ || fatal) return finish(ec);
    auto& expiry = sm_->expiry_timer; // a resumable session has session-mode state
    if (!expiry) expiry = std::make_unique<asio::steady_timer>(core_->ioc);
    expiry->expires_after(core_->options.session_timeout);
    expiry->async_wait(asio::bind_executor(strand_, [self = shared_from_this()](error_code timer_ec) {
        if (!timer_ec && !self->conn_.lock()) self->finish(error::session_expired);
    }));
}

SWITCHBOARD_DECL void server_session::on_frame(const proto::frame& f, std::string data) {
    if (closed_ || !sm_) return; // session frames exist in session mode only
    switch (f.k) {
    case proto::kind::event: {
        auto v = sm_->in.accept(f.a);
        if (!v.deliver) return; // a replay of an event already delivered
        deliver(event{.type = proto::event_type(f.type), .data = std::move(data), .binary = f.binary,
                      .id = std::to_string(f.a)});
        return maybe_ack();
    }
    case proto::kind::ack:
        if (sm_->out.acknowledge(f.a)) return close_now(error::protocol_violation, "acknowledged an event never sent");
        return;
    case proto::kind::gap: sm_->in.skip(gap{f.a, f.b}); return maybe_ack();
    case proto::kind::close: return close_now({}, "");
    case proto::kind::heartbeat:
    case proto::kind::welcome: return;
    }
}

SWITCHBOARD_DECL server_session::post_answer server_session::on_post(std::string_view body) {
    namespace http = boost::beast::http;
    if (closed_ || !resumable_) return {http::status::not_found, "unknown or expired session"};
    std::string_view frame;
    while (!body.empty()) {
        if (!proto::next_framed(body, frame)) {
            close_now(error::protocol_violation, "malformed upstream body");
            return {http::status::bad_request, "malformed upstream body"};
        }
        auto f = proto::parse(frame);
        if (!f || f->k == proto::kind::welcome) {
            close_now(error::protocol_violation, "malformed switchboard frame");
            return {http::status::bad_request, "malformed switchboard frame"};
        }
        if (f->k == proto::kind::event && f->body.size() > core_->options.max_message_size) {
            close_now(error::message_too_big, "message too big");
            return {http::status::payload_too_large, "message too big"};
        }
        on_frame(*f, std::string(f->body)); // a POST body carries bytes: binary data is raw
        if (closed_) break;
    }
    // The answer acknowledges everything delivered so far.
    std::string answer;
    const auto now = inbound_sequencer::clock::now();
    auto& in = sm_->in;
    proto::append_framed(answer, proto::encode_ack(in.unacknowledged() > 0 ? in.take_ack(now) : in.last_delivered()));
    return {http::status::ok, std::move(answer)};
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
        if (auto c = conn_.lock()) c->send_event(0, ev);
        return;
    }
    const auto seq = sm_->out.push(ev, ev->data.size());
    if (auto c = conn_.lock()) c->send_event(seq, ev);
}

SWITCHBOARD_DECL void server_session::close_now(error_code ec, std::string_view reason) {
    if (closed_) return;
    if (auto c = conn_.lock()) {
        if (resumable_) c->send_control(proto::encode_close(static_cast<std::uint16_t>(ec.value()), reason));
        c->close(ec, reason);
    }
    finish(ec);
}

SWITCHBOARD_DECL void server_session::finish(error_code ec) {
    if (closed_) return;
    closed_ = true;
    core_->remove_session(*this);
    if (sm_ && sm_->expiry_timer) sm_->expiry_timer->cancel();
    if (sm_ && sm_->ack_timer) sm_->ack_timer->cancel();
    if (auto c = conn_.lock()) {
        conn_.reset();
        c->close(error::closed, "session closed");
    }
    if (opened_ && core_->on_close && !core_->silenced()) core_->on_close(handle(), ec);
}

SWITCHBOARD_DECL void server_session::post_send(shared_event ev) {
    // At once when already on the session's strand (an echo from on_event).
    if (strand_.running_in_this_thread()) return send_now(ev);
    if (push_inbox(std::move(ev))) core_->schedule(shared_from_this());
}

SWITCHBOARD_DECL bool server_session::push_inbox(shared_event ev) {
    // One drain takes whatever a burst of publishes left in the inbox.
    inbox_lock lock(inbox_busy_);
    if (inbox_.empty()) inbox_.reserve(16); // a burst grows it once, not five times
    inbox_.push_back(std::move(ev));
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

// ---------------------------------------------------------------------------
// The HTTP phase of a connection: read one request, route it to a carrier.

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
// What server_options::allowed_origins says of a request's Origin: refused, or the
// value of its Access-Control-Allow-Origin header (empty: none is due).
struct origin_check {
    bool refused = false;
    std::string allow;
};
origin_check check_origin(const server_options& o, const http::request_header<>& req) {
    const auto origin = req[http::field::origin];
    if (o.allowed_origins.empty() || origin.empty()) return {};
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

    last_response(connection_slot slot, tcp::socket socket) : slot_(std::move(slot)), stream_(std::move(socket)) {}

    void send(std::shared_ptr<http::response<http::string_body>> res) {
        stream_.expires_after(linger);
        http::async_write(stream_, *res, [self = shared_from_this(), res](error_code ec, std::size_t) {
            if (ec) return self->close();
            error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            self->drain();
        });
    }

private:
    void drain() {
        stream_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec) return self->close();
            self->drain();
        });
    }
    void close() {
        error_code ignored;
        stream_.socket().close(ignored);
    }

    connection_slot slot_;
    boost::beast::tcp_stream stream_;
    std::array<char, 512> buffer_;
};
} // namespace

class http_connection : public std::enable_shared_from_this<http_connection> {
public:
    http_connection(connection_slot slot, tcp::socket socket, boost::beast::flat_buffer buffer = {})
        : slot_(std::move(slot)), stream_(std::move(socket)), buffer_(std::move(buffer)) {}

    // Reads the next request's header on the connection (one request, or several with
    // keep-alive POSTs); the body only once the request is known to be wanted.
    void start() {
        const auto& o = slot_.core().options;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(o.max_header_size));
        parser_->body_limit(o.max_body_size);
        stream_.expires_after(o.handshake_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
    }

    // Serves one whole request for the switchboard path (server::handle).
    void handle(http::request<http::string_body> req) {
        if (!admit(req, req.keep_alive())) return;
        if (req.method() != http::verb::post) return route(std::move(req));
        auto s = post_session(req);
        if (!s) return;
        auto body = std::make_shared<std::string>(std::move(req.body()));
        post(std::move(s), *body, req.keep_alive(), body);
    }

private:
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
        auto origin = check_origin(slot_.core().options, req);
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
        if (split_target(req.target()).first != slot_.core().options.path)
            return refuse_http(std::move(slot_), stream_.release_socket(), http::status::not_found, "not found");
        // (Before anything is answered: an unread body must never be taken for the next request.)
        if (req.method() != http::verb::post && !parser_->is_done())
            return refuse_http(std::move(slot_), stream_.release_socket(), http::status::bad_request,
                               "only a POST carries a body");
        if (!admit(req, parser_->keep_alive())) return;
        if (req.method() == http::verb::post) {
            auto s = post_session(req);
            if (!s) return;
            if (boost::beast::iequals(req[http::field::expect], "100-continue"))
                return continue_then_read(std::move(s));
            return read_body(std::move(s));
        }
        route(http::request<http::string_body>(std::move(parser_->get().base())));
    }

    void continue_then_read(std::shared_ptr<server_session> s) {
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        asio::async_write(stream_, asio::buffer(go_on),
                          [self = shared_from_this(), s = std::move(s)](error_code ec, std::size_t) mutable {
                              if (!ec) self->read_body(std::move(s));
                          });
    }

    void read_body(std::shared_ptr<server_session> s) {
        http::async_read(stream_, buffer_, *parser_, [self = shared_from_this(), s = std::move(s)](error_code ec, std::size_t) mutable {
            if (self->fails(ec)) return;
            const auto& data = self->parser_->get().body().data();
            const std::string_view body(static_cast<const char*>(data.data()), data.size());
            self->post(std::move(s), body, self->parser_->keep_alive(), nullptr);
        });
    }

    // Hands a request without a body to the carrier that serves it.
    void route(http::request<http::string_body> req) {
        if (boost::beast::websocket::is_upgrade(req))
            return ws::server_connection::upgrade(std::move(slot_), stream_.release_socket(), std::move(req),
                                                  std::move(buffer_));
        if (sse::wants_event_stream(req))
            return sse::server_connection::serve(std::move(slot_), stream_.release_socket(), req, cors_);
        refuse_http(std::move(slot_), stream_.release_socket(), http::status::bad_request,
                    "this endpoint serves WebSocket upgrades, event streams (Accept: text/event-stream) and "
                    "session POSTs");
    }

    // The session an upstream POST is for; null when it is refused (and answered).
    std::shared_ptr<server_session> post_session(const http::request_header<>& req) {
        const auto query = split_target(req.target()).second;
        const auto token = query_param(query, "token");
        if (!query_param(query, "sb") || !token) {
            reply(http::status::bad_request, "a POST needs a session: ?sb=1&token=...", false);
            return nullptr;
        }
        auto s = slot_.core().find_session(*token);
        // The body that would follow is not read: the connection ends with the answer.
        if (!s) reply(http::status::not_found, "unknown or expired session", false);
        return s;
    }

    // Upstream frames of a session (SSE; docs/protocol.md): processed on the session's
    // strand, answered with an acknowledgement. `keep` holds the body's bytes, if the
    // parser does not.
    void post(std::shared_ptr<server_session> s, std::string_view body, bool keep_alive, std::shared_ptr<std::string> keep) {
        stream_.expires_never();
        asio::dispatch(s->strand(), [self = shared_from_this(), s, body, keep_alive, keep = std::move(keep)] {
            auto answer = s->on_post(body);
            asio::dispatch(self->stream_.get_executor(), [self, keep_alive, answer = std::move(answer)] {
                self->reply(answer.status, answer.body, keep_alive && answer.status == http::status::ok);
            });
        });
    }

    void reply(http::status status, std::string_view body, bool keep_alive) {
        auto res = std::make_shared<http::response<http::string_body>>(status, 11);
        res->set(http::field::content_type, status == http::status::ok ? "application/octet-stream" : "text/plain");
        res->set(http::field::cache_control, "no-store");
        res->body() = body;
        if (status != http::status::ok) res->body() += '\n';
        send(std::move(res), keep_alive);
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
        if (!keep_alive)
            return std::make_shared<last_response>(std::move(slot_), stream_.release_socket())->send(std::move(res));
        stream_.expires_after(slot_.core().options.handshake_timeout);
        http::async_write(stream_, *res, [self = shared_from_this(), res](error_code ec, std::size_t) {
            if (!ec) self->start();
        });
    }

    connection_slot slot_;
    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<body_parser> parser_;
    std::string cors_; // Access-Control-Allow-Origin for the request being answered
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
            r.resumed = r.session != nullptr;
            if (r.resumed) r.client_last = *n;
        }
    }
    if (r.session) return r;
    const char* refusal = nullptr;
    r.session = core.open_session(sb.has_value(), slot.address(), refusal);
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

// ---------------------------------------------------------------------------
// server_core

namespace {
// A quarter of the shortest connection timing (heartbeat interval or timeout, close
// linger), at most 1 s: deadlines are met within a tick.
std::chrono::steady_clock::duration wheel_tick(const server_options& o) {
    const auto shortest = std::min({o.heartbeat.interval, o.heartbeat.timeout,
                                    std::chrono::milliseconds(stream_connection::linger_ms)});
    return std::min<std::chrono::steady_clock::duration>(shortest / 4, std::chrono::seconds(1));
}
} // namespace

SWITCHBOARD_DECL server_core::server_core(asio::io_context& io, server_options o)
    : ioc(io),
      options(std::move(o)),
      acceptor_(asio::make_strand(io)), // its handlers, the backoff timer's and stop's close are serialized
      accept_timer_(acceptor_.get_executor()),
      wheel_(std::make_shared<timer_wheel<stream_connection>>(io, wheel_tick(options))) {}

SWITCHBOARD_DECL void server_core::start() {
    const tcp::endpoint ep{asio::ip::make_address(options.address), options.port};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    accept();
}

SWITCHBOARD_DECL void server_core::accept() {
    // Each socket gets its own strand: the HTTP phase's read and its timeout (Beast's
    // tcp_stream) must never run concurrently when several threads run the io_context.
    acceptor_.async_accept(asio::make_strand(ioc), [self = shared_from_this()](error_code ec, tcp::socket socket) {
        if (self->stopped()) return;
        if (!ec) {
            self->accept_backoff_ = {};
            self->serve(std::move(socket));
        }
        if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return;
        if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
            ec == asio::error::no_memory)
            return self->accept_later(); // the connection waits in the backlog until a descriptor is free
        self->accept(); // other per-connection errors (the peer gave up) do not stop the listener
    });
}

SWITCHBOARD_DECL void server_core::accept_later() {
    // Out of descriptors or memory: accepting again at once would fail at once, and spin.
    using namespace std::chrono_literals;
    accept_backoff_ = std::clamp<std::chrono::milliseconds>(accept_backoff_ * 2, 10ms, 1000ms);
    accept_timer_.expires_after(accept_backoff_);
    accept_timer_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec && !self->stopped()) self->accept();
    });
}

SWITCHBOARD_DECL void server_core::serve(tcp::socket socket) {
    error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return; // the peer is already gone
    connection_slot slot(shared_from_this(), remote.address());
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

SWITCHBOARD_DECL unsigned short server_core::port() const { return acceptor_.local_endpoint().port(); }

SWITCHBOARD_DECL void server_core::stop() {
    if (stopped_.exchange(true)) return;
    wheel_->stop(); // it turns on while connections still linger, then stops
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->accept_timer_.cancel();
    });
    std::unordered_map<std::string_view, std::shared_ptr<server_session>> sessions;
    std::unordered_map<std::string, std::unordered_set<std::shared_ptr<server_session>>> topics;
    {
        std::lock_guard lock(mutex_);
        sessions.swap(sessions_);
        topics.swap(topics_);
    }
    for (auto& [token, s] : sessions)
        asio::post(s->strand(), [s = s] { s->close_now(error::closed, "server stopped"); });
    std::deque<std::shared_ptr<server_session>> ready;
    {
        std::lock_guard lock(ready_mutex_);
        ready.swap(ready_);
    }
    for (const auto& s : ready) s->post_drain();
}

SWITCHBOARD_DECL std::size_t server_core::session_count() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

SWITCHBOARD_DECL std::shared_ptr<server_session> server_core::open_session(bool resumable, address_entry& address,
                                                                          const char*& refusal) {
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
                                                      next_id_.fetch_add(1), address);
            sessions_.emplace(s->token(), s);
            return s;
        }
    }
    remove_address_session(address);
    refusal = "server full";
    return nullptr;
}

SWITCHBOARD_DECL std::shared_ptr<server_session> server_core::find_session(std::string_view token) const {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(token);
    if (it == sessions_.end() || !it->second->resumable()) return nullptr;
    return it->second;
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

SWITCHBOARD_DECL void server_core::join(const std::shared_ptr<server_session>& s, std::string topic) {
    std::lock_guard lock(mutex_);
    if (!sessions_.count(s->token())) return; // closed
    topics_[topic].insert(s);
    if (!s->topics) s->topics = std::make_unique<std::set<std::string, std::less<>>>();
    s->topics->insert(std::move(topic));
}

SWITCHBOARD_DECL void server_core::leave(const std::shared_ptr<server_session>& s, std::string_view topic) {
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

} // namespace detail

// ---------------------------------------------------------------------------
// server

SWITCHBOARD_DECL server::server(boost::asio::io_context& ioc, server_options options) {
    validate(options);
    core_ = std::make_shared<detail::server_core>(ioc, std::move(options));
}

SWITCHBOARD_DECL server::~server() {
    core_->silence();
    stop();
}

SWITCHBOARD_DECL void server::on_open(open_handler h) { core_->on_open = std::move(h); }
SWITCHBOARD_DECL void server::on_event(event_handler h) { core_->on_event = std::move(h); }
SWITCHBOARD_DECL void server::on_close(close_handler h) { core_->on_close = std::move(h); }
SWITCHBOARD_DECL void server::start() { core_->start(); }
SWITCHBOARD_DECL unsigned short server::port() const { return core_->port(); }
SWITCHBOARD_DECL void server::stop() { core_->stop(); }
SWITCHBOARD_DECL void server::publish(std::string_view topic, event e) {
    core_->publish(topic, detail::checked(std::move(e)));
}
SWITCHBOARD_DECL void server::broadcast(event e) { core_->broadcast(detail::checked(std::move(e))); }
SWITCHBOARD_DECL std::size_t server::session_count() const { return core_->session_count(); }
SWITCHBOARD_DECL std::size_t server::connection_count() const { return core_->connection_count(); }

SWITCHBOARD_DECL void server::handle(boost::asio::ip::tcp::socket socket,
                                     boost::beast::http::request<boost::beast::http::string_body> request,
                                     boost::beast::flat_buffer buffer) {
    error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return; // the peer is already gone
    detail::route_request(detail::connection_slot(core_, remote.address()), std::move(socket), std::move(request),
                          std::move(buffer));
}

} // namespace switchboard

#endif
