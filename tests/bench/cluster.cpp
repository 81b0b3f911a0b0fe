// Cluster benchmarks (the Redis backplane): in one process, NODES switchboard servers
// (each its own io_context and thread) on one Redis, and WebSocket clients in session
// mode on an io_context of their own. With REDIS_PORT 0 there is no backplane (one
// node): the single-node figure the others are set against.
//   bench-cluster fanout REDIS_PORT NODES SUBSCRIBERS EVENTS
//       subscribers spread over the nodes, EVENTS published on the first node:
//       prints deliveries/s
//   bench-cluster latency REDIS_PORT NODES SAMPLES
//       one subscriber on the last node, a publish on the first every 2 ms: prints the
//       publish-to-delivery p50 and p99 in microseconds
//   bench-cluster resume REDIS_PORT SESSIONS WAIT_MS
//       SESSIONS clients on node A through a proxy, each with an event it acknowledged
//       WAIT_MS before; the proxy sends them to node B (to A again without Redis) and
//       cuts every connection at once: prints the time until every session is open
//       again and has an event published after the cut. (A session's place in Redis
//       moves at most once a second: with WAIT_MS under 1000 each new node reads the
//       stream from where the session opened; above, from after that event.)
// Distributed under the Boost Software License, Version 1.0.
#include "../integration/harness.hpp"

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

namespace sb = switchboard;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct node {
    node(unsigned short redis_port, const std::string& prefix) : io(1), server(io.ioc, options(redis_port, prefix)) {
        server.on_open([](sb::session s) { s.join("all"); });
        server.on_backplane([this](sb::error_code ec) {
            if (!ec) linked = true;
        });
        server.start();
    }
    static sb::server_options options(unsigned short redis_port, const std::string& prefix) {
        sb::server_options o{.address = "127.0.0.1", .port = 0};
        o.max_connections_per_address = o.max_connections;
        o.max_sessions_per_address = o.max_sessions;
        if (redis_port != 0) {
            o.backplane.host = "127.0.0.1";
            o.backplane.port = redis_port;
            o.backplane.prefix = prefix;
            o.backplane.reconnect_initial = 20ms;
        }
        return o;
    }
    std::atomic<bool> linked{false};
    harness::io_threads io;
    sb::server server;
};

struct cluster {
    cluster(unsigned short redis_port, int n) {
        const auto prefix = "bench:" + std::to_string(clock_type::now().time_since_epoch().count()) + ":";
        for (int i = 0; i < n; ++i) nodes.push_back(std::make_unique<node>(redis_port, prefix));
        if (redis_port != 0)
            for (auto& nd : nodes)
                if (!harness::wait_until([&] { return nd->linked.load(); }, 10s)) throw std::runtime_error("not linked");
    }
    std::vector<std::unique_ptr<node>> nodes;
};

struct client {
    client(asio::io_context& ioc, unsigned short port, std::function<void(const sb::event&)> f)
        : c(ioc, "ws://127.0.0.1:" + std::to_string(port) + "/live", fast()) {
        c.on_event(std::move(f));
        c.on_state([this](sb::state s) {
            if (s == sb::state::open) ++opens;
        });
    }
    static sb::client_options fast() {
        sb::client_options o;
        o.reconnect.initial_delay = 10ms;
        o.reconnect.max_delay = 200ms;
        return o;
    }
    sb::basic_client<sb::websocket> c;
    std::atomic<int> opens{0};
};

// Opens every client (each joins "all" on its node), then lets the joins go through.
void open_all(std::vector<std::unique_ptr<client>>& clients) {
    std::vector<std::future<void>> done;
    for (auto& cl : clients) done.push_back(cl->c.async_connect(asio::use_future));
    for (auto& f : done) f.get();
    std::this_thread::sleep_for(500ms);
}

// Publishes `n` events of `bytes` bytes on `nd`, pausing while the backplane holds many.
void publish(node& nd, int n, std::size_t bytes) {
    const std::string data(bytes, 'x');
    for (int i = 0; i < n; ++i) {
        nd.server.publish("all", {.type = "news", .data = data});
        if (i % 64 == 63)
            while (nd.server.backplane_pending() > 2000) std::this_thread::sleep_for(100us);
    }
}

int fanout(unsigned short redis_port, int n_nodes, int subscribers, int events) {
    cluster cl(redis_port, n_nodes);
    harness::io_threads clients_io(1);
    std::atomic<long> delivered{0};
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < subscribers; ++i)
        clients.push_back(std::make_unique<client>(clients_io.ioc, cl.nodes[i % n_nodes]->server.port(),
                                                   [&](const sb::event&) { ++delivered; }));
    open_all(clients);
    const long want = static_cast<long>(subscribers) * events;
    const auto t0 = clock_type::now();
    publish(*cl.nodes[0], events, 32);
    if (!harness::wait_until([&] { return delivered.load() >= want; }, 120s)) {
        std::cerr << "fanout: " << delivered.load() << " of " << want << " delivered\n";
        return 1;
    }
    const std::chrono::duration<double> took = clock_type::now() - t0;
    std::cout << "deliveries_per_s=" << static_cast<long>(want / took.count()) << " seconds=" << took.count() << "\n";
    return 0;
}

int latency(unsigned short redis_port, int n_nodes, int samples) {
    cluster cl(redis_port, n_nodes);
    harness::io_threads clients_io(1);
    std::mutex m;
    std::vector<double> us;
    std::vector<std::unique_ptr<client>> clients;
    clients.push_back(std::make_unique<client>(clients_io.ioc, cl.nodes.back()->server.port(), [&](const sb::event& e) {
        const auto sent = std::stoll(e.data);
        const auto now = clock_type::now().time_since_epoch().count();
        std::lock_guard lock(m);
        us.push_back(static_cast<double>(now - sent) / 1000.0);
    }));
    open_all(clients);
    for (int i = 0; i < samples; ++i) {
        cl.nodes[0]->server.publish("all", {.type = "t", .data = std::to_string(clock_type::now().time_since_epoch().count())});
        std::this_thread::sleep_for(2ms);
    }
    if (!harness::wait_until([&] {
            std::lock_guard lock(m);
            return static_cast<int>(us.size()) >= samples;
        }, 30s)) {
        std::cerr << "latency: not every sample arrived\n";
        return 1;
    }
    std::lock_guard lock(m);
    std::sort(us.begin(), us.end());
    std::cout << "p50_us=" << us[us.size() / 2] << " p99_us=" << us[us.size() * 99 / 100] << "\n";
    return 0;
}

int resume(unsigned short redis_port, int sessions, int wait_ms) {
    cluster cl(redis_port, redis_port != 0 ? 2 : 1);
    auto& a = *cl.nodes[0];
    auto& b = *cl.nodes.back();
    harness::tcp_proxy front(a.server.port());
    harness::io_threads clients_io(1);
    std::vector<std::unique_ptr<client>> clients;
    std::vector<std::unique_ptr<std::atomic<bool>>> got_after;
    for (int i = 0; i < sessions; ++i) {
        got_after.push_back(std::make_unique<std::atomic<bool>>(false));
        auto* flag = got_after.back().get();
        clients.push_back(std::make_unique<client>(clients_io.ioc, front.port(), [flag](const sb::event& e) {
            if (e.data == "after") *flag = true;
        }));
    }
    open_all(clients);
    std::this_thread::sleep_for(1000ms);
    a.server.publish("all", {.type = "t", .data = "before"});
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    front.retarget(b.server.port());
    const auto t0 = clock_type::now();
    front.cut();
    // Published until every session has one (a publish reaches the sessions that are
    // back; the others get it replayed when they resume).
    b.server.publish("all", {.type = "t", .data = "after"});
    const bool all = harness::wait_until([&] {
        for (std::size_t i = 0; i < clients.size(); ++i)
            if (clients[i]->opens.load() < 2 || !got_after[i]->load()) return false;
        return true;
    }, 120s);
    const std::chrono::duration<double, std::milli> took = clock_type::now() - t0;
    if (!all) {
        std::cerr << "resume: not every session came back\n";
        return 1;
    }
    std::cout << "resume_ms=" << took.count() << " sessions_on_b=" << b.server.session_count() << "\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: bench-cluster fanout|latency|resume REDIS_PORT ...\n";
        return 2;
    }
    const std::string mode = argv[1];
    const auto redis_port = static_cast<unsigned short>(std::stoi(argv[2]));
    try {
        if (mode == "fanout" && argc == 6) return fanout(redis_port, std::stoi(argv[3]), std::stoi(argv[4]), std::stoi(argv[5]));
        if (mode == "latency" && argc == 5) return latency(redis_port, std::stoi(argv[3]), std::stoi(argv[4]));
        if (mode == "resume" && argc == 5) return resume(redis_port, std::stoi(argv[3]), std::stoi(argv[4]));
    } catch (const std::exception& e) {
        std::cerr << "bench-cluster: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "bench-cluster: bad arguments\n";
    return 2;
}
