// A switchboard server on 127.0.0.1 with an echo/topic protocol, for integration tests.
// Distributed under the Boost Software License, Version 1.0.
#pragma once

#include "harness.hpp"

#include <switchboard/switchboard.hpp>

#include <boost/asio/use_future.hpp>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

// The transports every integration test runs over. A test that exists for one
// transport only says why in a comment.
#define SWITCHBOARD_TRANSPORTS switchboard::websocket, switchboard::sse, switchboard::long_polling, switchboard::polling

namespace harness {

// The TLS test material, made by tests/tls/make_certs.sh (ctest's tls/certificates).
inline std::string cert_dir() { return SWITCHBOARD_TEST_CERT_DIR; }
inline std::string cert(const std::string& name) { return cert_dir() + "/" + name; }

// The directory of the TLS test material when the tests run over TLS (ctest's
// integration-tls/ tests set SWITCHBOARD_TEST_TLS), else empty: test_server then
// listens with TLS only, its URLs are wss:// and https://, and test_client trusts the
// test CA.
inline std::string tls_dir() { return std::getenv("SWITCHBOARD_TEST_TLS") ? cert_dir() : std::string(); }

// The URL of a server on 127.0.0.1:`port` for a client of Transport.
template <class Transport>
std::string url_for(unsigned short port, const std::string& path = "/live", bool secure = false) {
    const char* scheme = Transport::kind == switchboard::transport_kind::websocket ? (secure ? "wss" : "ws")
                                                                                    : (secure ? "https" : "http");
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + path;
}

// The test server: echoes every event, except
//   type "join"/"leave": joins/leaves the topic named by the data;
//   type "publish": publishes the data as an event of type "news" to topic "news".
struct test_server {
    explicit test_server(switchboard::server_options o = {}, int threads = 2) : io(threads), server(io.ioc, local(o)) {
        server.on_open([this](switchboard::session s) { opened.add(s.id()); });
        server.on_event([this](switchboard::session s, switchboard::event e) {
            // Recorded after it took effect: a test that saw it recorded can rely on it.
            const auto record = e;
            if (e.type == "join") s.join(e.data);
            else if (e.type == "leave") s.leave(e.data);
            else if (e.type == "publish") server.publish("news", {.type = "news", .data = e.data});
            else if (e.type == "close-me") s.close("asked to");
            else s.send(std::move(e));
            received.add(record);
        });
        server.on_close([this](switchboard::session, switchboard::error_code ec) { closed.add(ec); });
        server.on_backplane([this](switchboard::error_code ec) { backplane.add(ec); });
        server.start();
    }

    static switchboard::server_options local(switchboard::server_options o) {
        o.address = "127.0.0.1";
        o.port = 0;
        o.sse_retry = std::chrono::milliseconds(20); // SSE clients come back as fast as the test clients' backoff
        if (const auto dir = tls_dir(); !dir.empty() && o.tls.certificate_chain_file.empty()) {
            o.tls.certificate_chain_file = dir + "/server.pem";
            o.tls.private_key_file = dir + "/server.key";
            o.tls.port = 0;
            o.listen_plain = false;
        }
        return o;
    }

    // The port clients connect to: the TLS listener's when the tests run over TLS.
    unsigned short port() const { return tls_dir().empty() ? server.port() : server.tls_port(); }

    // The URL of this server (through `port` when given, e.g. a proxy).
    template <class Transport>
    std::string url(unsigned short via = 0) const {
        return url_for<Transport>(via ? via : port(), "/live", !tls_dir().empty());
    }

    // Declared first, destroyed last: the io threads may still be recording until joined.
    // (Ids, not session handles: a handle must not outlive the io_context.)
    recorder<std::uint64_t> opened;
    recorder<switchboard::event> received;
    recorder<switchboard::error_code> closed;
    recorder<switchboard::error_code> backplane; // server::on_backplane
    io_threads io;
    switchboard::server server;
};

// A client whose events, states and gaps are recorded (a basic_client of Transport, or
// any other client type, as any_client).
template <class Transport, class Client = switchboard::basic_client<Transport>>
struct test_client {
    // `extra`: more arguments of the client's constructor (any_client's transport list).
    template <class... Extra>
    test_client(asio::io_context& ioc, const std::string& url, switchboard::client_options o = {}, Extra&&... extra)
        : client(ioc, url, fast(o), std::forward<Extra>(extra)...) {
        client.on_event([this](switchboard::event e) { in_callback busy(callbacks); events.add(std::move(e)); });
        client.on_state([this](switchboard::state s) { in_callback busy(callbacks); states.add(s); });
        client.on_gap([this](switchboard::gap g) { in_callback busy(callbacks); gaps.add(g); });
        client.on_error([this](switchboard::error_code ec) { in_callback busy(callbacks); errors.add(ec); });
    }
    // The client closes at once, and no callback starts after that; one already running
    // on an io thread (a state seen by a test as current_state() before its callback
    // recorded it) finishes before the recorders go.
    ~test_client() {
        { Client gone = std::move(client); }
        while (callbacks.load() != 0) std::this_thread::yield();
    }
    test_client(const test_client&) = delete;
    test_client& operator=(const test_client&) = delete;

    // Short reconnect delays, unless the test chose its own longest delay; polling
    // every 50 ms unless the test chose an interval.
    static switchboard::client_options fast(switchboard::client_options o) {
        if (const auto dir = tls_dir(); !dir.empty() && o.tls.ca_file.empty()) o.tls.ca_file = dir + "/ca.pem";
        o.reconnect.initial_delay = std::chrono::milliseconds(20);
        if (o.poll_interval == switchboard::client_options{}.poll_interval) o.poll_interval = std::chrono::milliseconds(50);
        if (o.reconnect.max_delay == switchboard::reconnect_options{}.max_delay)
            o.reconnect.max_delay = std::chrono::milliseconds(200);
        return o;
    }

    void connect() {
        auto f = client.async_connect(asio::use_future);
        if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready)
            throw std::runtime_error("connect did not complete within 20 s");
        f.get();
    }
    // What a connect, or the next receive, completes with. (An error code, not an
    // exception through a future: TSan cannot see libstdc++'s exception_ptr counts.)
    switchboard::error_code connect_error(std::chrono::milliseconds within = std::chrono::seconds(20)) {
        auto p = std::make_shared<std::promise<switchboard::error_code>>();
        client.async_connect([p](switchboard::error_code ec) { p->set_value(ec); });
        return wait_for(p->get_future(), within);
    }
    switchboard::error_code receive_error(std::chrono::milliseconds within = std::chrono::seconds(20)) {
        auto p = std::make_shared<std::promise<switchboard::error_code>>();
        client.async_receive([p](switchboard::error_code ec, switchboard::event) { p->set_value(ec); });
        return wait_for(p->get_future(), within);
    }
    switchboard::error_code send_error(switchboard::event e, std::chrono::milliseconds within = std::chrono::seconds(20)) {
        auto p = std::make_shared<std::promise<switchboard::error_code>>();
        client.async_send(std::move(e), [p](switchboard::error_code ec) { p->set_value(ec); });
        return wait_for(p->get_future(), within);
    }
    static switchboard::error_code wait_for(std::future<switchboard::error_code> f, std::chrono::milliseconds within) {
        if (f.wait_for(within) != std::future_status::ready) throw std::runtime_error("did not complete in time");
        return f.get();
    }
    void send(switchboard::event e) { client.async_send(std::move(e), asio::use_future).get(); }
    void close() { client.async_close(asio::use_future).get(); }

    // Counts the callbacks running now.
    struct in_callback {
        explicit in_callback(std::atomic<int>& n) : count(n) { ++count; }
        ~in_callback() { --count; }
        std::atomic<int>& count;
    };
    std::atomic<int> callbacks{0};
    // Declared first, destroyed after the client.
    recorder<switchboard::event> events;
    recorder<switchboard::state> states;
    recorder<switchboard::gap> gaps;
    recorder<switchboard::error_code> errors;
    Client client;
};

using any_test_client = test_client<void, switchboard::any_client>;

inline std::vector<std::string> data_of(const std::vector<switchboard::event>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.data);
    return out;
}

inline std::vector<std::string> numbered(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) out.push_back(std::to_string(i));
    return out;
}

} // namespace harness
