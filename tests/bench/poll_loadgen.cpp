// switchboard's long-polling and polling load generator: raw Asio, one thread, session
// mode spoken by hand from docs/protocol.md (so the client costs next to nothing).
//   bench-poll-loadgen PORT rt CLIENTS SECONDS long-polling|sse|websocket|ceiling
//       Round trips: each client sends an event and waits for its echo, then again.
//       long-polling: a POST per event that asks for the events after the last one
//       delivered (`&last=N`, as the switchboard client sends it), so the echo comes on
//       the POST's answer while a GET stays held. sse: a POST per event, the echo on
//       the session's event stream. websocket: one frame each way on the session's
//       WebSocket. ceiling: a keep-alive GET answered at once with the bytes of a
//       one-event long-poll answer (any HTTP server; the raw Beast peer). Prints round_trips_per_s and p50/p99.
//   bench-poll-loadgen PORT fanout CLIENTS SECONDS session|plain
//       CLIENTS long-polling subscribers, one publisher that POSTs one event per POST,
//       at most 32 events not yet delivered to every subscriber. session: switchboard
//       (the publisher's first event is of type `leave`, which the benchmark server
//       answers by taking it off the topic); plain: GET /live?last=N held until an event
//       after N, POST lines (the Node peer). Prints deliveries_per_s and p50/p99.
//   bench-poll-loadgen PORT polls CLIENTS SECONDS
//       CLIENTS polling sessions, each asking again as soon as answered (nothing is
//       published): requests_per_s, and the bytes of one empty poll both ways.
// Every event's data is "<number> <send time in ns>".
// Distributed under the Boost Software License, Version 1.0.
#include "bench_util.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

using bench::histogram;
using bench::now_ns;

constexpr std::size_t window = 32; // fan-out: events published but not yet delivered to every subscriber
unsigned short port = 0;

tcp::socket connect(asio::io_context& ioc) { return bench::connect(ioc, port); }

struct run_state {
    histogram latency;
    std::uint64_t done = 0; // round trips, deliveries or requests while measuring
    bool measuring = false, stopped = false;
};
run_state state;

// "<number> <send time>": records the latency; returns the number (or -1 when the data is
// not a benchmark event, e.g. a control frame's).
std::int64_t on_data(std::string_view data, std::int64_t now) {
    if (data.empty() || data[0] < '0' || data[0] > '9') return -1;
    std::uint64_t n = 0;
    std::int64_t sent = 0;
    const auto space = data.find(' ');
    if (space == std::string_view::npos) throw std::runtime_error("unexpected event: " + std::string(data));
    std::from_chars(data.data(), data.data() + space, n);
    std::from_chars(data.data() + space + 1, data.data() + data.size(), sent);
    if (state.measuring) {
        ++state.done;
        state.latency.add((now - sent) / 1000);
    }
    return static_cast<std::int64_t>(n);
}

std::string event_data(std::uint64_t n) { return std::to_string(n) + " " + std::to_string(now_ns()); }

// `<length>:<frame>`, the upstream body's framing.
void append_framed(std::string& body, const std::string& frame) {
    body += std::to_string(frame.size());
    body += ':';
    body += frame;
}
std::string event_frame(std::uint64_t seq, std::string_view type, const std::string& data) {
    std::string f("E");
    f += std::to_string(seq);
    f += " t ";
    f += type;
    f += '\n';
    f += data;
    return f;
}

std::string get_request(const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nUser-Agent: switchboard\r\n\r\n";
}
std::string post_request(const std::string& target, const std::string& body) {
    return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Reads HTTP/1.1 responses (each with a Content-Length) off a keep-alive connection.
struct response_reader {
    explicit response_reader(tcp::socket& s) : socket(s) {}
    tcp::socket& socket;
    std::string in;
    std::array<char, 65536> buf{};
    std::uint64_t bytes = 0; // every byte read

    // f(status, body) once a whole response is in.
    void next(std::function<void(int, std::string_view)> f) {
        const auto end = in.find("\r\n\r\n");
        if (end != std::string::npos) {
            const auto cl = in.find("Content-Length: ");
            if (cl == std::string::npos || cl > end) throw std::runtime_error("no Content-Length: " + in.substr(0, end));
            const std::size_t length = std::stoul(in.substr(cl + 16));
            if (in.size() >= end + 4 + length) {
                const int status = std::stoi(in.substr(9, 3));
                const std::string body = in.substr(end + 4, length);
                in.erase(0, end + 4 + length);
                return f(status, body);
            }
        }
        socket.async_read_some(asio::buffer(buf), [this, f = std::move(f)](boost::system::error_code ec, std::size_t n) mutable {
            if (ec) {
                if (state.stopped) return;
                throw std::runtime_error("read: " + ec.message());
            }
            bytes += n;
            in.append(buf.data(), n);
            next(std::move(f));
        });
    }
};

void write(tcp::socket& s, std::shared_ptr<std::string> bytes) {
    asio::async_write(s, asio::buffer(*bytes), [bytes](boost::system::error_code ec, std::size_t) {
        if (ec && !state.stopped) throw std::runtime_error("write: " + ec.message());
    });
}

// The event stream body of an answer (or of a stream): `id:` lines set *last (the
// sequence number after the token's '-'), `data:` lines go to on_data.
template <class F>
void parse_sse(std::string_view body, std::uint64_t& last, F&& data) {
    while (!body.empty()) {
        const auto nl = body.find('\n');
        const auto line = body.substr(0, nl);
        if (line.substr(0, 4) == "id: ") {
            const auto dash = line.rfind('-');
            const auto digits = line.substr(dash == std::string_view::npos ? 4 : dash + 1);
            std::from_chars(digits.data(), digits.data() + digits.size(), last);
        } else if (line.substr(0, 6) == "data: ") {
            data(line.substr(6));
        }
        if (nl == std::string_view::npos) break;
        body.remove_prefix(nl + 1);
    }
}

std::string token_of(std::string_view welcome) {
    const auto at = welcome.find("\"token\":\"");
    if (at == std::string_view::npos) throw std::runtime_error("no welcome: " + std::string(welcome.substr(0, 80)));
    return std::string(welcome.substr(at + 9, 32));
}

// A long-polling or polling session: a handshake, then GETs on one keep-alive connection
// and POSTs on another.
struct poll_session {
    tcp::socket get, post;
    response_reader getr{get}, postr{post};
    std::string transport, token;
    std::uint64_t last = 0, up = 0;

    poll_session(asio::io_context& ioc, std::string t) : get(connect(ioc)), post(connect(ioc)), transport(std::move(t)) {
        asio::write(get, asio::buffer(get_request("/live?sb=1&transport=" + transport)));
        std::string in;
        asio::read_until(get, asio::dynamic_buffer(in), "\r\n\r\n");
        const auto cl = in.find("Content-Length: ");
        const std::size_t length = std::stoul(in.substr(cl + 16));
        const auto body_at = in.find("\r\n\r\n") + 4;
        while (in.size() < body_at + length) {
            char b[4096];
            in.append(b, get.read_some(asio::buffer(b)));
        }
        token = token_of(in);
        parse_sse(std::string_view(in).substr(body_at), last, [](std::string_view) {});
    }

    std::string poll_target() const {
        return "/live?sb=1&transport=" + transport + "&token=" + token + "&last=" + std::to_string(last) + "&poll=1";
    }

    // The next GET; f(events delivered) when it is answered.
    void poll(std::function<void(int)> f) {
        write(get, std::make_shared<std::string>(get_request(poll_target())));
        getr.next([this, f = std::move(f)](int status, std::string_view body) {
            if (status != 200) throw std::runtime_error("poll answered " + std::to_string(status));
            const auto now = now_ns();
            int events = 0;
            parse_sse(body, last, [&](std::string_view d) {
                if (on_data(d, now) >= 0) ++events;
            });
            f(events);
        });
    }

    // POSTs an event of `type` with the given data; f(events the answer carried) once
    // answered. `ask`: the POST asks for the events after `last` (as the switchboard
    // client does), and its answer carries those already there.
    void send(std::string_view type, const std::string& data, bool ask, std::function<void(int)> f) {
        std::string body;
        append_framed(body, event_frame(++up, type, data));
        std::string target = "/live?sb=1&token=" + token;
        if (ask) target += "&last=" + std::to_string(last);
        write(post, std::make_shared<std::string>(post_request(target, body)));
        postr.next([this, f = std::move(f)](int status, std::string_view answer) {
            if (status != 200) throw std::runtime_error("POST answered " + std::to_string(status) + ": " + std::string(answer));
            const auto now = now_ns();
            int events = 0;
            while (!answer.empty()) { // <length>:<frame>...
                const auto colon = answer.find(':');
                std::size_t n = 0;
                std::from_chars(answer.data(), answer.data() + colon, n);
                const auto frame = answer.substr(colon + 1, n);
                answer.remove_prefix(colon + 1 + n);
                if (frame.empty() || frame[0] != 'E') continue;
                std::uint64_t seq = 0;
                std::from_chars(frame.data() + 1, frame.data() + frame.size(), seq);
                if (seq <= last) continue; // already delivered
                last = seq;
                if (on_data(frame.substr(frame.find('\n') + 1), now) >= 0) ++events;
            }
            f(events);
        });
    }
};

// ---- round trips ------------------------------------------------------------------

struct rt_client {
    virtual ~rt_client() = default;
    virtual void start() = 0;
};

void round_trip_done() {
    if (state.measuring) ++state.done;
}

struct long_poll_rt final : rt_client {
    poll_session s;
    bool posted = true, echoed = true;
    std::uint64_t n = 0;
    explicit long_poll_rt(asio::io_context& ioc) : s(ioc, "long-polling") {}
    void start() override {
        poll();
        next();
    }
    void poll() {
        s.poll([this](int events) {
            if (events > 0) echoed = true;
            if (!state.stopped) poll();
            next();
        });
    }
    void next() {
        if (!posted || !echoed || state.stopped) return;
        posted = echoed = false;
        s.send("message", event_data(n++), true, [this](int events) {
            if (events > 0) echoed = true; // the echo came with the POST's answer
            posted = true;
            next();
        });
    }
};

struct sse_rt final : rt_client {
    tcp::socket stream, post;
    response_reader postr{post};
    std::string token, partial;
    std::array<char, 65536> buf{};
    std::uint64_t last = 0, acked = 0, up = 0, n = 0;
    bool posted = true, echoed = true;
    explicit sse_rt(asio::io_context& ioc) : stream(connect(ioc)), post(connect(ioc)) {
        asio::write(stream, asio::buffer("GET /live?sb=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
        asio::read_until(stream, asio::dynamic_buffer(partial), "\"token\":\"");
        while (partial.find('\n', partial.find("\"token\":\"")) == std::string::npos) {
            char b[4096];
            partial.append(b, stream.read_some(asio::buffer(b)));
        }
        token = token_of(partial);
        partial.erase(0, partial.rfind('\n') + 1);
    }
    void start() override {
        read();
        next();
    }
    void read() {
        stream.async_read_some(asio::buffer(buf), [this](boost::system::error_code ec, std::size_t k) {
            if (ec || state.stopped) return;
            partial.append(buf.data(), k);
            const auto end = partial.rfind('\n');
            if (end != std::string::npos) {
                const auto now = now_ns();
                parse_sse(std::string_view(partial).substr(0, end), last, [&](std::string_view d) {
                    if (on_data(d, now) >= 0) echoed = true;
                });
                partial.erase(0, end + 1);
            }
            next();
            read();
        });
    }
    void next() {
        if (!posted || !echoed || state.stopped) return;
        posted = echoed = false;
        std::string body;
        if (last > acked) append_framed(body, "A" + std::to_string(acked = last)); // acknowledge as the client does
        append_framed(body, event_frame(++up, "message", event_data(n++)));
        write(post, std::make_shared<std::string>(post_request("/live?sb=1&token=" + token, body)));
        postr.next([this](int status, std::string_view) {
            if (status != 200) throw std::runtime_error("POST answered " + std::to_string(status));
            posted = true;
            next();
        });
    }
};

// Session frames on a WebSocket: masked text frames out, unmasked frames in.
struct websocket_rt final : rt_client {
    tcp::socket socket;
    std::string in;
    std::array<char, 65536> buf{};
    std::uint64_t last = 0, acked = 0, up = 0, n = 0;
    explicit websocket_rt(asio::io_context& ioc) : socket(connect(ioc)) {
        const std::string req =
            "GET /live?sb=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        asio::write(socket, asio::buffer(req));
        const auto head = asio::read_until(socket, asio::dynamic_buffer(in), "\r\n\r\n");
        if (in.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("upgrade refused: " + in.substr(0, 40));
        in.erase(0, head);
    }
    static void append_masked(std::string& out, const std::string& payload) {
        out.push_back(static_cast<char>(0x81));
        if (payload.size() >= 126) throw std::runtime_error("frame too long for this load generator");
        out.push_back(static_cast<char>(0x80 | payload.size()));
        const char mask[4] = {0x11, 0x22, 0x33, 0x44};
        out.append(mask, 4);
        for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
    }
    void start() override {
        send();
        read();
    }
    void send() {
        auto out = std::make_shared<std::string>();
        if (last > acked) append_masked(*out, "A" + std::to_string(acked = last));
        append_masked(*out, event_frame(++up, "message", event_data(n++)));
        write(socket, out);
    }
    // Whole frames off `in`; an event frame is the echo.
    void read() {
        for (;;) {
            if (in.size() < 2) break;
            std::size_t len = static_cast<unsigned char>(in[1]) & 0x7f, at = 2;
            if (len == 126) {
                if (in.size() < 4) break;
                len = (std::size_t(static_cast<unsigned char>(in[2])) << 8) | static_cast<unsigned char>(in[3]);
                at = 4;
            } else if (len == 127) {
                throw std::runtime_error("unexpected long frame");
            }
            if (in.size() < at + len) break;
            const std::string_view payload(in.data() + at, len);
            if ((in[0] & 0x0f) == 1 && !payload.empty() && payload[0] == 'E') {
                std::from_chars(payload.data() + 1, payload.data() + payload.size(), last);
                const auto nl = payload.find('\n');
                if (on_data(payload.substr(nl + 1), now_ns()) >= 0 && !state.stopped) send();
            }
            in.erase(0, at + len);
        }
        socket.async_read_some(asio::buffer(buf), [this](boost::system::error_code ec, std::size_t k) {
            if (ec || state.stopped) return;
            in.append(buf.data(), k);
            read();
        });
    }
};

// Any HTTP server: a keep-alive GET answered at once.
struct ceiling_rt final : rt_client {
    tcp::socket socket;
    response_reader r{socket};
    std::shared_ptr<std::string> req = std::make_shared<std::string>(get_request("/live?sb=1&transport=long-polling&poll=1"));
    explicit ceiling_rt(asio::io_context& ioc) : socket(connect(ioc)) {}
    void start() override {
        write(socket, req);
        r.next([this](int status, std::string_view) {
            if (status != 200) throw std::runtime_error("GET answered " + std::to_string(status));
            round_trip_done();
            if (!state.stopped) start();
        });
    }
};

// ---- fan-out ----------------------------------------------------------------------

struct fanout {
    asio::io_context& ioc;
    std::size_t subscribers;
    bool session;
    std::vector<std::unique_ptr<poll_session>> subs;       // session mode
    std::vector<std::unique_ptr<tcp::socket>> plain_subs;   // plain mode
    std::vector<std::unique_ptr<response_reader>> plain_readers;
    std::vector<std::uint64_t> plain_last;
    std::unique_ptr<poll_session> publisher; // session mode
    std::unique_ptr<tcp::socket> plain_publisher;
    std::unique_ptr<response_reader> plain_publisher_reader;
    std::vector<std::uint32_t> delivered_count; // per event number
    std::uint64_t published = 0, completed = 0;
    bool posting = false;

    fanout(asio::io_context& io, std::size_t n, bool s) : ioc(io), subscribers(n), session(s) {}

    void setup() {
        for (std::size_t i = 0; i < subscribers; ++i) {
            if (session) {
                subs.push_back(std::make_unique<poll_session>(ioc, "long-polling"));
            } else {
                plain_subs.push_back(std::make_unique<tcp::socket>(connect(ioc)));
                plain_readers.push_back(std::make_unique<response_reader>(*plain_subs.back()));
                plain_last.push_back(0);
            }
        }
        if (session) {
            publisher = std::make_unique<poll_session>(ioc, "long-polling");
            bool left = false;
            publisher->send("leave", "", false, [&](int) { left = true; });
            while (!left) ioc.run_one();
            ioc.restart(); // it ran out of work, which stops it
        } else {
            plain_publisher = std::make_unique<tcp::socket>(connect(ioc));
            plain_publisher_reader = std::make_unique<response_reader>(*plain_publisher);
        }
        for (std::size_t i = 0; i < subscribers; ++i) poll(i);
    }

    void delivered(std::int64_t n) {
        if (n < 0) return;
        if (++delivered_count[static_cast<std::size_t>(n)] == subscribers) {
            ++completed;
            publish();
        }
    }

    void poll(std::size_t i) {
        if (state.stopped) return;
        if (session) {
            // The deliveries are counted by on_data; the numbers are in the body again, so
            // parse it here for the window (cheap next to the HTTP work).
            auto& s = *subs[i];
            write(s.get, std::make_shared<std::string>(get_request(s.poll_target())));
            s.getr.next([this, i](int status, std::string_view body) {
                if (status != 200) throw std::runtime_error("poll answered " + std::to_string(status));
                const auto now = now_ns();
                parse_sse(body, subs[i]->last, [&](std::string_view d) { delivered(on_data(d, now)); });
                poll(i);
            });
        } else {
            write(*plain_subs[i], std::make_shared<std::string>(get_request("/live?last=" + std::to_string(plain_last[i]))));
            plain_readers[i]->next([this, i](int status, std::string_view body) {
                if (status != 200) throw std::runtime_error("poll answered " + std::to_string(status));
                const auto now = now_ns();
                parse_sse(body, plain_last[i], [&](std::string_view d) { delivered(on_data(d, now)); });
                poll(i);
            });
        }
    }

    void publish() {
        if (state.stopped || posting || published - completed >= window) return;
        posting = true;
        delivered_count.push_back(0);
        const auto data = event_data(published++);
        auto answered = [this] {
            posting = false;
            publish();
        };
        if (session) return publisher->send("message", data, false, [answered](int) { answered(); });
        write(*plain_publisher, std::make_shared<std::string>(post_request("/live", data)));
        plain_publisher_reader->next([answered](int status, std::string_view) {
            if (status != 200) throw std::runtime_error("publish answered " + std::to_string(status));
            answered();
        });
    }
};

// ---- polling rate -----------------------------------------------------------------

struct poller {
    poll_session s;
    explicit poller(asio::io_context& ioc) : s(ioc, "polling") {}
    void start() {
        s.poll([this](int) {
            round_trip_done();
            if (!state.stopped) start();
        });
    }
};

template <class Setup>
void measure(asio::io_context& ioc, double seconds, Setup&& begin) {
    begin();
    const double elapsed = bench::timed_run(ioc, seconds, [] { state.measuring = true; }, [] { state.stopped = true; });
    std::printf("per_s=%.0f p50_us=%lld p99_us=%lld", static_cast<double>(state.done) / elapsed,
                static_cast<long long>(state.latency.percentile(0.5)), static_cast<long long>(state.latency.percentile(0.99)));
}

} // namespace

int main(int argc, char** argv) try {
    if (argc < 5) {
        std::cerr << "usage: bench-poll-loadgen PORT rt|fanout|polls CLIENTS SECONDS [KIND]\n";
        return 2;
    }
    port = static_cast<unsigned short>(std::stoi(argv[1]));
    const std::string mode = argv[2];
    const auto n = std::stoul(argv[3]);
    const double seconds = std::stod(argv[4]);
    const std::string kind = argc > 5 ? argv[5] : "";
    asio::io_context ioc{1};

    if (mode == "rt") {
        std::vector<std::unique_ptr<rt_client>> clients;
        for (std::size_t i = 0; i < n; ++i) {
            if (kind == "long-polling") clients.push_back(std::make_unique<long_poll_rt>(ioc));
            else if (kind == "sse") clients.push_back(std::make_unique<sse_rt>(ioc));
            else if (kind == "websocket") clients.push_back(std::make_unique<websocket_rt>(ioc));
            else if (kind == "ceiling") clients.push_back(std::make_unique<ceiling_rt>(ioc));
            else throw std::runtime_error("unknown kind: " + kind);
        }
        // A ceiling round trip has no event data: its latency is not measured, its count is.
        measure(ioc, seconds, [&] {
            for (auto& c : clients) c->start();
        });
        std::printf("\n");
    } else if (mode == "fanout") {
        fanout f(ioc, n, kind == "session");
        f.setup();
        measure(ioc, seconds, [&] {
            for (std::size_t i = 0; i < window; ++i) f.publish(); // one at a time: the others follow each answer
        });
        std::printf("\n");
    } else if (mode == "polls") {
        std::vector<std::unique_ptr<poller>> clients;
        for (std::size_t i = 0; i < n; ++i) clients.push_back(std::make_unique<poller>(ioc));
        // One empty poll, both ways, as the polling client sends it (measured on the first client).
        const auto before = clients[0]->s.getr.bytes;
        const auto request_bytes = get_request(clients[0]->s.poll_target()).size();
        bool answered = false;
        clients[0]->s.poll([&](int) { answered = true; });
        while (!answered) ioc.run_one();
        ioc.restart(); // it ran out of work, which stops it
        const auto answer_bytes = clients[0]->s.getr.bytes - before;
        measure(ioc, seconds, [&] {
            for (auto& c : clients) c->start();
        });
        std::printf(" request_bytes=%zu answer_bytes=%llu\n", request_bytes, static_cast<unsigned long long>(answer_bytes));
    } else {
        throw std::runtime_error("unknown mode: " + mode);
    }
} catch (const std::exception& e) {
    std::cerr << "bench-poll-loadgen: " << e.what() << "\n";
    return 1;
}
