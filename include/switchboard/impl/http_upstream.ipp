// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_HTTP_UPSTREAM_IPP
#define SWITCHBOARD_IMPL_HTTP_UPSTREAM_IPP

#include <switchboard/detail/http_upstream.hpp>

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace switchboard::detail {

namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

SWITCHBOARD_DECL http_upstream::http_upstream(asio::any_io_executor ex, const client_options& options, handlers h)
    : options_(options), resolver_(ex), stream_(ex), h_(std::move(h)) {}

SWITCHBOARD_DECL void http_upstream::set_token(std::string token) {
    token_ = std::move(token);
    post_next(); // sends made before the welcome can go now
}

SWITCHBOARD_DECL void http_upstream::send_event(sequence_number seq, const event& e) {
    if (seq == 0) { // plain mode: the data is the body of a POST to the endpoint
        plain_.emplace_back(e.data, e.binary);
        return post_next();
    }
    proto::append_framed_event(upstream_, seq, e);
    post_next();
}

SWITCHBOARD_DECL void http_upstream::send_control(std::string_view frame) {
    proto::append_framed(upstream_, frame);
    post_next();
}

SWITCHBOARD_DECL void http_upstream::abort() {
    aborted_ = true;
    error_code ignored;
    resolver_.cancel();
    stream_.socket().close(ignored);
}

SWITCHBOARD_DECL void http_upstream::post_next() {
    if (aborted_ || posting_ || gone_) return;
    if (upstream_.empty() && plain_.empty()) {
        if (h_.on_idle) h_.on_idle();
        return;
    }
    if (options_.session && token_.empty()) return; // no session yet: after the welcome
    posting_ = true;
    if (connected_) return write_post();
    stream_.expires_after(options_.connect_timeout);
    resolver_.async_resolve(url_.host, url_.port, [self = shared_from_this()](error_code ec, tcp::resolver::results_type r) {
        if (self->aborted_) return;
        if (ec) return self->fail(error::connection_lost);
        self->stream_.async_open(self->url_, r, self->options_.tls, [self](error_code ec2) {
            if (self->aborted_) return;
            if (ec2 == error::certificate_rejected || ec2 == error::tls_failed) return self->fail(ec2);
            if (ec2) return self->fail(error::connection_lost);
            self->connected_ = true;
            self->write_post();
        });
    });
}

SWITCHBOARD_DECL void http_upstream::write_post() {
    auto req = std::make_shared<http::request<http::string_body>>(http::verb::post, std::string(), 11);
    req->set(http::field::host, url_.authority());
    req->set(http::field::user_agent, "switchboard");
    for (const auto& [name, value] : options_.headers) req->insert(name, value);
    if (options_.session) {
        std::string query = "sb=" + std::to_string(protocol_version) + "&token=" + token_;
        if (h_.last) query += "&last=" + std::to_string(h_.last());
        req->target(url_.target(query));
        req->set(http::field::content_type, "application/octet-stream");
        req->body() = std::move(upstream_);
        upstream_.clear();
    } else {
        req->target(url_.target());
        req->set(http::field::content_type, plain_.front().second ? "application/octet-stream" : "text/plain; charset=utf-8");
        req->body() = std::move(plain_.front().first);
        plain_.pop_front();
    }
    req->keep_alive(true);
    req->prepare_payload();
    stream_.expires_after(options_.connect_timeout);
    http::async_write(stream_, *req, [self = shared_from_this(), req](error_code ec, std::size_t) {
        if (self->aborted_) return;
        if (ec) return self->fail(error::connection_lost);
        self->response_.emplace();
        // An answer with events holds a batch and one more event, as a poll's answer.
        self->response_->body_limit(self->h_.last ? 2 * std::uint64_t(self->options_.max_message_size) + (2u << 20)
                                                  : std::uint64_t(self->options_.max_line_size));
        http::async_read(self->stream_, self->buffer_, *self->response_,
                         [self](error_code ec2, std::size_t) { self->on_response(ec2); });
    });
}

SWITCHBOARD_DECL void http_upstream::on_response(error_code ec) {
    if (aborted_) return;
    // Lost with the connection: the session's resume sends again what is unacknowledged.
    if (ec) return fail(error::connection_lost);
    posting_ = false;
    auto res = response_->release();
    response_.reset();
    if (!res.keep_alive()) {
        connected_ = false;
        error_code ignored;
        stream_.socket().close(ignored);
        buffer_.clear();
    }
    const auto status = res.result_int();
    if (!options_.session) {
        if (status / 100 != 2 && h_.on_error) h_.on_error(error::bad_http_status);
        return post_next();
    }
    if (status == 413) return fail(error::message_too_big);
    if (status == 400) return fail(error::protocol_violation);
    if (status == 404) {
        gone_ = true;
        if (h_.on_gone) h_.on_gone();
        if (!aborted_ && h_.on_answered) h_.on_answered(); // a GET's answer held back for this one goes on (it may say why)
        return;
    }
    if (status == 401) return fail(error::unauthorized);
    if (status != 200) return fail(error::connection_lost);
    std::string_view body = res.body(), frame;
    while (!body.empty() && !aborted_) {
        if (!proto::next_framed(body, frame)) return fail(error::protocol_violation);
        auto f = proto::parse(frame);
        if (!f || (f->k == proto::kind::event && !h_.last) || f->k == proto::kind::welcome)
            return fail(error::protocol_violation);
        if (h_.on_frame) h_.on_frame(*f);
    }
    if (aborted_) return;
    if (h_.on_answered) h_.on_answered();
    if (aborted_) return;
    post_next();
}

SWITCHBOARD_DECL void http_upstream::fail(error_code ec) {
    if (aborted_) return;
    abort();
    if (h_.on_failed) h_.on_failed(ec);
}

} // namespace switchboard::detail

#endif
