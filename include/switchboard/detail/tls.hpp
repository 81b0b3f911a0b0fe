// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_TLS_HPP
#define SWITCHBOARD_DETAIL_TLS_HPP

// TLS as a transform of a connection's bytes (OpenSSL with memory BIOs), so that one
// code path serves plain and TLS connections (docs/decisions.md, "TLS"):
//
//  - the server's connections keep their socket and their fast paths (a write tried at
//    once, no buffer while idle): at each I/O point a `tls_layer`, when there is one,
//    encrypts what goes out and decrypts what comes in (`write_some`, `read_some` on
//    the socket, never blocking);
//  - Beast's HTTP and WebSocket code, on both sides, runs over `tls_stream<Next>`, an
//    AsyncStream that does the same over an AsyncStream (a beast::tcp_stream: its
//    timeouts apply to the encrypted bytes).
//
// Writes keep stream semantics: `write_some` reports the plaintext bytes whose records
// are wholly on the wire; the caller presents the rest again, which the layer knows it
// has encrypted already (at most `max_ahead` bytes of records wait in the layer).

#include <switchboard/config.hpp>
#include <switchboard/error.hpp>
#include <switchboard/options.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>

#include <array>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifdef SWITCHBOARD_WITH_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

namespace switchboard::detail {

namespace asio = boost::asio;

#ifdef SWITCHBOARD_WITH_OPENSSL

// An SSL_CTX shared by the server or client that made it and every connection.
using tls_context = std::shared_ptr<SSL_CTX>;
inline tls_context adopt_context(SSL_CTX* ctx) { return {ctx, &SSL_CTX_free}; }
inline tls_context share_context(SSL_CTX* ctx) {
    SSL_CTX_up_ref(ctx);
    return adopt_context(ctx);
}

// OpenSSL's last error as text (and the error queue cleared).
inline std::string tls_error_text() {
    std::string text;
    while (const auto e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!text.empty()) text += "; ";
        text += buf;
    }
    return text.empty() ? "unknown TLS error" : text;
}

class tls_layer {
public:
    enum class role { client, server };
    // The most bytes of encrypted records waiting to be written.
    static constexpr std::size_t max_ahead = 64 * 1024;
    // A record's worth of plaintext (TLS's largest record).
    static constexpr std::size_t record = 16 * 1024;
    // The most bytes the peer can make us owe it while we read (alerts, key updates,
    // answers to renegotiation attempts) before the connection fails. OpenSSL 3 keeps
    // this small itself (one KeyUpdate answer pending, sent with the next write; 32 key
    // updates in one read fail the connection; a few warning alerts): this is the bound
    // should that change.
    static constexpr std::size_t max_late = 16 * 1024;

    tls_layer(const tls_context& ctx, role r) : ctx_(ctx), ssl_(SSL_new(ctx.get())) {
        if (!ssl_) throw std::bad_alloc();
        if (!use_memory_bios()) {
            SSL_free(ssl_);
            throw std::bad_alloc();
        }
        if (r == role::server) SSL_set_accept_state(ssl_);
        else SSL_set_connect_state(ssl_);
    }
    // An application's connection whose handshake is done (server::handle): takes a
    // reference to `ssl`, puts it on this layer's memory BIOs (its old BIO is freed)
    // and gives it `input`, encrypted bytes already read that it has not consumed.
    tls_layer(SSL* ssl, std::string_view input) : ssl_(ssl) {
        if (!use_memory_bios()) throw std::bad_alloc();
        SSL_up_ref(ssl_);
        put_input(input.data(), input.size());
    }
    ~tls_layer() { SSL_free(ssl_); }
    tls_layer(const tls_layer&) = delete;
    tls_layer& operator=(const tls_layer&) = delete;

    SSL* native_handle() const noexcept { return ssl_; }

    // Client: the server name to send (SNI, not for an IP literal) and, with `verify`,
    // the name or address its certificate must carry. False when OpenSSL refuses it.
    bool expect_host(const std::string& host, bool verify) {
        error_code ec;
        asio::ip::make_address(host, ec);
        const bool ip = !ec;
        if (!ip && SSL_set_tlsext_host_name(ssl_, host.c_str()) != 1) return false;
        if (!verify) {
            SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
            return true;
        }
        SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
        auto* param = SSL_get0_param(ssl_);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (ip) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
        return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
    }

    // --- handshake --------------------------------------------------------------
    enum class step { done, want_input, failed };
    // Advances the handshake with the input given so far; its output waits in
    // pending_output(). `ec` says why it failed.
    step handshake(error_code& ec) {
        ERR_clear_error(); // (the queue is per thread: another connection's errors are not ours)
        const int r = SSL_do_handshake(ssl_);
        collect_output(out_);
        if (r == 1) return step::done;
        const int err = SSL_get_error(ssl_, r);
        if (err == SSL_ERROR_WANT_READ) return step::want_input;
        ec = failure(err);
        return step::failed;
    }
    bool handshake_done() const noexcept { return SSL_is_init_finished(ssl_) == 1; }
    // Why the last handshake failed, for a person.
    const std::string& failure_text() const noexcept { return failure_text_; }

    // --- input ------------------------------------------------------------------
    // Encrypted bytes that arrived.
    void put_input(const char* data, std::size_t n) {
        if (n) BIO_write(in_bio_, data, static_cast<int>(n));
    }
    // Whether plaintext (or undecrypted input) waits inside the layer: a read would
    // find something without the socket.
    bool buffered() const noexcept { return SSL_pending(ssl_) > 0 || BIO_ctrl_pending(in_bio_) > 0; }
    // Decrypts into `b` what the input so far holds: bytes (> 0), or 0 with `ec`
    // (would_block: more input needed; eof: the peer's close_notify; a TLS error).
    std::size_t decrypt(asio::mutable_buffer b, error_code& ec) {
        if (read_error_) { // found after bytes that were returned first
            ec = read_error_;
            return 0;
        }
        std::size_t got = 0;
        while (got < b.size()) {
            ERR_clear_error();
            const int r = SSL_read(ssl_, static_cast<char*>(b.data()) + got, static_cast<int>(std::min<std::size_t>(b.size() - got, 1 << 30)));
            // What reading makes us owe the peer (key updates, alerts) waits apart: a
            // write of out_ may be in flight. It goes before the next write's records.
            collect_output(late_);
            if (late_.size() > max_late) {
                read_error_ = error::protocol_violation;
                break;
            }
            if (r > 0) {
                got += static_cast<std::size_t>(r);
                continue;
            }
            const int err = SSL_get_error(ssl_, r);
            if (err == SSL_ERROR_WANT_READ) break;
            read_error_ = err == SSL_ERROR_ZERO_RETURN ? error_code(asio::error::eof) : failure(err);
            break;
        }
        if (got) return got;
        ec = read_error_ ? read_error_ : error_code(asio::error::would_block);
        return 0;
    }
    // Bytes owed to the peer since the last write (see decrypt).
    bool owes_output() const noexcept { return !late_.empty(); }
    // Reads from a non-blocking socket and decrypts into `b`, as the socket's
    // read_some would: bytes, or 0 with `ec` (would_block, eof, ...).
    template <class Socket>
    std::size_t read_some(Socket& socket, asio::mutable_buffer b, error_code& ec) {
        for (;;) {
            error_code dec;
            const auto n = decrypt(b, dec);
            if (n || dec != asio::error::would_block) {
                ec = dec;
                return n;
            }
            static thread_local std::array<char, record + 512> in;
            const auto got = socket.read_some(asio::buffer(in), ec);
            if (ec) return 0;
            put_input(in.data(), got);
        }
    }
    // A buffer for encrypted input read asynchronously (then put_input).
    asio::mutable_buffer input_buffer() {
        if (in_.empty()) in_.resize(record + 512);
        return asio::buffer(in_);
    }
    void input_arrived(std::size_t n) { put_input(in_.data(), n); }

    // --- output -----------------------------------------------------------------
    // Encrypts what of `b` is not encrypted yet, while fewer than max_ahead bytes of
    // records wait.
    // Call only while no write of pending_output() is in flight; false (and `ec`) when
    // the connection cannot carry more (a TLS error, or the caller presented fewer
    // bytes than it was told are not written yet).
    template <class ConstBuffers>
    bool encrypt(const ConstBuffers& b, error_code& ec) {
        if (write_error_) {
            ec = write_error_;
            return false;
        }
        take_late();
        if (!late_.empty()) return true; // (records must follow it: nothing more for now)
        const auto total = asio::buffer_size(b);
        if (ahead_ > total) { // the stream contract is broken: never guess
            ec = write_error_ = error::protocol_violation;
            return false;
        }
        boost::beast::buffers_suffix<ConstBuffers> rest(b);
        rest.consume(ahead_);
        static thread_local std::array<char, record> plain;
        while (ahead_ < total && pending_output().size() < max_ahead) {
            const auto n = asio::buffer_copy(asio::buffer(plain), rest);
            rest.consume(n);
            ERR_clear_error();
            // A memory BIO takes everything: SSL_write fails only when the connection has.
            const int r = SSL_write(ssl_, plain.data(), static_cast<int>(n));
            if (r <= 0) {
                ec = write_error_ = failure(SSL_get_error(ssl_, r));
                return false;
            }
            collect_output(out_);
            records_.back().plain = n;
            ahead_ += n;
        }
        return true;
    }
    // A close_notify alert, queued to go out (while no write is in flight).
    void close_notify() {
        take_late(true);
        ERR_clear_error();
        if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
        collect_output(out_);
    }
    // Once the HTTP phase is over: no buffer is kept while idle.
    void trim() {
        in_ = {};
        if (out_.empty()) out_ = {};
    }
    // The encrypted bytes waiting to be written.
    asio::const_buffer pending_output() const noexcept { return asio::buffer(out_.data() + sent_, out_.size() - sent_); }
    // `n` bytes of pending_output() were written: returns the plaintext bytes (of those
    // presented to encrypt) whose records are now wholly written.
    std::size_t output_written(std::size_t n) {
        sent_ += n;
        std::size_t plain = 0;
        while (!records_.empty() && records_.front().end <= sent_) {
            plain += records_.front().plain;
            records_.pop_front();
        }
        ahead_ -= plain;
        if (sent_ == out_.size()) {
            out_.clear();
            sent_ = 0;
            if (out_.capacity() > 2 * max_ahead) out_.shrink_to_fit();
        } else if (sent_ >= max_ahead) {
            out_.erase(0, sent_);
            for (auto& r : records_) r.end -= sent_;
            sent_ = 0;
        }
        return plain;
    }
    // As the socket's write_some on a non-blocking socket, for plaintext `b`.
    template <class Socket, class ConstBuffers>
    std::size_t write_some(Socket& socket, const ConstBuffers& b, error_code& ec) {
        if (!encrypt(b, ec)) return 0;
        const auto out = pending_output();
        if (out.size() == 0) return 0; // (nothing was presented)
        const auto n = socket.write_some(out, ec);
        return output_written(ec ? 0 : n);
    }
    // Writes what is pending (a close_notify, what reading made us owe) if the socket
    // takes it now; only while no write is in flight.
    template <class Socket>
    void flush_now(Socket& socket) {
        take_late();
        error_code ignored;
        if (pending_output().size()) output_written(socket.write_some(pending_output(), ignored));
    }

private:
    // Puts ssl_ on two memory BIOs of ours, as a layer of ours wants it: whole writes,
    // buffers released while idle, no renegotiation (TLS 1.2: a peer cannot restart the
    // handshake). False (nothing changed) when the BIOs cannot be made.
    bool use_memory_bios() {
        in_bio_ = BIO_new(BIO_s_mem());
        out_bio_ = BIO_new(BIO_s_mem());
        if (!in_bio_ || !out_bio_) {
            BIO_free(in_bio_);
            BIO_free(out_bio_);
            return false;
        }
        BIO_set_mem_eof_return(in_bio_, -1); // empty: "retry", not end of stream
        BIO_set_mem_eof_return(out_bio_, -1);
        SSL_set_bio(ssl_, in_bio_, out_bio_);
        SSL_clear_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE); // (an adopted one may have it)
        SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
        SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);
        return true;
    }

    struct out_record {
        std::size_t end;   // where its bytes end in out_
        std::size_t plain; // the plaintext bytes it carries (0: handshake, alerts)
    };
    // Moves what OpenSSL wrote to `to` (out_: as a record of its own, of no plaintext).
    void collect_output(std::string& to) {
        const auto before = to.size();
        while (const auto pending = BIO_ctrl_pending(out_bio_)) {
            const auto at = to.size();
            to.resize(at + pending);
            const int r = BIO_read(out_bio_, to.data() + at, static_cast<int>(pending));
            to.resize(at + static_cast<std::size_t>(r > 0 ? r : 0));
            if (r <= 0) break;
        }
        if (&to == &out_ && out_.size() != before) records_.push_back({out_.size(), 0});
    }
    // Moves what reading made us owe behind the records waiting, unless max_ahead of
    // them wait already (a peer that makes us owe without reading what we send):
    // then it stays in late_, which reading caps at max_late. `force`: a close_notify
    // must follow it.
    void take_late(bool force = false) {
        if (late_.empty() || (!force && pending_output().size() >= max_ahead)) return;
        out_ += late_;
        late_.clear();
        records_.push_back({out_.size(), 0});
    }
    error_code failure(int err) {
        const auto verify = SSL_get_verify_result(ssl_);
        // A certificate refused by our own check (not a handshake that failed otherwise
        // while the check was off).
        if (!handshake_done() && verify != X509_V_OK && (SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER) &&
            !SSL_is_server(ssl_)) {
            failure_text_ = X509_verify_cert_error_string(verify);
            ERR_clear_error();
            return error::certificate_rejected;
        }
        failure_text_ = err == SSL_ERROR_SYSCALL ? "connection ended during TLS" : tls_error_text();
        ERR_clear_error();
        return handshake_done() ? error_code(error::protocol_violation) : error_code(error::tls_failed);
    }

    tls_context ctx_;
    SSL* ssl_;
    BIO* in_bio_;
    BIO* out_bio_;
    std::string out_;         // encrypted bytes, from sent_ on still to write
    std::size_t sent_ = 0;
    std::deque<out_record> records_;
    std::size_t ahead_ = 0;   // plaintext encrypted, not yet reported written
    std::vector<char> in_;    // async input
    std::string late_;        // owed to the peer since reading (see decrypt)
    error_code read_error_;   // the input ended or failed: every later read says so
    error_code write_error_;  // the connection failed: every later write says so
    std::string failure_text_;
};

// An AsyncStream of plaintext over `Next` (an AsyncStream of the encrypted bytes).
template <class Next>
class tls_stream {
public:
    using executor_type = typename Next::executor_type;
    tls_stream(Next& next, tls_layer& layer) : next_(next), tls_(layer) {}
    executor_type get_executor() const { return next_.get_executor(); }
    Next& next_layer() const noexcept { return next_; }
    tls_layer& layer() const noexcept { return tls_; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        asio::mutable_buffer b;
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it)
            if ((b = *it).size() != 0) break;
        return asio::async_compose<Token, void(error_code, std::size_t)>(read_op{{}, next_, tls_, b}, token, next_);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_compose<Token, void(error_code, std::size_t)>(write_op<ConstBuffers>{{}, next_, tls_, buffers},
                                                                          token, next_);
    }

    // Completes when the handshake is done and its output written.
    template <class Token>
    auto async_handshake(Token&& token) {
        return asio::async_compose<Token, void(error_code)>(handshake_op{{}, next_, tls_}, token, next_);
    }

    // Writes a close_notify (then the caller closes the connection).
    template <class Token>
    auto async_shutdown(Token&& token) {
        tls_.close_notify();
        return asio::async_compose<Token, void(error_code)>(flush_op{{}, next_, tls_}, token, next_);
    }

private:
    // Completes `self` with `args`, never inside the initiating call: through a post
    // that keeps the handler's executor.
    template <class Self, class... Args>
    static void finish(Self& self, bool started, Args... args) {
        if (started) return self.complete(args...);
        const auto ex = asio::get_associated_executor(self); // (before self is moved)
        asio::post(ex, boost::beast::bind_front_handler(std::move(self), completion_tag{}, args...));
    }
    struct completion_tag {};
    // What every operation does when `finish` posted its completion.
    struct op_base {
        template <class Self, class... Args>
        void operator()(Self& self, completion_tag, Args... args) {
            self.complete(args...);
        }
    };

    struct read_op : op_base {
        using op_base::operator();
        Next& next;
        tls_layer& tls;
        asio::mutable_buffer b;
        bool started = false;
        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (started) {
                if (ec) return self.complete(ec, 0);
                tls.input_arrived(n);
            }
            error_code dec;
            const auto got = tls.decrypt(b, dec);
            if (got || b.size() == 0 || dec != asio::error::would_block) return finish(self, started, dec, got);
            started = true;
            next.async_read_some(tls.input_buffer(), std::move(self));
        }
    };
    template <class ConstBuffers>
    struct write_op : op_base {
        using op_base::operator();
        Next& next;
        tls_layer& tls;
        ConstBuffers buffers;
        bool started = false;
        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            std::size_t plain = 0;
            if (started) {
                plain = tls.output_written(n);
                if (ec || plain) return self.complete(ec, plain);
            }
            error_code failed;
            if (!tls.encrypt(buffers, failed)) return finish(self, started, failed, std::size_t{0});
            if (tls.pending_output().size() == 0) return finish(self, started, error_code{}, std::size_t{0}); // (nothing presented)
            started = true;
            next.async_write_some(tls.pending_output(), std::move(self));
        }
    };
    struct flush_op : op_base {
        using op_base::operator();
        Next& next;
        tls_layer& tls;
        bool started = false;
        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (started) tls.output_written(n);
            if (ec || tls.pending_output().size() == 0) return finish(self, started, ec);
            started = true;
            next.async_write_some(tls.pending_output(), std::move(self));
        }
    };
    struct handshake_op : op_base {
        using op_base::operator();
        Next& next;
        tls_layer& tls;
        enum { start, writing, reading } state = start;
        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (state == writing) tls.output_written(n);
            if (state == reading && !ec) tls.input_arrived(n);
            // The connection ending or failing under a handshake: the handshake failed (a
            // timeout stays one).
            if (ec) return self.complete(ec == boost::beast::error::timeout ? ec : error_code(error::tls_failed));
            // Whatever the handshake wrote goes out before anything else.
            if (tls.pending_output().size()) {
                state = writing;
                return next.async_write_some(tls.pending_output(), std::move(self));
            }
            const auto s = tls.handshake(ec);
            if (tls.pending_output().size() && s != tls_layer::step::failed) {
                state = writing;
                return next.async_write_some(tls.pending_output(), std::move(self));
            }
            if (s == tls_layer::step::want_input) {
                state = reading;
                return next.async_read_some(tls.input_buffer(), std::move(self));
            }
            finish(self, state != start, ec);
        }
    };

    Next& next_;
    tls_layer& tls_;
};

#else // no OpenSSL: the same names, never used (a connection has no tls_layer)

struct tls_context_unavailable {};
using tls_context = std::shared_ptr<tls_context_unavailable>;

class tls_layer {
public:
    bool buffered() const noexcept { return false; }
    template <class Socket>
    std::size_t read_some(Socket&, asio::mutable_buffer, error_code& ec) {
        ec = error::transport_unavailable;
        return 0;
    }
    template <class Socket, class ConstBuffers>
    std::size_t write_some(Socket&, const ConstBuffers&, error_code& ec) {
        ec = error::transport_unavailable;
        return 0;
    }
    void close_notify() {}
    bool handshake_done() const noexcept { return true; }
    void trim() {}
    bool owes_output() const noexcept { return false; }
    template <class Socket>
    void flush_now(Socket&) {}
};

#endif

// The TLS context of clients with `o`: made once and shared while any client uses it.
// @throws std::invalid_argument when a file it names cannot be used.
SWITCHBOARD_DECL tls_context client_tls_context(const client_tls_options& o);
#ifdef SWITCHBOARD_WITH_OPENSSL
// A server's TLS context from its certificate and key files.
// @throws std::invalid_argument when they cannot be used.
SWITCHBOARD_DECL tls_context server_tls_context(const server_tls_options& o);
#endif

} // namespace switchboard::detail

#ifdef SWITCHBOARD_HEADER_ONLY
#include <switchboard/impl/tls.ipp>
#endif

#endif
