// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_CLIENT_HPP
#define SWITCHBOARD_CLIENT_HPP

#include <switchboard/detail/client_core.hpp>
#include <switchboard/error.hpp>
#include <switchboard/event.hpp>
#include <switchboard/options.hpp>
#include <switchboard/state.hpp>
#include <switchboard/transport.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace switchboard {

namespace detail {

/** What every client offers, whatever its transport: `basic_client<Transport>` and
    `any_client` are this, made for one transport or for a list of them.

    Thread safety: the member functions may be called from any thread; callbacks and
    completion handlers never run concurrently with each other. Set the callbacks
    before `async_connect`. Destroying the client closes it at once (as an abort);
    pending operations complete with `error::closed`, and no callback starts after the
    destructor returns (one already running on another thread finishes).
*/
class client_base {
public:
    using executor_type = boost::asio::any_io_executor;

    ~client_base() {
        if (core_) core_->shutdown();
    }
    client_base(client_base&&) noexcept = default;
    /// Closes this client at once (as the destructor does), then takes `o`'s place.
    client_base& operator=(client_base&& o) noexcept {
        if (this != &o) {
            if (core_) core_->shutdown();
            core_ = std::move(o.core_);
        }
        return *this;
    }

    /// Receives every event, instead of `async_receive`.
    void on_event(std::function<void(event)> f) { core_->on_event = std::move(f); }
    /// Told of every state change: connecting, open, reconnecting, closed.
    void on_state(std::function<void(state)> f) { core_->on_state = std::move(f); }
    /// Told of every range of events that cannot be delivered (the server's replay
    /// window no longer held them when the client resumed).
    void on_gap(std::function<void(gap)> f) { core_->on_gap = std::move(f); }
    /// Told of non-fatal errors (e.g. `error::session_expired`: a new session replaced
    /// one the server had forgotten, and what was in flight is lost).
    void on_error(std::function<void(error_code)> f) { core_->on_error = std::move(f); }

    /// The current state.
    state current_state() const noexcept { return core_->current_state(); }
    /// The transport in use (or being tried).
    transport_kind current_transport() const noexcept { return core_->current_transport(); }

    /** Connects and opens the session.

        Completes when the session is open, or with the error of the first attempt
        (a client does not retry its first connection; it reconnects after that).
        Call once. Completion signature:
        @code
        void(error_code ec)
        @endcode
    */
    template <class CompletionToken = boost::asio::default_completion_token_t<executor_type>>
    auto async_connect(CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [core = core_](auto handler) { core->connect(std::move(handler)); }, token);
    }

    /** Sends an event.

        Completes when the event is accepted: sent, or queued to be sent once
        reconnected, and (in session mode) kept until the server acknowledges it.
        Fails with `error::message_too_big`, `error::queue_full` (too much
        unacknowledged), `error::invalid_event` or `error::closed`. Sends may overlap;
        events go out in the order of the calls. Completion signature:
        @code
        void(error_code ec)
        @endcode
    */
    template <class CompletionToken = boost::asio::default_completion_token_t<executor_type>>
    auto async_send(event e, CompletionToken&& token = {}) {
        // The event travels inside the initiation (not as an argument to it), so that
        // lazy tokens (use_awaitable, deferred) that initiate later still own it.
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [core = core_, ev = std::move(e)](auto handler) mutable { core->send(std::move(ev), std::move(handler)); },
            token);
    }

    /** Receives the next event (when no `on_event` callback is set).

        Completes with the next event in order, with `error::replay_gap` and an event
        of type "switchboard.gap" whose data is "first-last" when events were lost
        (and no `on_gap` is set), or with `error::closed` once the client is closed.
        One receive at a time. Completion signature:
        @code
        void(error_code ec, event e)
        @endcode
    */
    template <class CompletionToken = boost::asio::default_completion_token_t<executor_type>>
    auto async_receive(CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code, event)>(
            [core = core_](auto handler) { core->receive(std::move(handler)); }, token);
    }

    /** Closes the session gracefully.

        Waits (at most `connect_timeout`) until the server acknowledged every event
        sent, tells the server the session is over, and closes. Completes with
        success, or `error::connection_lost` when some events were not acknowledged
        in time. Completion signature:
        @code
        void(error_code ec)
        @endcode
    */
    template <class CompletionToken = boost::asio::default_completion_token_t<executor_type>>
    auto async_close(CompletionToken&& token = {}) {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [core = core_](auto handler) { core->close(std::move(handler)); }, token);
    }

protected:
    explicit client_base(std::shared_ptr<client_core> core) : core_(std::move(core)) {}

private:
    std::shared_ptr<client_core> core_;
};

} // namespace detail

/** A client of one transport: `basic_client<websocket>`, `basic_client<sse>`, ...

    The same code works with every transport; change the type (or use `any_client`)
    to change transport. In session mode (the default) the client resumes its
    session after a drop: events in both directions are delivered exactly once and
    in order, or a gap is reported (`on_gap`). In plain mode
    (`client_options::session = false`) it talks to any server of its transport.

    @code
    boost::asio::io_context ioc;
    switchboard::basic_client<switchboard::websocket> client{ioc, "ws://127.0.0.1:8080/live"};
    client.on_event([](switchboard::event e) { std::cout << e.data << '\n'; });
    client.async_connect([&](switchboard::error_code ec) {
        if (!ec) client.async_send({.type = "chat", .data = "hi"}, [](switchboard::error_code) {});
    });
    ioc.run();
    @endcode

    Its members are those of `detail::client_base` (connect, send, receive, close,
    callbacks), with the thread-safety rules written there.

    @tparam Transport one of `websocket`, `sse`, `long_polling`, `polling`.
*/
template <transport Transport>
class basic_client : public detail::client_base {
public:
    using transport_type = Transport;

    /** A client of `url` (ws://host:port/path?query; IPv6 literals in brackets).

        @throws std::invalid_argument for a malformed URL or bad options.
    */
    basic_client(executor_type ex, std::string_view url, client_options options = {});

    /// A client whose operations run on `ctx`'s executor (e.g. an `io_context`).
    template <class ExecutionContext>
        requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
    basic_client(ExecutionContext& ctx, std::string_view url, client_options options = {})
        : basic_client(executor_type(ctx.get_executor()), url, std::move(options)) {}
};

/** A client that picks its transport at run time, from an ordered list, and falls back.

    It connects with the first transport of the list; when that one does not get
    through (a proxy refuses WebSocket upgrades or answers with an HTTP error, a
    stream's first frame never arrives because something buffers it, the transport is
    not built in), it tries the next at once, on the first connect and on every
    reconnect. In session mode the session carries over: the server resumes it on the
    new transport, and nothing is lost or delivered twice. It never goes back to an
    earlier transport. Errors that every transport to the same server would meet
    (connection refused, unknown host, server full) do not switch transports.
    Each fallback is reported to `on_error` with the error that caused it, and
    `current_transport()` tells which one is in use.

    @code
    switchboard::any_client client{ioc, "http://127.0.0.1:8080/live"}; // websocket, sse, long-polling, polling
    @endcode

    Its members are those of `detail::client_base`, as for `basic_client`.
*/
class any_client : public detail::client_base {
public:
    /** A client of `url` (ws://, wss://, http:// or https://: the scheme says only
        whether TLS is used) that tries `transports` in order.

        @throws std::invalid_argument for a malformed URL, bad options or an empty list.
    */
    any_client(executor_type ex, std::string_view url, client_options options = {},
               std::vector<transport_kind> transports = {all_transports.begin(), all_transports.end()});

    /// A client whose operations run on `ctx`'s executor (e.g. an `io_context`).
    template <class ExecutionContext>
        requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
    any_client(ExecutionContext& ctx, std::string_view url, client_options options = {},
               std::vector<transport_kind> transports = {all_transports.begin(), all_transports.end()})
        : any_client(executor_type(ctx.get_executor()), url, std::move(options), std::move(transports)) {}
};

/// A WebSocket client.
using websocket_client = basic_client<websocket>;

} // namespace switchboard

#include <switchboard/impl/client.hpp>

#endif
