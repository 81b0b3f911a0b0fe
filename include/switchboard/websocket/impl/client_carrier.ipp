// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_WEBSOCKET_IMPL_CLIENT_CARRIER_IPP
#define SWITCHBOARD_WEBSOCKET_IMPL_CLIENT_CARRIER_IPP

#include <switchboard/detail/base64.hpp>
#include <switchboard/detail/client_stream.hpp>
#include <switchboard/websocket/client_carrier.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>

namespace switchboard::detail::websocket {

namespace beast = boost::beast;
namespace bws = boost::beast::websocket;
using tcp = asio::ip::tcp;

class beast_client_carrier final : public client_carrier, public std::enable_shared_from_this<beast_client_carrier> {
public:
    beast_client_carrier(const client_strand& strand, const client_options& options)
        : options_(options), resolver_(strand), ws_(strand) {
        ws_.read_message_max(options.max_message_size + 1024); // room for the session header
    }

    void connect(const url& u, std::string target, std::string, carrier_events events,
                 std::function<void(error_code)> done) override {
        events_ = std::move(events);
        done_ = std::move(done);
        host_ = u.authority();
        target_ = std::move(target);
        ws_.next_layer().expires_after(options_.connect_timeout);
        resolver_.async_resolve(u.host, u.port, [self = shared_from_this(), u](error_code ec, tcp::resolver::results_type r) {
            if (ec) return self->connected(ec);
            self->ws_.next_layer().async_open(u, r, self->options_.tls, [self](error_code ec2) { self->on_tcp(ec2); });
        });
    }

    void send_event(sequence_number seq, const event& e) override {
        if (seq == 0) return write(e.data, e.binary);
        std::string msg = proto::event_header(seq, e.type, e.binary);
        msg += e.data;
        write(std::move(msg), e.binary);
    }

    void send_control(std::string frame) override { write(std::move(frame), false); }

    void close() override {
        if (closed_) return;
        closing_ = true;
        if (!writing_) start_close();
    }

    void abort() override {
        closed_ = true;
        error_code ignored;
        ws_.next_layer().socket().close(ignored);
    }

private:
    void on_tcp(error_code ec) {
        if (ec) return connected(ec);
        ws_.next_layer().expires_never();
        bws::stream_base::timeout t{};
        t.handshake_timeout = options_.connect_timeout;
        t.idle_timeout = options_.heartbeat.timeout;
        t.keep_alive_pings = true;
        ws_.set_option(t);
        if (!options_.headers.empty())
            ws_.set_option(bws::stream_base::decorator([headers = options_.headers](bws::request_type& req) {
                for (const auto& [name, value] : headers) req.insert(name, value);
            }));
        ws_.async_handshake(response_, host_, target_, [self = shared_from_this()](error_code ec2) {
            if (ec2 == bws::error::upgrade_declined) {
                const auto status = self->response_.result_int();
                if (status == 401) return self->connected(error::unauthorized);
                return self->connected(status == 503 ? error_code(error::server_full) : error_code(error::bad_http_status));
            }
            self->connected(ec2);
        });
    }

    void connected(error_code ec) {
        if (ec == beast::error::timeout) ec = error::handshake_timeout;
        auto done = std::move(done_);
        if (closed_) return;
        if (ec) {
            closed_ = true;
            return done(ec);
        }
        done({});
        read();
    }

    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(error_code ec) {
        if (closed_) return;
        if (ec) return end(ec);
        const bool text = ws_.got_text();
        std::string msg = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        if (!options_.session) {
            events_.on_plain(event{.type = "message", .data = std::move(msg), .binary = !text, .id = {}});
        } else {
            auto f = proto::parse(msg);
            if (!f) return fail(error::protocol_violation);
            auto data = proto::event_data(*f, text);
            if (!data) return fail(error::protocol_violation);
            events_.on_frame(*f, std::move(*data));
        }
        if (!closed_) read();
    }

    void write(std::string msg, bool binary) {
        if (closed_ || closing_) return;
        queue_.emplace_back(std::move(msg), binary);
        if (!writing_) write_next();
    }

    void write_next() {
        if (queue_.empty()) {
            if (closing_) start_close();
            return;
        }
        writing_ = true;
        ws_.binary(queue_.front().second);
        ws_.async_write(asio::buffer(queue_.front().first), [self = shared_from_this()](error_code ec, std::size_t) {
            self->writing_ = false;
            self->queue_.pop_front();
            if (ec) return self->end(ec);
            self->write_next();
        });
    }

    void start_close() {
        if (closed_) return;
        closed_ = true;
        ws_.async_close(bws::close_code::normal, [self = shared_from_this()](error_code) {});
    }

    void fail(error_code ec) {
        abort();
        events_.on_closed(ec);
    }

    void end(error_code ec) {
        if (closed_) return;
        closed_ = true;
        if (ec == bws::error::message_too_big) ec = error::message_too_big;
        else if (ec == beast::error::timeout) ec = error::heartbeat_timeout;
        else ec = error::connection_lost;
        events_.on_closed(ec);
    }

    client_options options_;
    tcp::resolver resolver_;
    bws::stream<client_stream> ws_;
    bws::response_type response_;
    beast::flat_buffer buffer_;
    carrier_events events_;
    std::function<void(error_code)> done_;
    std::string host_, target_;
    std::deque<std::pair<std::string, bool>> queue_;
    bool writing_ = false;
    bool closing_ = false;
    bool closed_ = false;
};

SWITCHBOARD_DECL std::shared_ptr<client_carrier> make_client_carrier(const client_strand& strand,
                                                                     const client_options& options) {
    return std::make_shared<beast_client_carrier>(strand, options);
}

} // namespace switchboard::detail::websocket

#endif
