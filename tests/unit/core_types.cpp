// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/error.hpp>
#include <switchboard/state.hpp>
#include <switchboard/transport.hpp>
#include <switchboard/version.hpp>

#include <catch2/catch.hpp>

#include <sstream>

namespace sb = switchboard;

TEST_CASE("switchboard errors are error codes of the switchboard category with messages") {
    sb::error_code ec = sb::error::replay_gap;
    CHECK(ec);
    CHECK(ec.category().name() == std::string("switchboard"));
    CHECK(ec == sb::error::replay_gap);
    CHECK(ec != sb::error::closed);
    CHECK(ec.message().find("replay window") != std::string::npos);
    for (int v = static_cast<int>(sb::error::closed); v <= static_cast<int>(sb::error::connection_lost); ++v)
        CHECK(sb::error_code(v, sb::error_category()).message() != "unknown switchboard error");
    CHECK(sb::error_code(999, sb::error_category()).message() == "unknown switchboard error");
}

TEST_CASE("a switchboard error throws as system_error") {
    CHECK_THROWS_AS(throw sb::system_error(sb::error::closed), boost::system::system_error);
}

TEST_CASE("states have names and only the documented transitions") {
    using sb::state;
    CHECK(sb::to_string(state::reconnecting) == "reconnecting");
    std::ostringstream os;
    os << state::open;
    CHECK(os.str() == "open");

    CHECK(sb::can_transition(state::connecting, state::open));
    CHECK(sb::can_transition(state::connecting, state::closed));
    CHECK(sb::can_transition(state::open, state::reconnecting));
    CHECK(sb::can_transition(state::reconnecting, state::open));
    CHECK(sb::can_transition(state::reconnecting, state::closed));
    CHECK_FALSE(sb::can_transition(state::open, state::connecting));
    CHECK_FALSE(sb::can_transition(state::open, state::open));
    for (auto to : {state::connecting, state::open, state::reconnecting, state::closed})
        CHECK_FALSE(sb::can_transition(state::closed, to));
}

TEST_CASE("the four transport tags satisfy the transport concept") {
    STATIC_REQUIRE(sb::transport<sb::websocket>);
    STATIC_REQUIRE(sb::transport<sb::sse>);
    STATIC_REQUIRE(sb::transport<sb::long_polling>);
    STATIC_REQUIRE(sb::transport<sb::polling>);
    STATIC_REQUIRE_FALSE(sb::transport<int>);
}

TEST_CASE("transport names parse back to their kinds") {
    for (auto k : sb::all_transports) CHECK(sb::parse_transport(sb::to_string(k)) == k);
    CHECK(sb::parse_transport("long-polling") == sb::transport_kind::long_polling);
    CHECK_FALSE(sb::parse_transport("carrier-pigeon"));
    CHECK(sb::websocket::full_duplex);
    CHECK_FALSE(sb::sse::full_duplex);
    CHECK(sb::websocket::binary_frames);
    CHECK_FALSE(sb::polling::binary_frames);
}

TEST_CASE("the version string matches the version macros") {
    std::ostringstream os;
    os << SWITCHBOARD_VERSION_MAJOR << '.' << SWITCHBOARD_VERSION_MINOR << '.' << SWITCHBOARD_VERSION_PATCH;
    CHECK(os.str() == sb::version_string);
    CHECK(SWITCHBOARD_VERSION == SWITCHBOARD_VERSION_MAJOR * 100000 + SWITCHBOARD_VERSION_MINOR * 100 +
                                     SWITCHBOARD_VERSION_PATCH);
    CHECK(sb::protocol_version == 1);
}
