// The backplane's Redis client (detail/redis.hpp) against a real redis-server (the ctest
// fixture `redis`, tests/redis/server.sh): binary-safe commands, pipelining, error
// replies, pub/sub, and a connection that Redis ends.
// Distributed under the Boost Software License, Version 1.0.
#include "harness.hpp"

#include <catch2/catch.hpp>

#ifdef SWITCHBOARD_WITH_REDIS

#include <switchboard/detail/redis.hpp>

#include <fstream>
#include <future>

using namespace harness;
namespace redis = switchboard::detail::redis;

namespace {

unsigned short redis_port() {
    const auto port = redis_test_port();
    REQUIRE(port != 0);
    return port;
}

std::shared_ptr<redis::connection> connected(asio::io_context& ioc) {
    auto c = std::make_shared<redis::connection>(ioc.get_executor());
    std::promise<switchboard::error_code> done;
    c->connect("127.0.0.1", redis_port(), [&](switchboard::error_code ec) { done.set_value(ec); });
    const auto ec = done.get_future().get();
    REQUIRE_FALSE(ec);
    return c;
}

// (Checked here, not in the handler: Catch's assertions belong to the test's thread.)
redis::reply run(redis::connection& c, std::vector<std::string> args) {
    std::promise<std::pair<switchboard::error_code, redis::reply>> got;
    c.command(std::move(args), [&](switchboard::error_code ec, redis::reply r) { got.set_value({ec, std::move(r)}); });
    auto [ec, r] = got.get_future().get();
    REQUIRE_FALSE(ec);
    return r;
}

} // namespace

TEST_CASE("redis: commands are binary-safe and pipelined, replies come back in order", "[redis]") {
    io_threads io;
    auto c = connected(io.ioc);
    const std::string value("a\0b\r\nc", 6);
    CHECK(run(*c, {"SET", "sb:test:binary", value}).str == "OK");
    const auto got = run(*c, {"GET", "sb:test:binary"});
    CHECK(got.type == redis::reply::kind::string);
    CHECK(got.str == value);
    CHECK(run(*c, {"GET", "sb:test:missing"}).is_nil());
    run(*c, {"DEL", "sb:test:counter"});
    std::promise<std::vector<long long>> all;
    auto seen = std::make_shared<std::vector<long long>>(); // (handlers run one at a time, on the strand)
    for (int i = 0; i < 1000; ++i)
        c->command({"INCR", "sb:test:counter"}, [&, seen](switchboard::error_code ec, redis::reply r) {
            seen->push_back(ec ? -1 : r.integer);
            if (seen->size() == 1000) all.set_value(*seen);
        });
    const auto counts = all.get_future().get();
    for (std::size_t i = 0; i < counts.size(); ++i) REQUIRE(counts[i] == static_cast<long long>(i + 1));
    const auto bad = run(*c, {"INCR", "sb:test:binary"}); // not a number
    CHECK(bad.is_error());
    CHECK(bad.str.find("ERR") == 0);
    c->close();
}

TEST_CASE("redis: a subscriber gets what is published to its channel", "[redis]") {
    io_threads io;
    auto sub = connected(io.ioc);
    auto pub = connected(io.ioc);
    std::promise<std::pair<std::string, std::string>> got;
    sub->on_message = [&](std::string channel, std::string payload) { got.set_value({channel, payload}); };
    CHECK(run(*sub, {"SUBSCRIBE", "sb:test:channel"}).elements.at(0).str == "subscribe");
    const std::string payload("E1 t x\n\0\xff", 9);
    CHECK(run(*pub, {"PUBLISH", "sb:test:channel", payload}).integer == 1);
    const auto [channel, data] = got.get_future().get();
    CHECK(channel == "sb:test:channel");
    CHECK(data == payload);
    sub->close();
    pub->close();
}

TEST_CASE("redis: a connection Redis ends fails what waits, and says so once", "[redis]") {
    io_threads io;
    auto victim = connected(io.ioc);
    auto killer = connected(io.ioc);
    std::promise<switchboard::error_code> closed;
    victim->on_closed = [&](switchboard::error_code ec) { closed.set_value(ec); };
    const auto id = run(*victim, {"CLIENT", "ID"}).integer;
    CHECK(run(*killer, {"CLIENT", "KILL", "ID", std::to_string(id)}).integer == 1);
    CHECK(closed.get_future().get());
    std::promise<switchboard::error_code> after;
    victim->command({"PING"}, [&](switchboard::error_code ec, redis::reply) { after.set_value(ec); });
    CHECK(after.get_future().get());
    killer->close();
}

TEST_CASE("redis: nothing listening is connection_refused", "[redis]") {
    io_threads io;
    auto c = std::make_shared<redis::connection>(io.ioc.get_executor());
    std::promise<switchboard::error_code> done;
    c->connect("127.0.0.1", 1, [&](switchboard::error_code ec) { done.set_value(ec); });
    CHECK(done.get_future().get() == boost::asio::error::connection_refused);
}

#endif
