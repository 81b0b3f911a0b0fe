// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_IMPL_STREAM_CONNECTION_IPP
#define SWITCHBOARD_IMPL_STREAM_CONNECTION_IPP

#include <switchboard/detail/stream_connection.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace switchboard::detail {

SWITCHBOARD_DECL stream_connection::stream_connection(connection_slot slot, stream_socket socket,
                                                      std::shared_ptr<server_session> session, bool watch_peer)
    : slot_(std::move(slot)),
      socket_(std::move(socket)),
      session_(std::move(session)),
      hb_(session_->options().heartbeat),
      watch_peer_(watch_peer) {}

SWITCHBOARD_DECL void stream_connection::start(std::string first, std::string leftover) {
    error_code ec;
    socket_.non_blocking(true, ec);
    socket_.set_option(tcp::no_delay(true), ec);
    if (auto* tls = slot_.tls()) tls->trim();
    enqueue(out_frame{std::move(first), nullptr});
    arm_timer();
    if (!leftover.empty()) on_bytes(leftover.data(), leftover.size());
    if (!dropped_) read();
}

SWITCHBOARD_DECL void stream_connection::enqueue(out_frame f) {
    if (dropped_) return;
    const auto cost = f.cost();
    if (!overflowed_ && queued_bytes_ + cost > session_->options().max_queued_bytes) {
        overflowed_ = true; // what on_overflow queues (a close) goes through; nothing after it
        return on_overflow();
    }
    queued_bytes_ += cost;
    if (!q_) q_ = std::make_unique<write_queue>();
    q_->pending.push_back(std::move(f));
    if (!q_->writing.empty() || batching_ || flush_posted_) return;
    // Not at once: whatever else is queued on the strand right now (the rest of a
    // burst of publishes, a replay) goes out in the same write.
    flush_posted_ = true;
    asio::post(session_->strand(), [self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
    });
}

SWITCHBOARD_DECL void stream_connection::flush() {
    if (!q_ || q_->pending.empty() || !q_->writing.empty() || dropped_) return;
    auto& writing = q_->writing;
    auto& buffers = q_->buffers;
    writing.swap(q_->pending);
    // Small pieces (headers, short events) are copied into one contiguous run: the
    // kernel's cost per iovec outweighs a copy of a few hundred bytes; larger event
    // data is written from its shared bytes. Reserved first, so `flat` never moves.
    constexpr std::size_t copy_below = 256;
    auto& flat = q_->flat;
    flat.clear();
    std::size_t small = 0;
    const auto measure = [&](std::size_t n) { small += n < copy_below ? n : 0; };
    for (const auto& f : writing) {
        measure(f.head.size());
        if (f.ev) measure(f.ev->data.size());
        measure(f.tail.size());
    }
    flat.reserve(small);
    buffers.clear();
    buffers.reserve(writing.size() * 3);
    std::size_t run = 0; // where the run of copied bytes being built starts in `flat`
    const auto piece = [&](const char* p, std::size_t n) {
        if (n == 0) return;
        if (n < copy_below) {
            flat.append(p, n);
            return;
        }
        if (flat.size() > run) buffers.push_back(asio::buffer(flat.data() + run, flat.size() - run));
        run = flat.size();
        buffers.push_back(asio::buffer(p, n));
    };
    std::size_t total = 0;
    for (const auto& f : writing) {
        piece(f.head.data(), f.head.size());
        if (f.ev) {
            carried_events_ = true;
            piece(f.ev->data.data(), f.ev->data.size());
        }
        piece(f.tail.data(), f.tail.size());
        total += f.size();
    }
    if (flat.size() > run) buffers.push_back(asio::buffer(flat.data() + run, flat.size() - run));
    // First at once: a socket with room takes it all, with no completion to run later.
    error_code ec;
    auto* tls = slot_.tls();
    auto n = tls ? tls->write_some(socket_, buffers, ec) : socket_.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) n = 0, ec = {};
    if (ec || n == total) return on_written(ec);
    // The rest when the socket has room again, within send_timeout of each progress.
    waiting_for_room_ = true;
    write_progress_ = heartbeat::clock::now();
    arm_timer();
    write_rest_after(n);
}

SWITCHBOARD_DECL void stream_connection::write_rest_after(std::size_t n) {
    auto& buffers = q_->buffers;
    auto first = buffers.begin();
    while (first != buffers.end() && n >= first->size()) n -= (first++)->size();
    if (first != buffers.end()) *first += n;
    buffers.erase(buffers.begin(), first);
    if (buffers.empty()) return on_written({});
    auto done = asio::bind_executor(session_->strand(), [self = shared_from_this()](error_code ec, std::size_t written) {
        if (ec || self->dropped_) return self->on_written(ec ? ec : asio::error::operation_aborted);
        self->write_progress_ = heartbeat::clock::now();
        self->write_rest_after(written);
    });
#ifdef SWITCHBOARD_WITH_OPENSSL
    if (auto* tls = slot_.tls()) return tls_stream<stream_socket>(socket_, *tls).async_write_some(buffers, std::move(done));
#endif
    socket_.async_write_some(buffers, std::move(done));
}

SWITCHBOARD_DECL void stream_connection::on_written(error_code ec) {
    waiting_for_room_ = false;
    if (q_) {
        for (const auto& f : q_->writing) queued_bytes_ -= f.cost();
        q_->writing.clear();
    }
    if (ec) return drop(error::connection_lost);
    hb_.sent(heartbeat::clock::now());
    if (q_ && !q_->pending.empty()) return flush();
    // Idle: a connection that carries events keeps a queue for up to 16 frames (about
    // 1.5 KiB), so that steady traffic does not allocate per write; one that only had
    // a handshake or heartbeats keeps none.
    if (carried_events_ && q_) {
        if (q_->writing.capacity() > 16) q_->writing = {};
        if (q_->pending.capacity() > 16) q_->pending = {};
        if (q_->buffers.capacity() > 48) q_->buffers = {};
        if (q_->flat.capacity() > 1024) q_->flat = {};
    } else {
        q_.reset();
    }
    carried_events_ = false;
    if (closing_ && !lingering_) {
        // Everything is out; read (and discard) until the peer ends the connection.
        lingering_ = true;
        error_code ignored;
        if (auto* tls = slot_.tls()) { // close_notify, if the socket takes it now
            tls->close_notify();
            tls->flush_now(socket_);
        }
        socket_.shutdown(stream_socket::shutdown_send, ignored);
    }
}

SWITCHBOARD_DECL void stream_connection::begin_close(error_code ec) {
    if (closing_ || dropped_) return;
    closing_ = true;
    close_ec_ = ec;
    // However slow the peer, the connection ends within linger_time from now.
    close_deadline_ = heartbeat::clock::now() + std::chrono::milliseconds(linger_ms);
    arm_timer();
    if (!q_ || (q_->pending.empty() && q_->writing.empty())) on_written({});
}

SWITCHBOARD_DECL void stream_connection::read() {
    if (auto* tls = slot_.tls(); tls && tls->buffered()) // decrypted bytes wait in the layer
        return asio::post(session_->strand(), [self = shared_from_this()] { self->on_readable({}); });
    socket_.async_wait(stream_socket::wait_read, asio::bind_executor(session_->strand(), [self = shared_from_this()](error_code ec) {
                           self->on_readable(ec);
                       }));
}

SWITCHBOARD_DECL void stream_connection::on_readable(error_code ec) {
    if (dropped_) return;
    if (ec) return drop(error::connection_lost);
    static thread_local std::array<char, 64 * 1024> buffer;
    auto* tls = slot_.tls();
    const auto n = tls ? tls->read_some(socket_, asio::buffer(buffer), ec) : socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return read();
    if (ec) return drop(lingering_ ? close_ec_ : error_code(error::connection_lost));
    hb_.received(heartbeat::clock::now());
    if (!lingering_) {
        // What this read makes us send (echoes, pongs) goes out in one write, after it.
        batching_ = true;
        on_bytes(buffer.data(), n);
        batching_ = false;
        flush();
        // What reading made TLS owe the peer (a key update), if no write will take it.
        if (tls && tls->owes_output() && !dropped_ && (!q_ || q_->writing.empty())) tls->flush_now(socket_);
    }
    if (!dropped_) read();
}

SWITCHBOARD_DECL void stream_connection::arm_timer() {
    // One wake-up at a time is asked of the wheel; a later deadline waits for it (the
    // wake-up finds it too early and asks again), an earlier one asks now.
    auto want = closing_ ? close_deadline_ : hb_.next_deadline();
    if (waiting_for_room_) want = std::min(want, write_progress_ + session_->options().send_timeout);
    if (want >= wheel_at_) return;
    wheel_at_ = want;
    session_->core().wheel().schedule(weak_from_this(), want);
}

SWITCHBOARD_DECL void stream_connection::wake(heartbeat::clock::time_point when) {
    asio::post(session_->strand(), [self = shared_from_this(), when] {
        // Only the wake-up asked for last: one that an earlier deadline replaced would
        // start a second chain of wake-ups, forever.
        if (when != self->wheel_at_) return;
        self->wheel_at_ = heartbeat::clock::time_point::max();
        self->on_timer();
    });
}

SWITCHBOARD_DECL void stream_connection::on_timer() {
    if (dropped_) return;
    const auto now = heartbeat::clock::now();
    if (waiting_for_room_ && now - write_progress_ >= session_->options().send_timeout) {
        close_ec_ = error::send_timeout; // the peer stopped reading: nothing more can reach it
        return drop(error::send_timeout);
    }
    if (closing_) {
        if (now >= close_deadline_) return drop(close_ec_);
        return arm_timer();
    }
    if (watch_peer_ && hb_.peer_dead(now)) {
        close_ec_ = error::heartbeat_timeout;
        return drop(error::heartbeat_timeout);
    }
    if (!watch_peer_) hb_.received(now); // only the write side is watched
    if (hb_.ping_due(now)) {
        send_heartbeat();
        hb_.sent(now);
    }
    arm_timer();
}

SWITCHBOARD_DECL void stream_connection::drop(error_code ec) {
    if (dropped_) return;
    dropped_ = true;
    error_code ignored;
    socket_.shutdown(stream_socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (q_) q_->pending = {}; // (what is being written stays until its write completes)
    session_->detach(this, ec);
}

} // namespace switchboard::detail

#endif
