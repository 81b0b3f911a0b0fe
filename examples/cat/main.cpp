// switchboard-cat: connect to a realtime endpoint, print what arrives, send what is typed.
//
//   switchboard-cat [--transport websocket|sse|long-polling|polling|auto] [--plain]
//                   [--json] [--send TEXT]... [--type TYPE] [--linger MS]
//                   [--cacert FILE] [--insecure] URL
//
// wss:// and https:// URLs check the server's certificate against the system's
// trust store, or against the CAs in --cacert FILE; --insecure checks nothing (tests
// against self-signed servers only).
//
// Prints each received event's data on one line (base64 for binary events), or with
// --json one JSON object per line: {"type","data","id","binary"}. Sends each --send
// and each line of standard input as an event. Exits 0 when the server closes the
// session cleanly, or at the end of standard input once everything sent was
// acknowledged (after --linger milliseconds more of printing, default 250, 1250 over
// polling: an echo comes with the next poll); exits 1
// with a one-line error on failure, 2 on bad usage.
//
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/switchboard.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sb = switchboard;
namespace asio = boost::asio;

namespace {

struct arguments {
    std::string transport = "auto";
    bool plain = false;
    bool json = false;
    std::vector<std::string> sends;
    std::string type = "message";
    int linger_ms = -1; // -1: 250 ms, plus the poll interval over polling
    std::string cacert;
    bool insecure = false;
    std::string url;
};

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "switchboard-cat: " << problem << "\n"
              << "usage: switchboard-cat [--transport websocket|sse|long-polling|polling|auto] [--plain] [--json]\n"
                 "                       [--send TEXT]... [--type TYPE] [--linger MS] [--cacert FILE] [--insecure] URL\n";
    std::exit(2);
}

arguments parse(int argc, char** argv) {
    arguments a;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage("missing value after " + arg);
            return argv[++i];
        };
        if (arg == "--transport") a.transport = value();
        else if (arg == "--plain") a.plain = true;
        else if (arg == "--json") a.json = true;
        else if (arg == "--send") a.sends.push_back(value());
        else if (arg == "--type") a.type = value();
        else if (arg == "--cacert") a.cacert = value();
        else if (arg == "--insecure") a.insecure = true;
        else if (arg == "--linger") {
            const auto v = value();
            try {
                a.linger_ms = std::stoi(v);
            } catch (const std::logic_error&) {
                usage("invalid value for --linger: " + v);
            }
        } else if (!arg.empty() && arg[0] == '-') usage("unknown option " + arg);
        else if (a.url.empty()) a.url = arg;
        else usage("more than one URL");
    }
    if (a.url.empty()) usage("no URL");
    return a;
}

[[noreturn]] void fail(const std::string& what) {
    std::cout.flush();
    std::cerr << "switchboard-cat: " << what << std::endl;
    std::exit(1);
}

void print(const sb::event& e, bool json) {
    if (json) std::cout << nlohmann::json(e).dump() << '\n';
    else std::cout << (e.binary ? sb::detail::base64_encode(e.data) : e.data) << '\n';
    std::cout.flush();
}

// Runs with a client of type Client (basic_client<Transport>, or any_client for
// --transport auto: WebSocket, else SSE, else long-polling, else polling); `name` names the transport in errors.
template <class Client>
int run(const arguments& args, std::string_view name) {
    asio::io_context ioc;
    std::optional<Client> client;
    try {
        sb::client_options o{.session = !args.plain};
        o.tls.ca_file = args.cacert;
        o.tls.insecure_skip_verify = args.insecure;
        client.emplace(ioc, args.url, o);
    } catch (const std::invalid_argument& e) {
        fail(e.what());
    }
    client->on_gap([](sb::gap g) {
        std::cerr << "switchboard-cat: events " << g.first << " to " << g.last << " were lost" << std::endl;
    });

    int status = 0;
    bool stdin_done = false;
    std::function<void()> receive = [&] {
        client->async_receive([&](sb::error_code ec, sb::event e) {
            if (!ec) {
                print(e, args.json);
                return receive();
            }
            if (ec == sb::error::replay_gap) return receive(); // reported by on_gap
            if (stdin_done) return; // our own close: its completion says how it went
            if (ec != sb::error::closed) fail("connection ended: " + ec.message());
            ioc.stop(); // the server ended the session cleanly (SSE: HTTP 204): exit 0
        });
    };

    // Standard input is read on its own thread; each line becomes a send on the io_context.
    auto read_stdin = [&] {
        std::string line;
        while (std::getline(std::cin, line)) {
            asio::post(ioc, [&, line] {
                client->async_send({.type = args.type, .data = line}, [](sb::error_code ec) {
                    if (ec) fail("cannot send: " + ec.message());
                });
            });
        }
        asio::post(ioc, [&] {
            // Over polling an echo comes with the next poll, up to poll_interval later.
            const int linger = args.linger_ms >= 0 ? args.linger_ms
                                                   : 250 + (name == sb::polling::name ? 1000 : 0);
            auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(linger));
            timer->async_wait([&, timer](sb::error_code) {
                stdin_done = true;
                client->async_close([&](sb::error_code ec) {
                    if (ec) fail("not everything sent was acknowledged: " + ec.message());
                });
            });
        });
    };

    client->async_connect([&](sb::error_code ec) {
        if (ec == sb::error::transport_unavailable)
            fail("the " + std::string(name) + " transport is not available in this build");
        if (ec) fail("cannot connect to " + args.url + ": " + ec.message());
        receive();
        for (const auto& text : args.sends)
            client->async_send({.type = args.type, .data = text}, [](sb::error_code send_ec) {
                if (send_ec) fail("cannot send: " + send_ec.message());
            });
        // It may still be blocked reading when the server ends the session: detached.
        std::thread(read_stdin).detach();
    });
    ioc.run();
    return status;
}

} // namespace

int main(int argc, char** argv) {
    const auto args = parse(argc, argv);
    if (args.plain && (args.transport == "long-polling" || args.transport == "polling"))
        usage(args.transport + " has no plain mode: it speaks the session protocol only");
    if (args.transport == "auto") return run<sb::any_client>(args, "auto");
    if (args.transport == "websocket") return run<sb::basic_client<sb::websocket>>(args, sb::websocket::name);
    if (args.transport == "sse") return run<sb::basic_client<sb::sse>>(args, sb::sse::name);
    if (args.transport == "long-polling")
        return run<sb::basic_client<sb::long_polling>>(args, sb::long_polling::name);
    if (args.transport == "polling") return run<sb::basic_client<sb::polling>>(args, sb::polling::name);
    usage("unknown transport " + args.transport);
}
