// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_REDIS_HPP
#define SWITCHBOARD_DETAIL_REDIS_HPP

// A Redis client on Asio, the backplane's link to Redis (SWITCHBOARD_WITH_REDIS): hiredis
// formats the commands and reads the RESP replies; the socket, the pipeline and the
// strand are ours. It has no thread of its own. Commands are pipelined: each one's reply
// comes back to its handler, in the order sent. A connection in subscriber mode hands
// the messages pushed to it to `on_message`.

#include <switchboard/error.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <hiredis/hiredis.h>

#include <array>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::detail::redis {

namespace asio = boost::asio;

// One RESP reply, owned (hiredis's reply objects are converted and freed at once).
struct reply {
    enum class kind { string, array, integer, nil, status, error };
    kind type = kind::nil;
    long long integer = 0;
    std::string str; // string, status, error
    std::vector<reply> elements;

    bool is_error() const noexcept { return type == kind::error; }
    bool is_nil() const noexcept { return type == kind::nil; }
};

inline reply convert(const redisReply& r) {
    reply out;
    switch (r.type) {
    case REDIS_REPLY_STRING: out.type = reply::kind::string; break;
    case REDIS_REPLY_ARRAY: out.type = reply::kind::array; break;
    case REDIS_REPLY_INTEGER: out.type = reply::kind::integer; break;
    case REDIS_REPLY_STATUS: out.type = reply::kind::status; break;
    case REDIS_REPLY_ERROR: out.type = reply::kind::error; break;
    default: out.type = reply::kind::nil; break;
    }
    if (r.type == REDIS_REPLY_INTEGER) out.integer = r.integer;
    if (r.str) out.str.assign(r.str, r.len);
    if (r.type == REDIS_REPLY_ARRAY) {
        out.elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
    }
    return out;
}

// A command in RESP (binary-safe arguments), as hiredis formats it.
inline std::string format(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    char* out = nullptr;
    const int n = redisFormatCommandArgv(&out, static_cast<int>(args.size()), argv.data(), lengths.data());
    if (n < 0 || !out) throw std::bad_alloc();
    std::string command(out, static_cast<std::size_t>(n));
    redisFreeCommand(out);
    return command;
}

class connection : public std::enable_shared_from_this<connection> {
public:
    using reply_handler = std::function<void(error_code, reply)>;

    explicit connection(asio::any_io_executor ex) : strand_(asio::make_strand(ex)), socket_(strand_) {}
    ~connection() {
        if (reader_) redisReaderFree(reader_);
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    const asio::strand<asio::any_io_executor>& strand() const noexcept { return strand_; }

    // Pushed messages in subscriber mode (channel, payload), on the strand.
    std::function<void(std::string, std::string)> on_message;
    // The connection ended (Redis closed it, or a malformed reply); every command still
    // waiting got `ec` first. Not called after close().
    std::function<void(error_code)> on_closed;

    // Connects to host:port; `done` on the strand.
    void connect(std::string host, unsigned short port, std::function<void(error_code)> done) {
        auto resolver = std::make_shared<asio::ip::tcp::resolver>(strand_);
        resolver->async_resolve(host, std::to_string(port),
                                [self = shared_from_this(), resolver, done = std::move(done)](
                                    error_code ec, asio::ip::tcp::resolver::results_type results) mutable {
                                    if (self->ended_) return done(self->ended_); // closed meanwhile
                                    if (ec) return done(ec);
                                    asio::async_connect(self->socket_, results,
                                                        [self, done = std::move(done)](error_code ec, const auto&) {
                                                            if (self->ended_) { // closed meanwhile
                                                                error_code ignored;
                                                                self->socket_.close(ignored);
                                                                return done(self->ended_);
                                                            }
                                                            if (!ec) self->start();
                                                            done(ec);
                                                        });
                                });
    }

    // Sends a command (from any thread); `h` gets its reply, or the error that ended the
    // connection, on the strand. A Redis error reply is a reply (is_error()), not an
    // error_code.
    void command(std::vector<std::string> args, reply_handler h) {
        asio::post(strand_, [self = shared_from_this(), cmd = format(args), h = std::move(h)]() mutable {
            if (self->ended_) return h(self->ended_, reply{});
            self->waiting_.push_back(std::move(h));
            self->out_.push_back(std::move(cmd));
            self->write();
        });
    }

    // Ends the connection at once, on the executor it was made with (a strand whose
    // handlers its own run on): commands still waiting get operation_aborted now.
    void close_here() {
        on_closed = nullptr;
        end(asio::error::operation_aborted);
    }

    // Ends the connection; commands still waiting get operation_aborted.
    void close() {
        asio::post(strand_, [self = shared_from_this()] {
            self->on_closed = nullptr;
            self->end(asio::error::operation_aborted);
        });
    }

private:
    void start() {
        reader_ = redisReaderCreate();
        if (!reader_) throw std::bad_alloc();
        read();
    }

    void write() {
        if (writing_ || out_.empty() || ended_) return;
        writing_ = true;
        sending_.clear();
        while (!out_.empty()) { // everything waiting goes in one write
            sending_ += out_.front();
            out_.pop_front();
        }
        asio::async_write(socket_, asio::buffer(sending_), [self = shared_from_this()](error_code ec, std::size_t) {
            self->writing_ = false;
            if (ec) return self->end(ec);
            self->write();
        });
    }

    void read() {
        socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](error_code ec, std::size_t n) {
            if (ec) return self->end(ec);
            if (redisReaderFeed(self->reader_, self->buffer_.data(), n) != REDIS_OK) return self->end(error::protocol_violation);
            for (;;) {
                void* raw = nullptr;
                if (redisReaderGetReply(self->reader_, &raw) != REDIS_OK) return self->end(error::protocol_violation);
                if (!raw) break;
                auto r = convert(*static_cast<redisReply*>(raw));
                freeReplyObject(raw);
                self->deliver(std::move(r));
                if (self->ended_) return;
            }
            self->read();
        });
    }

    void deliver(reply r) {
        // A pushed message of subscriber mode: ["message", channel, payload].
        if (r.type == reply::kind::array && r.elements.size() == 3 && r.elements[0].str == "message" &&
            r.elements[0].type == reply::kind::string) {
            if (on_message) on_message(std::move(r.elements[1].str), std::move(r.elements[2].str));
            return;
        }
        if (waiting_.empty()) return end(error::protocol_violation); // a reply to nothing
        auto h = std::move(waiting_.front());
        waiting_.pop_front();
        h({}, std::move(r));
    }

    void end(error_code ec) {
        if (ended_) return;
        ended_ = ec;
        error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        auto waiting = std::move(waiting_);
        for (auto& h : waiting) h(ec, reply{});
        // (Taken out first: the callback may reset on_closed, or drop this connection.)
        if (auto closed = std::exchange(on_closed, nullptr)) closed(ec);
    }

    asio::strand<asio::any_io_executor> strand_;
    asio::ip::tcp::socket socket_;
    redisReader* reader_ = nullptr;
    std::array<char, 16 * 1024> buffer_{};
    std::deque<std::string> out_;
    std::string sending_;
    bool writing_ = false;
    std::deque<reply_handler> waiting_;
    error_code ended_;
};

} // namespace switchboard::detail::redis

#endif
