// The websocketpp peer of switchboard's WebSocket benchmark (Debian libwebsocketpp-dev;
// websocketpp compiles as C++17 only, so this target is built as C++17).
//   bench-websocketpp-server PORT echo|fanout
// Distributed under the Boost Software License, Version 1.0.
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <iostream>
#include <set>
#include <string>

using server_type = websocketpp::server<websocketpp::config::asio>;

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    const bool fanout = std::string(argv[2]) == "fanout";
    server_type server;
    std::set<websocketpp::connection_hdl, std::owner_less<websocketpp::connection_hdl>> everyone;
    server.clear_access_channels(websocketpp::log::alevel::all);
    server.clear_error_channels(websocketpp::log::elevel::all);
    server.init_asio();
    server.set_reuse_addr(true);
    server.set_open_handler([&](websocketpp::connection_hdl h) { everyone.insert(h); });
    server.set_close_handler([&](websocketpp::connection_hdl h) { everyone.erase(h); });
    server.set_fail_handler([&](websocketpp::connection_hdl h) { everyone.erase(h); });
    server.set_message_handler([&](websocketpp::connection_hdl h, server_type::message_ptr msg) {
        websocketpp::lib::error_code ec;
        if (!fanout) return server.send(h, msg, ec);
        for (const auto& c : everyone) server.send(c, msg, ec); // one message object, shared
    });
    server.listen(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                 static_cast<unsigned short>(std::stoi(argv[1]))));
    server.start_accept();
    std::cout << "ready" << std::endl;
    server.run();
}
