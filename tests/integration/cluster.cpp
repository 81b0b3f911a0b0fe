// A cluster of servers joined by the Redis backplane (server_options::backplane), against
// real redis-servers: the shared one of the ctest fixture `redis`, and, where Redis is
// to restart, one of the test's own. Every case runs over every transport.
// Distributed under the Boost Software License, Version 1.0.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#ifdef SWITCHBOARD_WITH_REDIS

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>

using namespace harness;
using namespace std::chrono_literals;
namespace sb = switchboard;

namespace {

unsigned short shared_redis_port() {
    const auto port = redis_test_port();
    REQUIRE(port != 0);
    return port;
}

// "<prefix><n>" (appended: GCC 12 at -O3 warns, wrongly, of an overflow in "a:" + std::to_string(n)).
std::string label(std::string_view prefix, int n) { return std::string(prefix).append(std::to_string(n)); }

// Keys of their own for each test: tests share the fixture's Redis.
std::string fresh_prefix() {
    static std::atomic<int> n{0};
    return "sbtest:" + std::to_string(std::random_device{}()) + ":" + std::to_string(++n) + ":";
}

sb::server_options node_options(unsigned short redis_port, const std::string& prefix) {
    sb::server_options o;
    o.backplane.host = "127.0.0.1";
    o.backplane.port = redis_port;
    o.backplane.prefix = prefix;
    o.backplane.reconnect_initial = 20ms;
    o.backplane.reconnect_max = 200ms;
    return o;
}

std::size_t count(const recorder<sb::error_code>& r, sb::error_code ec) {
    std::size_t n = 0;
    for (const auto& e : r.items()) n += e == ec;
    return n;
}
bool has(const recorder<sb::error_code>& r, sb::error_code ec) { return count(r, ec) > 0; }

// A node whose backplane is linked (it reads the cluster's stream from here on).
void wait_linked(test_server& node) {
    REQUIRE(wait_until([&] { return has(node.backplane, {}); }));
}

// Two nodes of a cluster of their own on the shared Redis, linked.
struct two_nodes {
    explicit two_nodes(const std::string& prefix = fresh_prefix())
        : a(node_options(shared_redis_port(), prefix)), b(node_options(shared_redis_port(), prefix)) {
        wait_linked(a);
        wait_linked(b);
    }
    test_server a, b;
};

// What a client went through, for a failed wait.
template <class Client>
std::string describe(const Client& cl) {
    std::string out = "client got " + std::to_string(cl.events.size()) + " events, gaps " +
                      std::to_string(cl.gaps.size()) + ", states ";
    for (auto st : cl.states.items()) out += std::to_string(static_cast<int>(st)) + " ";
    out += ", errors ";
    for (auto ec : cl.errors.items()) out += ec.message() + "; ";
    return out;
}
// What a node's backplane reported (linked is "ok").
std::string describe(const recorder<sb::error_code>& r) {
    std::string out;
    for (auto ec : r.items()) out += (ec ? ec.message() : std::string("ok")) + "; ";
    return out;
}

// Sends `e`; a send that fails says what the client went through.
template <class Client>
void send_told(Client& cl, sb::event e) {
    try {
        cl.send(std::move(e));
    } catch (const std::exception& x) {
        FAIL(x.what() << "; " << describe(cl));
    }
}

// `n` clients on `node` that joined topic "news" (each has got one event: "ready:1").
template <class Transport>
std::vector<std::unique_ptr<test_client<Transport>>> subscribers(test_server& node, int n, unsigned short via = 0) {
    std::vector<std::unique_ptr<test_client<Transport>>> clients;
    const auto before = node.received.size();
    for (int i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<test_client<Transport>>(node.io.ioc, node.template url<Transport>(via)));
        clients.back()->connect();
        send_told(*clients.back(), {.type = "join", .data = "news"});
        // Its echo comes through the stream after the join: once it is back, the join
        // has taken effect.
        send_told(*clients.back(), {.type = "echo", .data = "ready:1"});
    }
    REQUIRE(wait_until([&] { return node.received.size() >= before + 2 * static_cast<std::size_t>(n); }));
    for (auto& c : clients) {
        const bool ready = wait_until([&] { return c->events.size() >= 1; });
        if (!ready) UNSCOPED_INFO(describe(*c) << "; node's backplane " << describe(node.backplane));
        REQUIRE(ready);
    }
    return clients;
}

// The events of `got` by publisher ("<publisher>:<n>"), in the order received.
std::map<std::string, std::vector<std::string>> by_publisher(const std::vector<sb::event>& got) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& e : got) {
        const auto colon = e.data.find(':');
        out[e.data.substr(0, colon)].push_back(e.data.substr(colon + 1));
    }
    return out;
}

// A client on `a` through `front`, that has "b:1".."b:10" from `b`, goes to `b` when
// `leave` takes it off `a`: it gets "b:11".."b:20" and its echo, nothing lost or twice.
template <class Client>
void goes_on_at_b(Client& cl, test_server& a, test_server& b, tcp_proxy& front, const std::function<void()>& leave) {
    front.retarget(b.server.port());
    leave();
    for (int i = 11; i <= 20; ++i) b.server.publish("news", {.type = "news", .data = label("b:", i)});
    const bool moved = wait_until([&] { return cl.events.size() >= 21; }, 20s);
    if (!moved) UNSCOPED_INFO(describe(cl) << "; sessions a " << a.server.session_count() << " b " << b.server.session_count());
    REQUIRE(moved);
    cl.send({.type = "echo", .data = "e:1"});
    REQUIRE(wait_until([&] { return cl.events.size() >= 22; }));
    std::this_thread::sleep_for(200ms);
    const auto got = by_publisher(cl.events.items());
    CHECK(got.at("b") == numbered(1, 20));
    CHECK(got.at("e") == numbered(1, 1));
    CHECK(cl.events.size() == 22);
}

// A redis-server of the test's own, on a free port, that can be restarted without its
// data (as a crash of a Redis without persistence does).
class own_redis {
public:
    own_redis() : dir_(std::string(SWITCHBOARD_TEST_REDIS_DIR) + "-own-" + std::to_string(std::random_device{}())) {
        start();
        std::ifstream in(dir_ + "/port");
        in >> port_;
        REQUIRE(port_ != 0);
    }
    ~own_redis() { stop(); }
    unsigned short port() const { return port_; }
    void stop() { run("stop"); }
    // Runs redis-cli with `args` against it.
    void cli(const std::string& args) {
        REQUIRE(std::system(("redis-cli -p " + std::to_string(port_) + " " + args + " >/dev/null").c_str()) == 0);
    }
    // Stops it and starts it again on the same port, empty.
    void restart() {
        const auto port = std::to_string(port_);
        // (Without this process's descriptors: a socket a daemon inherited would stay
        // open when the test closes it.)
        const std::string cmd = "for fd in $(ls /proc/$$/fd); do [ $fd -gt 2 ] && eval \"exec $fd>&-\"; done; "
                                "redis-cli -p " + port + " shutdown nosave >/dev/null 2>&1; "
                                "for i in $(seq 100); do redis-cli -p " + port + " ping >/dev/null 2>&1 || break; sleep 0.05; done; "
                                "redis-server --port " + port + " --bind 127.0.0.1 --save '' --appendonly no --daemonize yes"
                                " --pidfile " + dir_ + "/pid --logfile " + dir_ + "/log --dir " + dir_ + " && "
                                "for i in $(seq 100); do redis-cli -p " + port + " ping >/dev/null 2>&1 && exit 0; sleep 0.05; done; exit 1";
        REQUIRE(std::system(("bash -c '" + escape(cmd) + "'").c_str()) == 0);
    }

private:
    static std::string escape(const std::string& s) { // for bash -c '...'
        std::string out;
        for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
        return out;
    }
    void start() { run("start"); }
    void run(const char* what) {
        const std::string cmd = std::string("bash ") + SWITCHBOARD_TEST_SOURCE_DIR + "/redis/server.sh " + what + " " + dir_;
        REQUIRE(std::system(cmd.c_str()) == 0);
    }
    std::string dir_;
    unsigned short port_ = 0;
};

} // namespace

TEMPLATE_TEST_CASE("cluster: a publish on any node reaches every subscriber of every node once, in its node's order",
                   "[redis]", SWITCHBOARD_TRANSPORTS) {
    const auto prefix = fresh_prefix();
    const auto port = shared_redis_port();
    test_server a(node_options(port, prefix)), b(node_options(port, prefix)), c(node_options(port, prefix));
    std::array<test_server*, 3> nodes{&a, &b, &c};
    for (auto* n : nodes) wait_linked(*n);
    std::vector<std::unique_ptr<test_client<TestType>>> clients;
    for (auto* n : nodes)
        for (auto& cl : subscribers<TestType>(*n, 3)) clients.push_back(std::move(cl));
    constexpr int each = 100;
    // Interleaved, from the test's thread and from each node's own threads at once.
    std::vector<std::thread> publishers;
    for (std::size_t p = 0; p < nodes.size(); ++p)
        publishers.emplace_back([&, p] {
            for (int i = 1; i <= each; ++i)
                nodes[p]->server.publish("news", {.type = "news", .data = std::to_string(p) + ":" + std::to_string(i)});
        });
    for (auto& t : publishers) t.join();
    nodes[1]->server.broadcast({.type = "all", .data = "b:1"});
    for (auto& cl : clients) {
        REQUIRE(wait_until([&] { return cl->events.size() >= 3 * each + 2; }, 30s));
        const auto got = by_publisher(cl->events.items());
        CHECK(got.at("0") == numbered(1, each));
        CHECK(got.at("1") == numbered(1, each));
        CHECK(got.at("2") == numbered(1, each));
        CHECK(got.at("b") == std::vector<std::string>{"1"});
        CHECK(cl->gaps.size() == 0);
    }
    std::this_thread::sleep_for(100ms); // nothing more comes
    for (auto& cl : clients) CHECK(cl->events.size() == 3 * each + 2);
    for (auto* n : nodes) CHECK_FALSE(has(n->backplane, sb::error::backplane_gap));
}

TEMPLATE_TEST_CASE("cluster: a session's own sends, its joins and the publishes it gets keep their order", "[redis]",
                   SWITCHBOARD_TRANSPORTS) {
    two_nodes nodes;
    auto& a = nodes.a;
    test_client<TestType> c(a.io.ioc, a.template url<TestType>());
    c.connect();
    // Each event of the client is echoed (a send to its session), or published to
    // "news" (which it joined first): every one goes through the stream, in order.
    c.send({.type = "join", .data = "news"});
    for (int i = 1; i <= 50; ++i) {
        c.send({.type = "echo", .data = label("e", i)});
        c.send({.type = "publish", .data = label("p", i)});
    }
    REQUIRE(wait_until([&] { return c.events.size() >= 100; }));
    std::vector<std::string> expected;
    for (int i = 1; i <= 50; ++i) {
        expected.push_back(label("e", i));
        expected.push_back(label("p", i));
    }
    CHECK(data_of(c.events.items()) == expected);
    // A leave takes effect in order too: the publish after it does not come.
    c.send({.type = "leave", .data = "news"});
    c.send({.type = "publish", .data = "after leave"});
    c.send({.type = "echo", .data = "last"});
    REQUIRE(wait_until([&] { return c.events.size() >= 101; }));
    std::this_thread::sleep_for(100ms);
    CHECK(c.events.size() == 101);
    CHECK(c.events.items().back().data == "last");
}

TEMPLATE_TEST_CASE("cluster: a client whose node is cut off resumes on another node, nothing lost or twice", "[redis]",
                   SWITCHBOARD_TRANSPORTS) {
    two_nodes nodes;
    auto& a = nodes.a;
    auto& b = nodes.b;
    tcp_proxy front(a.server.port()); // the client's way in: to a, then to b
    auto c = subscribers<TestType>(a, 1, front.port());
    auto& cl = *c[0];
    for (int i = 1; i <= 20; ++i) {
        a.server.publish("news", {.type = "news", .data = label("a:", i)});
        b.server.publish("news", {.type = "news", .data = label("b:", i)});
    }
    cl.send({.type = "echo", .data = "e:1"});
    REQUIRE(wait_until([&] { return cl.events.size() >= 42; }));
    // Its node is cut off from it: the client comes back through the front, to b,
    // while both go on publishing.
    front.retarget(b.server.port());
    front.cut();
    for (int i = 21; i <= 40; ++i) {
        a.server.publish("news", {.type = "news", .data = label("a:", i)});
        b.server.publish("news", {.type = "news", .data = label("b:", i)});
    }
    const bool resumed = wait_until([&] { return cl.events.size() >= 82; }, 20s);
    if (!resumed) {
        std::string states, errors;
        for (auto st : cl.states.items()) states += std::to_string(static_cast<int>(st)) + " ";
        for (auto ec : cl.errors.items()) errors += ec.message() + "; ";
        UNSCOPED_INFO("client got " << cl.events.size() << " events, gaps " << cl.gaps.size() << ", states " << states
                                    << ", errors " << errors << "; b opened " << b.opened.size() << ", b sessions "
                                    << b.server.session_count() << ", a sessions " << a.server.session_count());
    }
    REQUIRE(resumed);
    cl.send({.type = "echo", .data = "e:2"});
    REQUIRE(wait_until([&] { return cl.events.size() >= 83; }));
    CHECK(b.server.session_count() == 1);                                // it is b's now
    REQUIRE(wait_until([&] { return a.server.session_count() == 0; })); // and a let go
    // And back to a, at once (a reads b's attach while it takes the session again).
    front.retarget(a.server.port());
    front.cut();
    for (int i = 41; i <= 50; ++i) b.server.publish("news", {.type = "news", .data = label("b:", i)});
    REQUIRE(wait_until([&] { return cl.events.size() >= 93; }, 20s));
    cl.send({.type = "echo", .data = "e:3"});
    REQUIRE(wait_until([&] { return cl.events.size() >= 94; }));
    std::this_thread::sleep_for(200ms);
    const auto got = by_publisher(cl.events.items());
    CHECK(got.at("a") == numbered(1, 40));
    CHECK(got.at("b") == numbered(1, 50));
    CHECK(got.at("e") == numbered(1, 3));
    CHECK(cl.events.size() == 94);
    CHECK(cl.gaps.size() == 0);
    CHECK(a.server.session_count() == 1);
    REQUIRE(wait_until([&] { return b.server.session_count() == 0; }));
    CHECK(a.closed.size() == 0); // (it did not end: it went on elsewhere)
    CHECK(b.closed.size() == 0);
    CHECK(a.opened.size() == 1); // (on_open once, where it opened)
    CHECK(b.opened.size() == 0);
}

// Three nodes of a cluster of their own behind a round-robin front (a load balancer
// without stickiness): each new connection goes to the next node.
struct round_robin_cluster {
    round_robin_cluster()
        : prefix(fresh_prefix()), a(node_options(shared_redis_port(), prefix)), b(node_options(shared_redis_port(), prefix)),
          c(node_options(shared_redis_port(), prefix)), front(a.server.port()) {
        for (auto* n : {&a, &b, &c}) wait_linked(*n);
        front.round_robin({a.server.port(), b.server.port(), c.server.port()});
    }
    // `cl` joins "news" (its echo comes back once the join took effect).
    template <class Client>
    void join(Client& cl) {
        cl.connect();
        send_told(cl, {.type = "join", .data = "news"});
        send_told(cl, {.type = "echo", .data = "ready:1"});
        const bool ready = wait_until([&] { return cl.events.size() >= 1; });
        if (!ready) UNSCOPED_INFO(describe(cl));
        REQUIRE(ready);
    }
    // `each` rounds: `cl` sends an echo, `p` and `q` publish; `at(i)` runs first in round i.
    template <class Client, class At>
    void rounds(Client& cl, test_server& p, test_server& q, int each, At at) {
        for (int i = 1; i <= each; ++i) {
            at(i);
            cl.send({.type = "echo", .data = label("e:", i)});
            p.server.publish("news", {.type = "news", .data = label(first, i)});
            q.server.publish("news", {.type = "news", .data = label(second, i)});
            std::this_thread::sleep_for(2ms);
        }
        const bool all = wait_until([&] { return cl.events.size() >= 3 * static_cast<std::size_t>(each) + 1; }, 30s);
        if (!all) UNSCOPED_INFO(describe(cl) << "; connections " << front.connections());
        REQUIRE(all);
        std::this_thread::sleep_for(200ms);
        // Every event once, each publisher's in order; each upstream event reached the
        // application once, on whichever node it landed; the session opened once and
        // never ended.
        const auto got = by_publisher(cl.events.items());
        CHECK(got.at("e") == numbered(1, each));
        CHECK(got.at(first.substr(0, 1)) == numbered(1, each));
        CHECK(got.at(second.substr(0, 1)) == numbered(1, each));
        CHECK(cl.events.size() == 3 * static_cast<std::size_t>(each) + 1);
        CHECK(cl.gaps.size() == 0);
        CHECK(a.received.size() + b.received.size() + c.received.size() == 2 + static_cast<std::size_t>(each));
        CHECK(a.opened.size() + b.opened.size() + c.opened.size() == 1);
        CHECK(a.closed.size() + b.closed.size() + c.closed.size() == 0);
    }
    std::string prefix;
    test_server a, b, c;
    tcp_proxy front;
    std::string first = "p:", second = "q:";
};

TEMPLATE_TEST_CASE("cluster: every request of a session may land on any node behind a round-robin front", "[redis]",
                   SWITCHBOARD_TRANSPORTS) {
    round_robin_cluster nodes;
    test_client<TestType> cl(nodes.a.io.ioc, nodes.a.template url<TestType>(nodes.front.port()));
    nodes.join(cl);
    // Every connection of the client comes again every seven rounds, to the next node.
    nodes.rounds(cl, nodes.a, nodes.b, 30, [&](int i) {
        if (i % 7 == 0) nodes.front.cut();
    });
    CHECK(cl.errors.size() == 0);
}

TEMPLATE_TEST_CASE("cluster: sessions that open at once behind a round-robin front each get their echoes and every publish",
                   "[redis]", SWITCHBOARD_TRANSPORTS) {
    // Many first requests at once: welcomes held until Redis records each session, a GET
    // after each on the same connection, POSTs landing on other nodes that bring the
    // session. (A held GET's end was once mistaken here: its client waited a heartbeat.)
    round_robin_cluster nodes;
    constexpr int n = 12;
    std::vector<std::unique_ptr<test_client<TestType>>> clients;
    std::vector<std::future<void>> pending;
    for (int i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<test_client<TestType>>(nodes.a.io.ioc, nodes.a.template url<TestType>(nodes.front.port())));
        pending.push_back(clients.back()->client.async_connect(asio::use_future));
    }
    for (auto& f : pending) REQUIRE(f.wait_for(20s) == std::future_status::ready);
    for (auto& f : pending) f.get();
    pending.clear();
    for (int i = 0; i < n; ++i) {
        pending.push_back(clients[i]->client.async_send({.type = "join", .data = "news"}, asio::use_future));
        pending.push_back(clients[i]->client.async_send({.type = "echo", .data = label("e:", i)}, asio::use_future));
    }
    for (auto& f : pending) REQUIRE(f.wait_for(20s) == std::future_status::ready);
    for (int i = 0; i < 2 * n; ++i) {
        try {
            pending[i].get();
        } catch (const std::exception& x) {
            FAIL(x.what() << "; " << describe(*clients[i / 2]));
        }
    }
    for (int i = 0; i < n; ++i) {
        const bool echoed = wait_until([&] { return clients[i]->events.size() >= 1; });
        if (!echoed) UNSCOPED_INFO(describe(*clients[i]));
        REQUIRE(echoed);
        CHECK(clients[i]->events.items()[0].data == label("e:", i));
    }
    for (int k = 1; k <= 3; ++k) nodes.c.server.publish("news", {.type = "news", .data = label("c:", k)});
    for (auto& c : clients) {
        REQUIRE(wait_until([&] { return c->events.size() >= 4; }));
        std::this_thread::sleep_for(20ms);
        CHECK(by_publisher(c->events.items()).at("c") == numbered(1, 3));
        CHECK(c->events.size() == 4);
        CHECK(c->errors.size() == 0);
    }
    CHECK(nodes.a.opened.size() + nodes.b.opened.size() + nodes.c.opened.size() == n);
}

TEST_CASE("cluster: any_client falls back from WebSocket to SSE mid-stream on a round-robin front, nothing lost or twice",
          "[redis]") {
    round_robin_cluster nodes;
    any_test_client cl(nodes.a.io.ioc, "http://127.0.0.1:" + std::to_string(nodes.front.port()) + "/live");
    nodes.join(cl);
    REQUIRE(cl.client.current_transport() == sb::transport_kind::websocket);
    nodes.rounds(cl, nodes.a, nodes.c, 60, [&](int i) {
        if (i == 20) { // the network stops passing WebSocket, and drops what is open
            nodes.front.refuse_upgrades(true);
            nodes.front.cut();
        }
        if (i == 40) nodes.front.cut(); // and then SSE's stream and POSTs move on to other nodes
    });
    CHECK(cl.client.current_transport() == sb::transport_kind::sse);
}

TEMPLATE_TEST_CASE("cluster: a node that stops lets its sessions go on on another node (a rolling restart)", "[redis]",
                   SWITCHBOARD_TRANSPORTS) {
    two_nodes nodes;
    auto& a = nodes.a;
    auto& b = nodes.b;
    tcp_proxy front(a.server.port());
    auto c = subscribers<TestType>(a, 1, front.port());
    auto& cl = *c[0];
    for (int i = 1; i <= 10; ++i) b.server.publish("news", {.type = "news", .data = label("b:", i)});
    REQUIRE(wait_until([&] { return cl.events.size() >= 11; }));
    goes_on_at_b(cl, a, b, front, [&] { a.server.stop(); });
    CHECK(cl.gaps.size() == 0);
    CHECK(a.closed.size() == 0); // it did not end
    CHECK(b.server.session_count() == 1);
}

TEMPLATE_TEST_CASE("cluster: a node cut off from Redis holds its publishes and sends them once when back",
                   "[redis]", SWITCHBOARD_TRANSPORTS) {
    const auto prefix = fresh_prefix();
    tcp_proxy to_redis(shared_redis_port()); // node a's link to Redis
    test_server a(node_options(to_redis.port(), prefix)), b(node_options(shared_redis_port(), prefix));
    wait_linked(a);
    wait_linked(b);
    auto on_a = subscribers<TestType>(a, 1);
    auto on_b = subscribers<TestType>(b, 1);
    to_redis.block(true);
    to_redis.cut();
    REQUIRE(wait_until([&] { return has(a.backplane, sb::error::backplane_unavailable); }));
    for (int i = 1; i <= 50; ++i) a.server.publish("news", {.type = "news", .data = label("a:", i)});
    for (int i = 1; i <= 50; ++i) b.server.publish("news", {.type = "news", .data = label("b:", i)});
    CHECK(wait_until([&] { return a.server.backplane_pending() == 50; }));
    // The stream orders every node's sends, its own too: a's wait for the link.
    REQUIRE(wait_until([&] { return on_b[0]->events.size() >= 51; })); // b's own
    std::this_thread::sleep_for(100ms);
    CHECK(on_a[0]->events.size() == 1);
    CHECK(on_b[0]->events.size() == 51);
    to_redis.block(false);
    REQUIRE(wait_until([&] { return on_b[0]->events.size() >= 101 && on_a[0]->events.size() >= 101; }));
    std::this_thread::sleep_for(100ms);
    for (auto* cl : {on_a[0].get(), on_b[0].get()}) {
        const auto got = by_publisher(cl->events.items());
        CHECK(got.at("a") == numbered(1, 50));
        CHECK(got.at("b") == numbered(1, 50));
        CHECK(cl->events.size() == 101);
        CHECK(cl->gaps.size() == 0);
    }
    CHECK(wait_until([&] { return a.server.backplane_pending() == 0; }));
    CHECK_FALSE(has(b.backplane, sb::error::backplane_gap));
    CHECK_FALSE(has(a.backplane, sb::error::backplane_gap));
}

TEMPLATE_TEST_CASE("cluster: publishes beyond backplane.max_pending are dropped oldest first, and the loss is reported",
                   "[redis]", SWITCHBOARD_TRANSPORTS) {
    const auto prefix = fresh_prefix();
    tcp_proxy to_redis(shared_redis_port());
    auto oa = node_options(to_redis.port(), prefix);
    oa.backplane.max_pending = 10;
    test_server a(oa), b(node_options(shared_redis_port(), prefix));
    wait_linked(a);
    wait_linked(b);
    auto on_b = subscribers<TestType>(b, 1);
    a.server.publish("news", {.type = "news", .data = "a:1"}); // b has seen a publisher's first
    REQUIRE(wait_until([&] { return on_b[0]->events.size() >= 2; }));
    to_redis.block(true);
    to_redis.cut();
    REQUIRE(wait_until([&] { return has(a.backplane, sb::error::backplane_unavailable); }));
    for (int i = 2; i <= 31; ++i) a.server.publish("news", {.type = "news", .data = label("a:", i)});
    CHECK(wait_until([&] { return a.server.backplane_pending() == 10; }));
    to_redis.block(false);
    REQUIRE(wait_until([&] { return on_b[0]->events.size() >= 12; }));
    REQUIRE(wait_until([&] { return on_b[0]->gaps.size() >= 1; }));
    std::this_thread::sleep_for(100ms);
    auto expected = std::vector<std::string>{"1"};
    for (int i = 22; i <= 31; ++i) expected.push_back(std::to_string(i));
    CHECK(by_publisher(on_b[0]->events.items()).at("a") == expected);
    CHECK(on_b[0]->gaps.size() == 1);
    CHECK(has(b.backplane, sb::error::backplane_gap));
}

TEMPLATE_TEST_CASE("cluster: a node cut off from Redis does not end a session whose client went on elsewhere", "[redis]",
                   SWITCHBOARD_TRANSPORTS) {
    const auto prefix = fresh_prefix();
    tcp_proxy to_redis(shared_redis_port()); // node a's link
    auto oa = node_options(to_redis.port(), prefix);
    oa.session_timeout = 300ms;
    test_server a(oa), b(node_options(shared_redis_port(), prefix));
    wait_linked(a);
    wait_linked(b);
    tcp_proxy front(a.server.port());
    auto c = subscribers<TestType>(a, 1, front.port());
    auto& cl = *c[0];
    // a loses Redis, and the client loses a: it goes on on b.
    to_redis.block(true);
    to_redis.cut();
    REQUIRE(wait_until([&] { return has(a.backplane, sb::error::backplane_unavailable); }));
    front.retarget(b.server.port());
    front.cut();
    b.server.publish("news", {.type = "news", .data = "b:1"});
    REQUIRE(wait_until([&] { return cl.events.size() >= 2; }));
    // a's copy outlives session_timeout: a cannot know where its client went.
    std::this_thread::sleep_for(900ms);
    CHECK(a.closed.size() == 0);
    // Linked again, a finds the client on b and lets go, without ending the session.
    to_redis.block(false);
    REQUIRE(wait_until([&] { return count(a.backplane, {}) >= 2; }));
    REQUIRE(wait_until([&] { return a.server.session_count() == 0; }));
    for (int i = 2; i <= 10; ++i) b.server.publish("news", {.type = "news", .data = label("b:", i)});
    cl.send({.type = "echo", .data = "e:1"});
    const bool all = wait_until([&] { return cl.events.size() >= 12; });
    if (!all) UNSCOPED_INFO(describe(cl));
    REQUIRE(all);
    std::this_thread::sleep_for(100ms);
    CHECK(by_publisher(cl.events.items()).at("b") == numbered(1, 10));
    CHECK(cl.gaps.size() == 0);
    CHECK(cl.errors.size() == 0);
    CHECK(a.closed.size() == 0);
    CHECK(b.closed.size() == 0);
    CHECK(b.server.session_count() == 1);
}

TEMPLATE_TEST_CASE("cluster: a node further behind than the stream holds reports the loss", "[redis]",
                   SWITCHBOARD_TRANSPORTS) {
    const auto prefix = fresh_prefix();
    tcp_proxy to_redis(shared_redis_port()); // node b's link
    auto oa = node_options(shared_redis_port(), prefix);
    oa.backplane.max_stream = 100;
    test_server a(oa), b(node_options(to_redis.port(), prefix));
    wait_linked(a);
    wait_linked(b);
    auto on_b = subscribers<TestType>(b, 1);
    to_redis.block(true);
    to_redis.cut();
    REQUIRE(wait_until([&] { return has(b.backplane, sb::error::backplane_unavailable); }));
    for (int i = 1; i <= 1000; ++i) a.server.publish("news", {.type = "news", .data = label("a:", i)});
    REQUIRE(wait_until([&] { return a.server.backplane_pending() == 0; }));
    to_redis.block(false);
    REQUIRE(wait_until([&] { return has(b.backplane, sb::error::backplane_gap); }));
    REQUIRE(wait_until([&] { return on_b[0]->gaps.size() >= 1; }));
    // What the stream still held came, in order, and the newest last.
    const bool newest_came = wait_until([&] {
        const auto got = on_b[0]->events.items();
        return !got.empty() && got.back().data == "a:1000";
    });
    if (!newest_came) {
        const auto got = on_b[0]->events.items();
        UNSCOPED_INFO("b's subscriber got " << got.size() << " events, the last " << (got.empty() ? "" : got.back().data)
                                            << "; gaps " << on_b[0]->gaps.size());
    }
    REQUIRE(newest_came);
    const auto got = by_publisher(on_b[0]->events.items()).at("a");
    CHECK(got.size() < 1000);
    CHECK(std::is_sorted(got.begin(), got.end(), [](const auto& x, const auto& y) { return std::stoi(x) < std::stoi(y); }));
}

// A new epoch: reported as a gap; then every node writes its sessions again, so they
// can still move.
TEMPLATE_TEST_CASE("cluster: Redis restarted without its data is a new epoch, reported, and its sessions can still move",
                   "[redis]", SWITCHBOARD_TRANSPORTS) {
    own_redis redis;
    const auto prefix = fresh_prefix();
    test_server a(node_options(redis.port(), prefix)), b(node_options(redis.port(), prefix));
    wait_linked(a);
    wait_linked(b);
    tcp_proxy front(a.server.port());
    auto c = subscribers<TestType>(a, 1, front.port());
    auto& cl = *c[0];
    redis.restart();
    REQUIRE(wait_until([&] { return has(a.backplane, sb::error::backplane_gap) && has(b.backplane, sb::error::backplane_gap); }));
    REQUIRE(wait_until([&] { return cl.gaps.size() >= 1; })); // (what Redis lost is reported)
    // Both linked again: what b publishes now reaches the session on a.
    REQUIRE(wait_until([&] { return count(a.backplane, {}) >= 2 && count(b.backplane, {}) >= 2; }));
    for (int i = 1; i <= 10; ++i) b.server.publish("news", {.type = "news", .data = label("b:", i)});
    REQUIRE(wait_until([&] { return cl.events.size() >= 11; }));
    // Its keys are in the new Redis: it resumes on b, its topic kept.
    goes_on_at_b(cl, a, b, front, [&] { front.cut(); });
    CHECK(cl.errors.size() == 0);
    REQUIRE(wait_until([&] { return b.server.session_count() == 1 && a.server.session_count() == 0; }));
    CHECK(a.opened.size() == 1);
}

TEMPLATE_TEST_CASE("cluster: a session's history starts where its client had every event, so it moves after the stream was trimmed",
                   "[redis]", SWITCHBOARD_TRANSPORTS) {
    const auto prefix = fresh_prefix();
    auto o = node_options(shared_redis_port(), prefix);
    o.backplane.max_stream = 100;
    test_server a(o), b(o);
    wait_linked(a);
    wait_linked(b);
    tcp_proxy front(a.server.port());
    auto c = subscribers<TestType>(a, 1, front.port());
    auto& cl = *c[0];
    // Far more than the stream keeps: where the session opened is trimmed away.
    // (In steps: a's reader keeps up, though the stream keeps only about 100.)
    for (int i = 1; i <= 600; ++i) {
        b.server.publish("news", {.type = "news", .data = label("b:", i)});
        if (i % 20 == 0) REQUIRE(wait_until([&] { return cl.events.size() >= static_cast<std::size_t>(i) + 1; }));
    }
    // Its client acknowledges them all; then its place in Redis moves (at most once a
    // second): an echo after that second is acknowledged too.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    cl.send({.type = "echo", .data = "e:1"});
    REQUIRE(wait_until([&] { return cl.events.size() >= 602; }));
    std::this_thread::sleep_for(300ms); // (its acknowledgement reaches a)
    front.retarget(b.server.port());
    front.cut();
    b.server.publish("news", {.type = "news", .data = "b:601"});
    REQUIRE(wait_until([&] { return cl.events.size() >= 603; }, 20s));
    CHECK(by_publisher(cl.events.items()).at("b") == numbered(1, 601));
    CHECK(cl.gaps.size() == 0);
    CHECK(cl.errors.size() == 0);
    REQUIRE(wait_until([&] { return b.server.session_count() == 1; }));
}

TEMPLATE_TEST_CASE("cluster: session and subscriber counts of the whole cluster", "[redis]", SWITCHBOARD_TRANSPORTS) {
    const auto prefix = fresh_prefix();
    const auto port = shared_redis_port();
    test_server a(node_options(port, prefix)), b(node_options(port, prefix)), c(node_options(port, prefix));
    for (auto* n : {&a, &b, &c}) wait_linked(*n);
    auto on_a = subscribers<TestType>(a, 2);
    auto on_b = subscribers<TestType>(b, 1);
    test_client<TestType> loner(c.io.ioc, c.template url<TestType>()); // (no topic)
    loner.connect();
    loner.send({.type = "echo", .data = "here"});
    REQUIRE(wait_until([&] { return loner.events.size() >= 1; }));
    CHECK(a.server.subscriber_count("news") == 2);
    CHECK(c.server.subscriber_count("news") == 0);
    // Within about a second every node knows the cluster's counts.
    for (auto* n : {&a, &b, &c}) {
        CHECK(wait_until([&] { return n->server.cluster_session_count() == 4; }, 5s));
        CHECK(wait_until([&] { return n->server.cluster_subscriber_count("news") == 3; }, 5s));
        CHECK(n->server.cluster_subscriber_count("other") == 0);
    }
    // A session that ends, and a node that goes, stop counting.
    on_a[0]->close();
    for (auto* n : {&b, &c}) CHECK(wait_until([&] { return n->server.cluster_subscriber_count("news") == 2; }, 5s));
    on_b.clear();
    b.server.stop();
    CHECK(wait_until([&] { return c.server.cluster_session_count() == 2; }, 8s));
    CHECK(wait_until([&] { return c.server.cluster_subscriber_count("news") == 1; }, 8s));
}

TEST_CASE("cluster: a node whose Redis is not there refuses new sessions, holds what it sends and says why", "[redis]") {
    auto o = node_options(1, fresh_prefix()); // nothing listens on port 1
    test_server a(o);
    REQUIRE(wait_until([&] { return has(a.backplane, sb::error::backplane_unavailable); }));
    // What it sends waits for Redis (the stream orders every send of the cluster).
    a.server.publish("news", {.type = "news", .data = "a:1"});
    CHECK(wait_until([&] { return a.server.backplane_pending() == 1; }));
    // A session must be in Redis before its client has its token (its next request may
    // go to any node): the handshake is refused (503, as a full server's: the client
    // reports server_full and may try again later).
    test_client<sb::websocket> c(a.io.ioc, a.url<sb::websocket>());
    CHECK(c.connect_error() == sb::error::server_full);
    CHECK(a.opened.size() == 0);
    CHECK(a.server.session_count() == 0);
    // A plain session is nobody's to resume: it is served, and its upstream events
    // reach the application.
    sb::client_options plain;
    plain.session = false;
    test_client<sb::websocket> p(a.io.ioc, a.url<sb::websocket>(), plain);
    p.connect();
    p.send({.type = "echo", .data = "1"});
    CHECK(wait_until([&] { return a.received.size() == 1; }));
    std::this_thread::sleep_for(100ms);
    CHECK(p.events.size() == 0); // (its echo waits for Redis)
    CHECK(a.server.backplane_pending() == 2);
}

TEST_CASE("cluster: a Redis that stops answering is left after backplane.timeout, and what waited goes once it answers",
          "[redis]") {
    own_redis redis;
    const auto prefix = fresh_prefix();
    auto o = node_options(redis.port(), prefix);
    o.backplane.timeout = 300ms;
    test_server a(o), b(node_options(redis.port(), prefix));
    wait_linked(a);
    wait_linked(b);
    auto on_b = subscribers<sb::websocket>(b, 1);
    redis.cli("CLIENT PAUSE 1500 ALL"); // (connections stay open: nothing answers)
    a.server.publish("news", {.type = "news", .data = "a:1"});
    REQUIRE(wait_until([&] { return has(a.backplane, sb::error::backplane_unavailable); }, 1400ms));
    REQUIRE(wait_until([&] { return count(a.backplane, {}) >= 2; }));
    REQUIRE(wait_until([&] { return on_b[0]->events.size() >= 2; }));
    std::this_thread::sleep_for(100ms);
    CHECK(by_publisher(on_b[0]->events.items()).at("a") == numbered(1, 1));
    CHECK_FALSE(has(b.backplane, sb::error::backplane_gap));
}

TEST_CASE("cluster: backplane.password is sent with AUTH, and a wrong one keeps the node unlinked", "[redis]") {
    own_redis redis;
    redis.cli("CONFIG SET requirepass s3cret");
    const auto prefix = fresh_prefix();
    auto right = node_options(redis.port(), prefix), wrong = right;
    right.backplane.password = "s3cret";
    wrong.backplane.password = "guess";
    test_server a(right), b(wrong);
    wait_linked(a);
    REQUIRE(wait_until([&] { return has(b.backplane, sb::error::backplane_unavailable); }));
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(has(b.backplane, {}));
}

#endif
