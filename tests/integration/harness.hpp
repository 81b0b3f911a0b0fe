// Helpers for integration tests: an io_context on its own threads, a waiting loop,
// and a TCP proxy whose connections a test can cut to simulate a network failure.
// Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <switchboard/switchboard.hpp>

#include <boost/asio.hpp>

#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace harness {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// An io_context run by `threads` threads until the object is destroyed.
class io_threads {
public:
    explicit io_threads(int threads = 1) : guard_(asio::make_work_guard(ioc)) {
        for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc.run(); });
    }
    ~io_threads() { stop(); }
    void stop() {
        guard_.reset();
        ioc.stop();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }
    asio::io_context ioc;

private:
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::vector<std::thread> threads_;
};

#ifdef SWITCHBOARD_TEST_REDIS_DIR
// The port of the tests' redis-server (the ctest fixture `redis`, tests/redis/server.sh);
// 0 when it is not running.
inline unsigned short redis_test_port() {
    std::ifstream in(SWITCHBOARD_TEST_REDIS_DIR "/port");
    unsigned short port = 0;
    in >> port;
    return port;
}
#endif

// Polls `pred` until it holds or `timeout` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return pred();
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Forwards every connection on its own port to 127.0.0.1:target. `cut()` closes every
// connection in progress (both sides, abruptly), as a network failure would.
class tcp_proxy {
public:
    explicit tcp_proxy(unsigned short target)
        : ioc_(io_.ioc), acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), target_(target) {
        accept();
    }
    ~tcp_proxy() {
        run([this] {
            boost::system::error_code ec;
            acceptor_.close(ec);
            cut_now();
        });
        io_.stop();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    void cut() {
        run([this] { cut_now(); });
    }
    // Refuse (close at once) new connections while true.
    void block(bool b) { state_->blocked = b; }
    // While true, answer WebSocket upgrade requests 403 (as some proxies do) and pass
    // every other request on.
    void refuse_upgrades(bool b) { refuse_requests_with(b ? "upgrade: websocket" : ""); }
    // While not empty, answer 403 to every request whose head (lower-cased) contains
    // `needle`, e.g. "transport=long-polling".
    void refuse_requests_with(std::string needle) {
        std::lock_guard lock(state_->mutex);
        state_->refuse = std::move(needle);
        state_->screening = !state_->refuse.empty() || state_->hold_streams;
    }
    // While true, hold back everything the server sends on event streams (requests
    // that accept text/event-stream), as a proxy that buffers responses does.
    void hold_streams(bool b) {
        std::lock_guard lock(state_->mutex);
        state_->hold_streams = b;
        state_->screening = !state_->refuse.empty() || b;
    }
    // New connections go to 127.0.0.1:`port` from now on (another node of a cluster).
    void retarget(unsigned short port) { target_.store(port); }
    // New connections go to each of `ports` in turn (a load balancer without
    // stickiness in front of a cluster); empty: to the target again.
    void round_robin(std::vector<unsigned short> ports) {
        std::lock_guard lock(state_->mutex);
        state_->targets = std::move(ports);
    }
    int refused_upgrades() const { return state_->refused.load(); }
    int connections() const { return state_->accepted.load(); }

private:
    // Runs f on the proxy's thread and waits for it.
    void run(std::function<void()> f) {
        std::promise<void> done;
        asio::post(ioc_, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    }
    void cut_now() {
        std::lock_guard lock(state_->mutex);
        for (auto& w : state_->pairs)
            if (auto p = w.lock()) {
                boost::system::error_code ec;
                p->a.close(ec);
                p->b.close(ec);
            }
        state_->pairs.clear();
        ++state_->cuts;
    }

    struct pair {
        explicit pair(asio::io_context& ioc, tcp::socket s) : a(std::move(s)), b(ioc) {}
        tcp::socket a, b;
        std::string head; // read by screen(), sent upstream first
        std::array<char, 16384> ab{}, ba{};
    };
    struct shared {
        std::mutex mutex;
        std::vector<std::weak_ptr<pair>> pairs;
        std::atomic<bool> blocked{false};
        std::atomic<bool> screening{false}; // a request head is read first (refuse, hold_streams)
        std::string refuse;                 // (mutex)
        bool hold_streams = false;          // (mutex)
        std::vector<unsigned short> targets; // (mutex) round_robin
        std::size_t next_target = 0;         // (mutex)
        std::atomic<int> accepted{0};
        std::atomic<int> refused{0};
        int cuts = 0;
    };

    void accept() {
        acceptor_.async_accept([this, s = state_](boost::system::error_code ec, tcp::socket socket) {
            if (ec) return;
            if (s->blocked) {
                socket.close(ec);
            } else {
                ++s->accepted;
                auto p = std::make_shared<pair>(ioc_, std::move(socket));
                {
                    std::lock_guard lock(s->mutex);
                    s->pairs.push_back(p);
                }
                if (s->screening) screen(p, s);
                else connect(p);
            }
            accept();
        });
    }
    // `hold`: nothing the server sends is passed on.
    void connect(const std::shared_ptr<pair>& p, bool hold = false) {
        unsigned short to = target_.load();
        {
            std::lock_guard lock(state_->mutex);
            if (!state_->targets.empty()) to = state_->targets[state_->next_target++ % state_->targets.size()];
        }
        p->b.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), to),
                           [p, hold](boost::system::error_code ec) {
                               if (ec) return close(p);
                               // What screen() read of the request goes first.
                               asio::async_write(p->b, asio::buffer(p->head),
                                                 [p, hold](boost::system::error_code ec2, std::size_t) {
                                                     if (ec2) return close(p);
                                                     pump(p, p->a, p->b, p->ab);
                                                     if (!hold) pump(p, p->b, p->a, p->ba);
                                                 });
                           });
    }
    // Reads the request head: a request may be refused, an event stream held back,
    // anything else is passed on.
    void screen(const std::shared_ptr<pair>& p, const std::shared_ptr<shared>& s) {
        asio::async_read_until(p->a, asio::dynamic_buffer(p->head), "\r\n\r\n",
                               [this, p, s](boost::system::error_code ec, std::size_t) {
                                   if (ec) return close(p);
                                   std::string lower = p->head;
                                   for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                                   std::string refuse;
                                   bool hold = false;
                                   {
                                       std::lock_guard lock(s->mutex);
                                       refuse = s->refuse;
                                       hold = s->hold_streams;
                                   }
                                   if (hold && lower.find("text/event-stream") != std::string::npos)
                                       return connect(p, true);
                                   if (refuse.empty() || lower.find(refuse) == std::string::npos) return connect(p);
                                   ++s->refused;
                                   static const std::string forbidden =
                                       "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                                   asio::async_write(p->a, asio::buffer(forbidden),
                                                     [p](boost::system::error_code, std::size_t) { close(p); });
                               });
    }
    static void close(const std::shared_ptr<pair>& p) {
        boost::system::error_code ec;
        p->a.close(ec);
        p->b.close(ec);
    }
    static void pump(std::shared_ptr<pair> p, tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
        from.async_read_some(asio::buffer(buf), [p, &from, &to, &buf](boost::system::error_code ec, std::size_t n) {
            if (ec) return close(p);
            asio::async_write(to, asio::buffer(buf.data(), n), [p, &from, &to, &buf](boost::system::error_code ec2, std::size_t) {
                if (ec2) return close(p);
                pump(p, from, to, buf);
            });
        });
    }

    io_threads io_{1};
    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
    std::atomic<unsigned short> target_;
    std::shared_ptr<shared> state_ = std::make_shared<shared>();
};

// A thread-safe record of what a client or server received.
template <class T>
class recorder {
public:
    void add(T v) {
        std::lock_guard lock(mutex_);
        items_.push_back(std::move(v));
    }
    std::vector<T> items() const {
        std::lock_guard lock(mutex_);
        return items_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }

private:
    mutable std::mutex mutex_;
    std::vector<T> items_;
};

// A hand-written HTTP server on 127.0.0.1 for testing clients against exact bytes:
// each connection runs `handler(socket, request head, connection index)` on its own
// thread, with blocking socket calls. Destruction ends every connection.
class raw_http_server {
public:
    using handler = std::function<void(tcp::socket&, const std::string& head, int index)>;

    explicit raw_http_server(handler h)
        : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), handler_(std::move(h)) {
        port_ = acceptor_.local_endpoint().port();
        accept_thread_ = std::thread([this] { loop(); });
    }
    ~raw_http_server() {
        stop_ = true;
        {
            tcp::socket wake(ioc_); // unblocks accept()
            boost::system::error_code ec;
            wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
            accept_thread_.join();
        }
        {
            std::lock_guard lock(mutex_);
            for (auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR); // unblocks the handlers' reads
        }
        for (auto& t : threads_) t.join();
    }
    unsigned short port() const { return port_; }
    int connections() const { return count_.load(); }
    std::string url(const std::string& path = "/events") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

    // Reads a request head (through the blank line) from `s`; empty at end of stream.
    static std::string read_head(tcp::socket& s) {
        std::string head;
        boost::system::error_code ec;
        asio::read_until(s, asio::dynamic_buffer(head), "\r\n\r\n", ec);
        return ec ? std::string() : head;
    }
    static void write(tcp::socket& s, std::string_view bytes) {
        boost::system::error_code ec;
        asio::write(s, asio::buffer(bytes), ec);
    }

private:
    void loop() {
        for (int index = 0;; ++index) {
            auto s = std::make_shared<tcp::socket>(ioc_);
            boost::system::error_code ec;
            acceptor_.accept(*s, ec);
            if (stop_ || ec) return;
            ++count_;
            std::lock_guard lock(mutex_);
            sockets_.push_back(s); // kept open until the end: a closed descriptor could be reused
            threads_.emplace_back([this, s, index] {
                const auto head = read_head(*s);
                if (!head.empty()) handler_(*s, head, index);
                boost::system::error_code ignored;
                s->shutdown(tcp::socket::shutdown_both, ignored);
            });
        }
    }

    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    handler handler_;
    unsigned short port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> count_{0};
    std::mutex mutex_;
    std::vector<std::shared_ptr<tcp::socket>> sockets_;
    std::vector<std::thread> threads_;
    std::thread accept_thread_;
};

} // namespace harness
