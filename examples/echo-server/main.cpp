// echo-server: a switchboard server that echoes every event to its sender, and
// publishes events of type "broadcast" to every session (all join topic "broadcast").
//
//   switchboard-echo-server [--address A] [--port P] [--path /live] [--threads N]
//                           [--cert FILE --key FILE [--tls-port P]] [--redis HOST:PORT]
//
// With --cert and --key (a PEM certificate chain and its key) it serves TLS (wss://,
// https://) on --tls-port (default 8443) as well. With --redis it is a node of a cluster
// (server_options::backplane): its "broadcast" events reach the sessions of every echo
// server on the same Redis.
//
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/switchboard.hpp>

#include <boost/asio/signal_set.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sb = switchboard;

namespace {

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "switchboard-echo-server: " << problem << "\n"
              << "usage: switchboard-echo-server [--address A] [--port P] [--path /live] [--threads N]\n"
                 "                               [--cert FILE --key FILE [--tls-port P]] [--redis HOST:PORT]\n";
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    sb::server_options options{.address = "127.0.0.1", .port = 8080};
    int threads = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) usage("missing value after " + arg);
        const std::string value = argv[++i];
        try {
            if (arg == "--address") options.address = value;
            else if (arg == "--port") options.port = static_cast<unsigned short>(std::stoul(value));
            else if (arg == "--path") options.path = value;
            else if (arg == "--threads") threads = std::max(1, std::stoi(value));
            else if (arg == "--cert") options.tls.certificate_chain_file = value;
            else if (arg == "--key") options.tls.private_key_file = value;
            else if (arg == "--tls-port") options.tls.port = static_cast<unsigned short>(std::stoul(value));
            else if (arg == "--redis") {
                const auto colon = value.rfind(':');
                options.backplane.host = value.substr(0, colon);
                if (colon != std::string::npos)
                    options.backplane.port = static_cast<unsigned short>(std::stoul(value.substr(colon + 1)));
            }
            else usage("unknown option " + arg);
        } catch (const std::logic_error&) {
            usage("invalid value for " + arg + ": " + value);
        }
    }

    boost::asio::io_context ioc{threads};
    std::optional<sb::server> made;
    try {
        made.emplace(ioc, options);
    } catch (const std::invalid_argument& e) {
        std::cerr << "switchboard-echo-server: " << e.what() << "\n";
        return 1;
    }
    auto& server = *made;
    server.on_open([](sb::session s) {
        s.join("broadcast");
        std::clog << "[echo-server] session " << s.id() << " opened (" << (s.resumable() ? "session" : "plain") << " mode, "
                  << s.transport() << ")" << std::endl;
    });
    server.on_event([&server](sb::session s, sb::event e) {
        if (e.type == "broadcast") return server.publish("broadcast", std::move(e));
        s.send(std::move(e));
    });
    server.on_close([](sb::session s, sb::error_code ec) {
        std::clog << "[echo-server] session " << s.id() << " closed" << (ec ? ": " + ec.message() : "") << std::endl;
    });
    server.on_backplane([](sb::error_code ec) {
        std::clog << "[echo-server] backplane: " << (ec ? ec.message() : "linked to Redis") << std::endl;
    });
    try {
        server.start();
    } catch (const sb::system_error& e) {
        std::cerr << "switchboard-echo-server: cannot listen on " << options.address << ":" << options.port << ": "
                  << e.code().message() << "\n";
        return 1;
    }
    std::clog << "[echo-server] listening on " << options.address << ":" << server.port() << options.path;
    if (server.tls_port()) std::clog << " and with TLS on " << options.address << ":" << server.tls_port() << options.path;
    std::clog << " with " << threads << " thread(s)" << std::endl;

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](sb::error_code, int) {
        server.stop();
        ioc.stop();
    });
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
}
