// switchboard's SSE load generator: raw Asio, one thread.
//   bench-sse-loadgen PORT fanout SUBSCRIBERS SECONDS session|plain [BATCH]
//       SUBSCRIBERS plain event streams (GET /live, Accept: text/event-stream) and one
//       publisher that POSTs events (each "<n> <send time ns>"), up to BATCH (default 1)
//       per POST, at most `window` not yet delivered to everyone. Prints deliveries/s
//       and publish-to-delivery p50/p99.
//       session: the publisher is a switchboard session (?sb=1, framed POST body);
//       plain: it POSTs the bare data to /live, one event per line (the Node peer).
//   bench-sse-loadgen PORT idle SUBSCRIBERS 0 -   opens and holds idle event streams
//       ("ready" once every one has its response head)
// Prints one line of "key=value" figures.
// Distributed under the Boost Software License, Version 1.0.
#include "bench_util.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

using bench::histogram;
using bench::now_ns;

constexpr std::size_t window = 32; // events published but not yet delivered to every subscriber

// Opens an event stream; returns the socket and the body bytes that came with the head.
std::pair<tcp::socket, std::string> open_stream(asio::io_context& ioc, unsigned short port, const std::string& target) {
    auto s = bench::connect(ioc, port);
    asio::write(s, asio::buffer("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
    std::string buf;
    const auto n = asio::read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n");
    if (buf.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("stream refused: " + buf.substr(0, 40));
    return {std::move(s), buf.substr(n)};
}

struct fanout {
    asio::io_context& ioc;
    unsigned short port;
    std::size_t subscribers;
    bool session;
    std::vector<tcp::socket> subs;
    std::vector<std::string> partial; // per subscriber: an unfinished line
    std::vector<std::array<char, 65536>> bufs;
    std::vector<std::uint32_t> delivered_count; // per event number
    std::uint64_t published = 0, completed = 0, deliveries = 0;
    histogram latency;
    bool measuring = false, stopped = false;
    tcp::socket publisher;
    std::string token;
    std::string publisher_in;
    bool posting = false;
    std::size_t batch = 1;

    fanout(asio::io_context& io, unsigned short p, std::size_t n, bool s, std::size_t b)
        : ioc(io), port(p), subscribers(n), session(s), publisher(io), batch(b) {}

    void setup() {
        for (std::size_t i = 0; i < subscribers; ++i) {
            auto [sock, rest] = open_stream(ioc, port, "/live");
            subs.push_back(std::move(sock));
            partial.push_back(std::move(rest));
        }
        bufs.resize(subscribers);
        if (session) {
            // A session of its own for the publisher: its token comes in the welcome.
            auto [sock, rest] = open_stream(ioc, port, "/live?sb=1");
            while (rest.find("\"token\":\"") == std::string::npos) {
                char b[4096];
                rest.append(b, sock.read_some(asio::buffer(b)));
            }
            const auto at = rest.find("\"token\":\"") + 9;
            token = rest.substr(at, 32);
            welcome_stream_ = std::move(sock);
            drain_welcome_stream();
        }
        publisher = bench::connect(ioc, port);
        for (std::size_t i = 0; i < subscribers; ++i) read(i);
    }

    void drain_welcome_stream() { // the publisher's own stream: read and ignored
        welcome_stream_->async_read_some(asio::buffer(drain_), [this](boost::system::error_code ec, std::size_t) {
            if (!ec && !stopped) drain_welcome_stream();
        });
    }

    void read(std::size_t i) {
        subs[i].async_read_some(asio::buffer(bufs[i]), [this, i](boost::system::error_code ec, std::size_t n) {
            if (ec || stopped) return;
            on_bytes(i, std::string_view(bufs[i].data(), n));
            read(i);
        });
    }

    // Complete lines are parsed where they lie; only an unfinished one is kept.
    void on_bytes(std::size_t i, std::string_view bytes) {
        const auto now = now_ns(); // one clock read per read: what a receiver would see
        auto& line = partial[i];
        if (!line.empty()) {
            const auto nl = bytes.find('\n');
            if (nl == std::string_view::npos) {
                line.append(bytes);
                return;
            }
            line.append(bytes.substr(0, nl));
            on_line(line, now);
            line.clear();
            bytes.remove_prefix(nl + 1);
        }
        for (;;) {
            const auto nl = bytes.find('\n');
            if (nl == std::string_view::npos) {
                line.assign(bytes);
                return;
            }
            on_line(bytes.substr(0, nl), now);
            bytes.remove_prefix(nl + 1);
        }
    }

    void on_line(std::string_view l, std::int64_t now) {
        if (l.substr(0, 6) == "data: ") on_data(l.substr(6), now);
    }

    void on_data(std::string_view data, std::int64_t now) {
        std::uint64_t n = 0;
        std::int64_t sent = 0;
        const auto space = data.find(' ');
        if (space == std::string_view::npos) throw std::runtime_error("unexpected event: " + std::string(data));
        std::from_chars(data.data(), data.data() + space, n);
        std::from_chars(data.data() + space + 1, data.data() + data.size(), sent);
        if (measuring) {
            ++deliveries;
            latency.add((now - sent) / 1000);
        }
        if (++delivered_count[n] == subscribers) {
            ++completed;
            publish();
        }
    }

    void publish() {
        if (stopped || posting || published - completed >= window) return;
        posting = true;
        std::string body;
        for (std::size_t i = 0; i < batch && published - completed < window; ++i) {
            ++published;
            delivered_count.push_back(0);
            const auto data = std::to_string(published - 1) + " " + std::to_string(now_ns());
            if (session) {
                std::string frame("E"); // built by appends: GCC 12 -O3 warns falsely on `"E" + std::string`
                frame += std::to_string(published);
                frame += " t message\n";
                frame += data;
                body += std::to_string(frame.size());
                body += ':';
                body += frame;
            } else {
                if (!body.empty()) body += '\n';
                body += data;
            }
        }
        std::string target = "/live";
        if (session) target += "?sb=1&token=" + token;
        request_ = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body;
        asio::async_write(publisher, asio::buffer(request_), [this](boost::system::error_code ec, std::size_t) {
            if (ec) throw std::runtime_error("publish failed: " + ec.message());
            read_response();
        });
    }

    void read_response() {
        // Responses are small and have a Content-Length: read until the whole one is in.
        publisher.async_read_some(asio::buffer(pbuf_), [this](boost::system::error_code ec, std::size_t n) {
            if (ec) throw std::runtime_error("publish response failed: " + ec.message());
            publisher_in.append(pbuf_.data(), n);
            const auto end = publisher_in.find("\r\n\r\n");
            if (end == std::string::npos) return read_response();
            const auto cl = publisher_in.find("Content-Length: ");
            const std::size_t length = cl == std::string::npos ? 0 : std::stoul(publisher_in.substr(cl + 16));
            if (publisher_in.size() < end + 4 + length) return read_response();
            if (publisher_in.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("publish refused: " + publisher_in);
            publisher_in.erase(0, end + 4 + length);
            posting = false;
            publish();
        });
    }

    std::optional<tcp::socket> welcome_stream_;
    std::array<char, 4096> drain_{};
    std::array<char, 4096> pbuf_{};
    std::string request_;
};

} // namespace

int main(int argc, char** argv) try {
    if (argc < 6) {
        std::cerr << "usage: bench-sse-loadgen PORT fanout|idle SUBSCRIBERS SECONDS session|plain\n";
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::stoi(argv[1]));
    const std::string mode = argv[2];
    const auto n = std::stoul(argv[3]);
    const double seconds = std::stod(argv[4]);
    asio::io_context ioc{1};

    if (mode == "idle") {
        std::vector<tcp::socket> streams;
        for (std::size_t i = 0; i < n; ++i) streams.push_back(open_stream(ioc, port, "/live").first);
        std::cout << "ready" << std::endl;
        std::this_thread::sleep_for(std::chrono::seconds(600));
        return 0;
    }

    fanout f(ioc, port, n, std::string(argv[5]) == "session", argc > 6 ? std::stoul(argv[6]) : 1);
    f.setup();
    for (std::size_t i = 0; i < window; ++i) f.publish(); // one at a time: the others follow each response
    const double elapsed = bench::timed_run(ioc, seconds, [&] { f.measuring = true; }, [&] { f.stopped = true; });
    std::printf("deliveries_per_s=%.0f events_per_s=%.0f p50_us=%lld p99_us=%lld\n",
                static_cast<double>(f.deliveries) / elapsed, static_cast<double>(f.deliveries) / elapsed / static_cast<double>(n),
                static_cast<long long>(f.latency.percentile(0.5)), static_cast<long long>(f.latency.percentile(0.99)));
} catch (const std::exception& e) {
    std::cerr << "bench-sse-loadgen: " << e.what() << "\n";
    return 1;
}
