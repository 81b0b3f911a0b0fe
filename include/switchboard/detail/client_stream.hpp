// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_CLIENT_STREAM_HPP
#define SWITCHBOARD_DETAIL_CLIENT_STREAM_HPP

// The connection every client carrier speaks over: TCP, or TLS over TCP for wss:// and
// https:// URLs, chosen per connection. One AsyncStream type, so each carrier has one
// code path for both (detail/tls.hpp).

#include <switchboard/detail/tls.hpp>
#include <switchboard/detail/url.hpp>
#include <switchboard/error.hpp>
#include <switchboard/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <functional>
#include <memory>

namespace switchboard::detail {

class client_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using tcp = asio::ip::tcp;

    template <class Executor>
    explicit client_stream(const Executor& ex) : tcp_(ex) {}

    executor_type get_executor() noexcept { return tcp_.get_executor(); }
    boost::beast::tcp_stream& tcp_layer() noexcept { return tcp_; }
    tcp::socket& socket() noexcept { return tcp_.socket(); }
    void expires_after(std::chrono::steady_clock::duration d) { tcp_.expires_after(d); }
    void expires_never() { tcp_.expires_never(); }
    bool secure() const noexcept { return tls_ != nullptr; }

    // Connects to one of `endpoints`, then, for a secure `u`, makes the TLS handshake
    // (certificate checked per `o`). The caller's expires_after covers all of it.
    template <class Handler>
    void async_open(const url& u, const tcp::resolver::results_type& endpoints, const client_tls_options& o, Handler h) {
        tls_.reset();
        if (u.secure()) {
#ifdef SWITCHBOARD_WITH_OPENSSL
            try {
                tls_ = std::make_unique<tls_layer>(client_tls_context(o), tls_layer::role::client);
            } catch (const std::exception&) { // the files changed since the client checked them
                return asio::post(tcp_.get_executor(), [h = std::move(h)]() mutable { h(error::tls_failed); });
            }
            if (!tls_->expect_host(u.host, !o.insecure_skip_verify))
                return asio::post(tcp_.get_executor(), [h = std::move(h)]() mutable { h(error::tls_failed); });
#else
            (void)o;
            return asio::post(tcp_.get_executor(), [h = std::move(h)]() mutable { h(error::transport_unavailable); });
#endif
        }
        tcp_.async_connect(endpoints, [this, h = std::move(h)](error_code ec, const tcp::endpoint&) mutable {
            if (ec) return h(ec);
            error_code ignored;
            tcp_.socket().set_option(tcp::no_delay(true), ignored);
#ifdef SWITCHBOARD_WITH_OPENSSL
            if (tls_) return tls_stream<boost::beast::tcp_stream>(tcp_, *tls_).async_handshake(std::move(h));
#endif
            h(error_code{});
        });
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& b, Token&& token) {
#ifdef SWITCHBOARD_WITH_OPENSSL
        if (tls_) return tls_stream<boost::beast::tcp_stream>(tcp_, *tls_).async_read_some(b, std::forward<Token>(token));
#endif
        return tcp_.async_read_some(b, std::forward<Token>(token));
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& b, Token&& token) {
#ifdef SWITCHBOARD_WITH_OPENSSL
        if (tls_) return tls_stream<boost::beast::tcp_stream>(tcp_, *tls_).async_write_some(b, std::forward<Token>(token));
#endif
        return tcp_.async_write_some(b, std::forward<Token>(token));
    }

    // Beast closes a failed WebSocket connection with this (found by ADL).
    friend void beast_close_socket(client_stream& s) {
        error_code ignored;
        s.socket().close(ignored);
    }
    // WebSocket's closing handshake ends the connection through these (found by ADL):
    // a TLS connection says close_notify first.
    friend void teardown(boost::beast::role_type role, client_stream& s, error_code& ec) {
        boost::beast::websocket::teardown(role, s.tcp_.socket(), ec);
    }
    template <class Handler>
    friend void async_teardown(boost::beast::role_type role, client_stream& s, Handler&& h) {
#ifdef SWITCHBOARD_WITH_OPENSSL
        if (s.tls_)
            return tls_stream<boost::beast::tcp_stream>(s.tcp_, *s.tls_)
                .async_shutdown([&s, role, h = std::forward<Handler>(h)](error_code) mutable {
                    boost::beast::websocket::async_teardown(role, s.tcp_.socket(), std::move(h));
                });
#endif
        boost::beast::websocket::async_teardown(role, s.tcp_.socket(), std::forward<Handler>(h));
    }

private:
    boost::beast::tcp_stream tcp_;
    std::unique_ptr<tls_layer> tls_;
};

} // namespace switchboard::detail

#endif
