// switchboard's WebSocket load generator: raw Asio, pre-built masked frames, one thread.
//   bench-loadgen PORT echo   CONNECTIONS PAYLOAD SECONDS   messages/s, latency p50/p99
//   bench-loadgen PORT fanout CONNECTIONS PAYLOAD SECONDS   rounds/s (every connection sends
//                                                           one message; each gets all)
//   bench-loadgen PORT idle   CONNECTIONS 0       SECONDS   opens and holds upgraded idle
//                                                           connections ("ready" once open)
//   tls-echo, tls-fanout: the same over TLS (OpenSSL through Asio; any certificate)
// Prints one line of "key=value" figures. Talks plain RFC 6455 to any server on /live.
// Distributed under the Boost Software License, Version 1.0.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/impl/src.hpp> // (Asio is compiled separately: its TLS part here)

#include <algorithm>
#include <array>
#include <functional>
#include <thread>
#include <type_traits>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

std::string masked_text_frame(std::size_t size) {
    std::string f;
    f.push_back(static_cast<char>(0x81));
    f.push_back(static_cast<char>(0x80 | size)); // payloads under 126 bytes
    f.append("\x11\x22\x33\x44", 4);
    for (std::size_t i = 0; i < size; ++i) f.push_back(static_cast<char>('a' ^ "\x11\x22\x33\x44"[i & 3]));
    return f;
}

using tls_socket = asio::ssl::stream<tcp::socket>;

// Connects (and, over TLS, makes the handshake) and upgrades synchronously (setup is
// not measured).
template <class Stream>
Stream open(asio::io_context& ioc, asio::ssl::context& tls, unsigned short port) {
    tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    socket.set_option(tcp::no_delay(true));
    Stream s = [&] {
        if constexpr (std::is_same_v<Stream, tls_socket>) {
            tls_socket t(std::move(socket), tls);
            t.handshake(asio::ssl::stream_base::client);
            return t;
        } else {
            (void)tls;
            return std::move(socket);
        }
    }();
    const std::string req =
        "GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    asio::write(s, asio::buffer(req));
    asio::streambuf buf;
    asio::read_until(s, buf, "\r\n\r\n");
    std::string head{asio::buffers_begin(buf.data()), asio::buffers_end(buf.data())};
    if (head.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("upgrade refused: " + head.substr(0, 40));
    if (buf.size() > head.find("\r\n\r\n") + 4) throw std::runtime_error("unexpected bytes after the upgrade");
    return s;
}

template <class Stream>
struct echo_conn {
    Stream socket;
    std::vector<char> in;
    clock_type::time_point sent;
};

template <class Stream>
void run_echo(asio::io_context& ioc, std::vector<Stream>& sockets, std::size_t payload, double seconds) {
    const std::string frame = masked_text_frame(payload);
    const std::size_t reply = 2 + payload;
    std::vector<std::unique_ptr<echo_conn<Stream>>> conns;
    for (auto& s : sockets)
        conns.push_back(std::make_unique<echo_conn<Stream>>(echo_conn<Stream>{std::move(s), std::vector<char>(reply), {}}));
    std::vector<double> latencies;
    latencies.reserve(4'000'000);
    const auto start = clock_type::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    std::size_t done = 0;
    std::function<void(echo_conn<Stream>&)> step = [&](echo_conn<Stream>& c) {
        c.sent = clock_type::now();
        asio::async_write(c.socket, asio::buffer(frame), [&](boost::system::error_code ec, std::size_t) {
            if (ec) throw std::runtime_error("write: " + ec.message());
            asio::async_read(c.socket, asio::buffer(c.in), [&](boost::system::error_code ec2, std::size_t) {
                if (ec2) throw std::runtime_error("read: " + ec2.message());
                const auto now = clock_type::now();
                latencies.push_back(std::chrono::duration<double, std::micro>(now - c.sent).count());
                ++done;
                if (now < end) step(c);
            });
        });
    };
    for (auto& c : conns) step(*c);
    ioc.run();
    const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) { return latencies.empty() ? 0.0 : latencies[static_cast<std::size_t>(p * (latencies.size() - 1))]; };
    std::printf("messages_per_s=%.0f p50_us=%.1f p99_us=%.1f messages=%zu\n", done / elapsed, pct(0.5), pct(0.99), done);
}

template <class Stream>
void run_fanout(asio::io_context& ioc, std::vector<Stream>& sockets, std::size_t payload, double seconds) {
    const std::string frame = masked_text_frame(payload);
    const std::size_t n = sockets.size();
    const std::size_t per_round = n * (2 + payload); // bytes each connection receives per round
    struct conn {
        Stream socket;
        std::array<char, 65536> buf{};
        std::size_t got = 0;
    };
    std::vector<std::unique_ptr<conn>> conns;
    for (auto& s : sockets) conns.push_back(std::make_unique<conn>(conn{std::move(s)}));
    std::size_t rounds = 0, finished = 0;
    std::vector<double> round_times;
    const auto start = clock_type::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    auto round_start = start;
    std::function<void()> begin_round = [&] {
        round_start = clock_type::now();
        for (auto& c : conns)
            asio::async_write(c->socket, asio::buffer(frame), [](boost::system::error_code ec, std::size_t) {
                if (ec) throw std::runtime_error("write: " + ec.message());
            });
    };
    std::function<void(conn&)> read = [&](conn& c) {
        c.socket.async_read_some(asio::buffer(c.buf), [&](boost::system::error_code ec, std::size_t k) {
            if (ec) throw std::runtime_error("read: " + ec.message());
            c.got += k;
            if (c.got >= per_round) {
                if (c.got > per_round) throw std::runtime_error("more bytes than a round");
                c.got = 0;
                if (++finished == n) {
                    finished = 0;
                    ++rounds;
                    round_times.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - round_start).count());
                    if (clock_type::now() < end) begin_round();
                    else return ioc.stop();
                }
            }
            read(c);
        });
    };
    for (auto& c : conns) read(*c);
    begin_round();
    ioc.run();
    const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(round_times.begin(), round_times.end());
    auto pct = [&](double p) { return round_times.empty() ? 0.0 : round_times[static_cast<std::size_t>(p * (round_times.size() - 1))]; };
    std::printf("rounds_per_s=%.1f deliveries_per_s=%.0f round_p50_us=%.0f round_p99_us=%.0f rounds=%zu\n",
                rounds / elapsed, rounds * double(n * n) / elapsed, pct(0.5), pct(0.99), rounds);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 6) {
        std::cerr << "usage: bench-loadgen PORT echo|fanout|idle CONNECTIONS PAYLOAD SECONDS\n";
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::stoi(argv[1]));
    const std::string mode = argv[2];
    const auto n = static_cast<std::size_t>(std::stoul(argv[3]));
    const auto payload = static_cast<std::size_t>(std::stoul(argv[4]));
    const double seconds = std::stod(argv[5]);
    if (payload >= 126) {
        std::cerr << "payloads under 126 bytes only\n";
        return 2;
    }
    try {
        asio::io_context ioc{1};
        asio::ssl::context tls{asio::ssl::context::tls_client};
        tls.set_verify_mode(asio::ssl::verify_none); // (the servers' own test certificates)
        if (mode.rfind("tls-", 0) == 0) {
            std::vector<tls_socket> streams;
            streams.reserve(n);
            for (std::size_t i = 0; i < n; ++i) streams.push_back(open<tls_socket>(ioc, tls, port));
            if (mode == "tls-echo") run_echo(ioc, streams, payload, seconds);
            else run_fanout(ioc, streams, payload, seconds);
            return 0;
        }
        std::vector<tcp::socket> sockets;
        sockets.reserve(n);
        for (std::size_t i = 0; i < n; ++i) sockets.push_back(open<tcp::socket>(ioc, tls, port));
        if (mode == "echo") run_echo(ioc, sockets, payload, seconds);
        else if (mode == "fanout") run_fanout(ioc, sockets, payload, seconds);
        else {
            std::printf("ready connections=%zu\n", sockets.size());
            std::fflush(stdout);
            std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
        }
    } catch (const std::exception& e) {
        std::cerr << "bench-loadgen: " << e.what() << "\n";
        return 1;
    }
}
