// A downstream application: uses the downstream library and switchboard directly.
// Distributed under the Boost Software License, Version 1.0.
#include "downstream.hpp"

#include <switchboard/switchboard.hpp>

#include <iostream>

int main() {
    const switchboard::event e = downstream::greeting("consumer");
    nlohmann::json j = e;
    if (j["data"] != "hello consumer" || switchboard::parse_transport("sse") != switchboard::transport_kind::sse) {
        std::cerr << "unexpected: " << j.dump() << '\n';
        return 1;
    }
    std::cout << "switchboard " << switchboard::version_string << ": " << j.dump() << '\n';
    return 0;
}
