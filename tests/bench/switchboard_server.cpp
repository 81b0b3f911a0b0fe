// The switchboard server under benchmark (plain mode, so that any RFC 6455 or SSE
// client can load it): echo, or fan-out of every message to every connection through a
// topic; sse: fan-out to the plain sessions (event streams) of what a session POSTs;
// lp-fanout: every session joins the topic and what is sent is published to it, but an
// event of type `leave` takes its session off the topic (the publisher's first event).
//   bench-switchboard-server PORT echo|fanout|sse|lp-fanout [THREADS]   (default 1)
// With SB_TLS_CERT and SB_TLS_KEY set (PEM files): TLS only, on PORT. With SB_REDIS set
// (HOST:PORT): a node of a cluster on that Redis (server_options::backplane).
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/switchboard.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>
#include <string>

namespace sb = switchboard;

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    const std::string mode = argv[2];
    const bool fanout = mode != "echo";
    const int threads = argc > 3 ? std::max(1, std::stoi(argv[3])) : 1;
    boost::asio::io_context ioc{threads};
    sb::server_options options{.address = "127.0.0.1", .port = static_cast<unsigned short>(std::stoi(argv[1]))};
    // Every load generator connects from 127.0.0.1: one address may hold them all.
    options.max_connections_per_address = options.max_connections;
    options.max_sessions_per_address = options.max_sessions;
    if (const char* cert = std::getenv("SB_TLS_CERT")) {
        options.tls = {.certificate_chain_file = cert, .private_key_file = std::getenv("SB_TLS_KEY"), .port = options.port};
        options.listen_plain = false;
    }
    if (const char* redis = std::getenv("SB_REDIS")) { // HOST:PORT: a node of a cluster (the backplane)
        const std::string r = redis;
        options.backplane.host = r.substr(0, r.rfind(':'));
        options.backplane.port = static_cast<unsigned short>(std::stoi(r.substr(r.rfind(':') + 1)));
        options.backplane.prefix = "bench:" + std::to_string(options.port) + ":";
    }
    sb::server server{ioc, options};
    server.on_open([&](sb::session s) {
        // echo needs no topic; sse: the publisher is not a subscriber
        if (mode == "fanout" || mode == "lp-fanout" || (mode == "sse" && !s.resumable())) s.join("all");
    });
    server.on_event([&](sb::session s, sb::event e) {
        if (e.type == "leave") s.leave("all");
        else if (fanout) server.publish("all", std::move(e));
        else s.send(std::move(e));
    });
    server.start();
    std::cout << "ready" << std::endl;
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
}
