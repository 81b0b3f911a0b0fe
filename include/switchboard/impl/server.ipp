// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_SERVER_IPP
#define SWITCHBOARD_IMPL_SERVER_IPP

#include <switchboard/detail/http_front.hpp>
#include <switchboard/detail/server_core.hpp>
#include <switchboard/detail/tls.hpp>
#include <switchboard/server.hpp>

// Header-only: the server's non-template code, included once everything it uses is
// declared (separate compilation lists the same files in src.hpp).
#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/connection_slot.ipp>
#include <switchboard/impl/http_front.ipp>
#include <switchboard/impl/server_core.ipp>
#include <switchboard/impl/server_session.ipp>
#include <switchboard/impl/session.ipp>
#include <switchboard/impl/stream_connection.ipp>
#include <switchboard/long_polling/impl/server_channel.ipp>
#include <switchboard/sse/impl/server_connection.ipp>
#include <switchboard/websocket/impl/server_connection.ipp>
#endif

#include <stdexcept>
#include <string>

namespace switchboard {

SWITCHBOARD_DECL server::server(boost::asio::io_context& ioc, server_options options) {
    validate(options);
    core_ = std::make_shared<detail::server_core>(ioc, std::move(options));
}

SWITCHBOARD_DECL server::~server() {
    core_->silence();
    stop();
    core_->release();
}

SWITCHBOARD_DECL void server::on_authorize(authorize_handler h) { core_->authorize = std::move(h); }
SWITCHBOARD_DECL void server::on_authorize(std::function<authorization(const request_info&)> h) {
    if (!h) return core_->authorize = nullptr, void();
    core_->authorize = [h = std::move(h)](const request_info& r, authorize_callback done) { done(h(r)); };
}
SWITCHBOARD_DECL void server::on_open(open_handler h) { core_->on_open = std::move(h); }
SWITCHBOARD_DECL void server::on_event(event_handler h) { core_->on_event = std::move(h); }
SWITCHBOARD_DECL void server::on_close(close_handler h) { core_->on_close = std::move(h); }
SWITCHBOARD_DECL void server::on_backplane(std::function<void(error_code)> h) { core_->on_backplane = std::move(h); }
SWITCHBOARD_DECL std::size_t server::backplane_pending() const { return core_->backplane_pending(); }
SWITCHBOARD_DECL void server::on_other_request(other_request_handler h) { core_->other_request = std::move(h); }
SWITCHBOARD_DECL void server::start() { core_->start(); }
SWITCHBOARD_DECL unsigned short server::port() const { return core_->port(); }
SWITCHBOARD_DECL unsigned short server::tls_port() const { return core_->tls_port(); }
#ifdef SWITCHBOARD_WITH_OPENSSL
SWITCHBOARD_DECL void server::use_tls(SSL_CTX* context) { core_->use_tls(detail::share_context(context)); }
#endif
SWITCHBOARD_DECL void server::stop() { core_->stop(); }
SWITCHBOARD_DECL void server::publish(std::string_view topic, event e) {
    core_->publish(topic, detail::checked(std::move(e)));
}
SWITCHBOARD_DECL void server::broadcast(event e) { core_->broadcast(detail::checked(std::move(e))); }
SWITCHBOARD_DECL std::size_t server::session_count() const { return core_->session_count(); }
SWITCHBOARD_DECL std::size_t server::subscriber_count(std::string_view topic) const {
    return core_->subscriber_count(topic);
}
SWITCHBOARD_DECL std::size_t server::cluster_session_count() const { return core_->cluster_session_count(); }
SWITCHBOARD_DECL std::size_t server::cluster_subscriber_count(std::string_view topic) const {
    return core_->cluster_subscriber_count(topic);
}
SWITCHBOARD_DECL std::size_t server::connection_count() const { return core_->connection_count(); }

SWITCHBOARD_DECL void server::handle(boost::asio::ip::tcp::socket socket,
                                     boost::beast::http::request<boost::beast::http::string_body> request,
                                     boost::beast::flat_buffer buffer) {
    serve_adopted(std::move(socket), nullptr, std::move(request), std::move(buffer));
}

SWITCHBOARD_DECL void server::serve_adopted(boost::asio::ip::tcp::socket socket, std::shared_ptr<detail::tls_layer> layer,
                                            boost::beast::http::request<boost::beast::http::string_body> request,
                                            boost::beast::flat_buffer buffer) {
    error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return; // the peer is already gone
    detail::connection_slot slot(core_, remote.address());
    if (layer) slot.secure(std::move(layer));
    detail::route_request(std::move(slot), std::move(socket), std::move(request), std::move(buffer));
}

#ifdef SWITCHBOARD_WITH_OPENSSL
SWITCHBOARD_DECL std::shared_ptr<detail::tls_layer> server::adopt(SSL* ssl, boost::beast::flat_buffer& buffer) {
    // Plaintext OpenSSL decrypted that the application did not read follows the bytes
    // it read past the request (in a buffer of ours: the application's may be capped).
    boost::beast::flat_buffer merged;
    merged.commit(boost::asio::buffer_copy(merged.prepare(buffer.size()), buffer.data()));
    char chunk[4096];
    ERR_clear_error();
    while (SSL_pending(ssl) > 0) {
        const int n = SSL_read(ssl, chunk, sizeof chunk);
        if (n <= 0) return nullptr; // (cannot be: the bytes are decrypted already)
        const auto size = static_cast<std::size_t>(n);
        merged.commit(boost::asio::buffer_copy(merged.prepare(size), boost::asio::buffer(chunk, size)));
    }
    buffer = std::move(merged);
    // Records the stream encrypted but has not sent (a write still in progress) cannot
    // be carried over: the connection closes rather than lose them.
    if (BIO_ctrl_wpending(SSL_get_wbio(ssl)) > 0) return nullptr;
    // Encrypted input OpenSSL has not reached yet goes to the layer, before what the
    // socket brings next.
    std::string input;
    auto* in = SSL_get_rbio(ssl);
    while (BIO_ctrl_pending(in) > 0) {
        const int n = BIO_read(in, chunk, sizeof chunk);
        if (n <= 0) break;
        input.append(chunk, static_cast<std::size_t>(n));
    }
    return std::make_shared<detail::tls_layer>(ssl, input);
}
#endif

} // namespace switchboard

#endif
