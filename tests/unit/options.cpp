// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/options.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace std::chrono_literals;
namespace sb = switchboard;

TEST_CASE("the default options are valid") {
    CHECK_NOTHROW(sb::validate(sb::client_options{}));
    CHECK_NOTHROW(sb::validate(sb::server_options{}));
}

TEST_CASE("options are aggregates with designated initializers") {
    sb::server_options s{.port = 0, .path = "/events"};
    CHECK(s.port == 0);
    CHECK(s.path == "/events");
    CHECK(s.max_message_size == 16u << 20);
    sb::client_options c{.session = false};
    CHECK_FALSE(c.session);
    CHECK(c.reconnect.enabled);
}

TEST_CASE("nonsense client options are refused naming the option") {
    auto refuses = [](sb::client_options o, const std::string& name) {
        try {
            sb::validate(o);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what()).find(name) != std::string::npos;
        }
        return false;
    };
    sb::client_options o;
    o.heartbeat.timeout = o.heartbeat.interval;
    CHECK(refuses(o, "heartbeat.timeout"));
    o = {};
    o.reconnect.multiplier = 0.5;
    CHECK(refuses(o, "reconnect.multiplier"));
    o = {};
    o.reconnect.max_delay = 1ms;
    CHECK(refuses(o, "reconnect.max_delay"));
    o = {};
    o.replay.max_events = 0;
    CHECK(refuses(o, "replay.max_events"));
    o = {};
    o.max_queued_bytes = o.max_message_size - 1;
    CHECK(refuses(o, "max_queued_bytes"));
    o = {};
    o.poll_interval = 0ms;
    CHECK(refuses(o, "poll_interval"));
}

TEST_CASE("nonsense server options are refused") {
    CHECK_THROWS_AS(sb::validate(sb::server_options{.path = "live"}), std::invalid_argument);
    for (const char* bad : {"https://app.example/", ""}) {
        sb::server_options origins;
        origins.allowed_origins = {bad};
        CHECK_THROWS_AS(sb::validate(origins), std::invalid_argument);
    }
    sb::server_options origins;
    origins.allowed_origins = {"https://app.example", "*"};
    CHECK_NOTHROW(sb::validate(origins));
    CHECK_THROWS_AS(sb::validate(sb::server_options{.max_connections = 0}), std::invalid_argument);
    CHECK_THROWS_AS(sb::validate(sb::server_options{.handshake_timeout = 0ms}), std::invalid_argument);
    sb::server_options o;
    o.replay.ack_every = 0;
    CHECK_THROWS_AS(sb::validate(o), std::invalid_argument);
}
