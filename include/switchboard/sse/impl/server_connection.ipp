// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_SSE_IMPL_SERVER_CONNECTION_IPP
#define SWITCHBOARD_SSE_IMPL_SERVER_CONNECTION_IPP

#include <switchboard/detail/base64.hpp>
#include <switchboard/sse/server_connection.hpp>
#include <switchboard/sse/writer.hpp>

#include <boost/asio/dispatch.hpp>

#include <cstring>

namespace switchboard::detail::sse {

namespace {
constexpr std::string_view blank_line = "\n\n"; // ends the data of an event

bool single_line(std::string_view s) noexcept { return s.find_first_of("\r\n") == std::string_view::npos; }
} // namespace

SWITCHBOARD_DECL bool wants(const http::request<http::string_body>& req) {
    return req.method() == http::verb::get && req[http::field::accept].find("text/event-stream") != std::string_view::npos;
}

SWITCHBOARD_DECL void serve(std::shared_ptr<http_exchange> x, http::request<http::string_body> req) {
    const auto cors = x->cors(); // (a copy: the exchange is taken next)
    auto c = x->take();
    server_connection::serve(std::move(c.slot), std::move(c.socket), req, cors);
}

SWITCHBOARD_DECL void server_connection::serve(connection_slot slot, tcp::socket socket,
                                               const http::request<http::string_body>& req, std::string_view cors) {
    const auto& options = slot.core().options;
    // No Content-Length and no chunked coding: the stream is the rest of the connection.
    std::string response = "HTTP/1.1 200 OK\r\n"
                           "Content-Type: text/event-stream; charset=utf-8\r\n"
                           "Cache-Control: no-cache\r\n"
                           "X-Accel-Buffering: no\r\n"
                           "Connection: close\r\n";
    if (!cors.empty()) {
        response += "Access-Control-Allow-Origin: ";
        response += cors;
        response += "\r\nVary: Origin\r\n";
    }
    response += "\r\n";
    if (options.sse_retry.count() > 0) {
        response += sse_retry(options.sse_retry);
        response += '\n';
    }
    stream_connection::serve(std::move(slot), std::move(socket), req, std::move(response), {}, last_event_id_hint(req),
                             [](connection_slot s, stream_socket stream, const session_request& r) {
                                 return std::make_shared<server_connection>(std::move(s), std::move(stream), r.session,
                                                                             r.resumed ? r.client_last : 0);
                             });
}

SWITCHBOARD_DECL server_connection::server_connection(connection_slot slot, stream_socket socket,
                                                      std::shared_ptr<server_session> session,
                                                      sequence_number resume_from)
    : stream_connection(std::move(slot), std::move(socket), std::move(session), false), resume_from_(resume_from) {}

SWITCHBOARD_DECL void server_connection::send_event(sequence_number seq, const shared_event& ev) {
    if (closing() || dropped()) return;
    const auto& data = ev->data;
    const bool session_mode = seq != 0;
    // Session mode keeps every byte: binary data ('b') and text with a CR ('e'), which
    // an event stream cannot carry, travel as base64 with a flag on the id.
    // (Two memchr: find_first_of calls one per byte of the data.)
    const char flag = session_mode ? sse_session_flag(*ev) : 0;
    const bool has_break = std::memchr(data.data(), '\n', data.size()) || std::memchr(data.data(), '\r', data.size());
    const bool encode = ev->binary || flag;
    std::string head; // plain "data: " needs no allocation
    if (session_mode) {
        head.reserve(80);
        append_sse_session_id(head, session().token(), seq, flag);
    } else if (!ev->id.empty() && single_line(ev->id) && ev->id.find('\0') == std::string::npos) {
        head += "id: ";
        head += ev->id;
        head += '\n';
    }
    if (encode) {
        append_sse_event(head, ev->type, base64_encode(data), {});
        return enqueue(out_frame{std::move(head), nullptr});
    }
    if (!has_break) {
        // The common case: the event's bytes are shared, not copied, by every receiver.
        if (ev->type != "message") {
            head += "event: ";
            head += ev->type;
            head += '\n';
        }
        head += "data: ";
        return enqueue(out_frame{std::move(head), ev, blank_line});
    }
    append_sse_event(head, ev->type, data, {});
    enqueue(out_frame{std::move(head), nullptr});
}

SWITCHBOARD_DECL void server_connection::send_control(std::string frame) {
    if (closing() || dropped()) return;
    std::string out;
    if (!welcomed_ && !frame.empty() && frame[0] == 'W') {
        welcomed_ = true;
        append_sse_session_id(out, session().token(), resume_from_, 0); // a drop before any event still resumes
    }
    append_sse_control(out, frame);
    enqueue(out_frame{std::move(out), nullptr});
}

SWITCHBOARD_DECL void server_connection::close(error_code ec, std::string_view) { begin_close(ec); }

SWITCHBOARD_DECL void server_connection::send_heartbeat() { enqueue(out_frame{sse_comment(), nullptr}); }

SWITCHBOARD_DECL void server_connection::on_overflow() {
    if (closing() || dropped()) return;
    if (session().resumable())
        send_control(proto::encode_close(static_cast<std::uint16_t>(error::queue_full), "slow consumer"));
    begin_close(error::queue_full);
    session().detach(this, error::queue_full);
}

} // namespace switchboard::detail::sse

#endif
