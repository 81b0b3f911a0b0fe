// Distributed under the Boost Software License, Version 1.0.
#include "downstream.hpp"

#include <switchboard/switchboard.hpp>

namespace downstream {
switchboard::event greeting(const std::string& name) {
    return switchboard::event{.type = "greeting", .data = "hello " + name, .binary = false, .id = {}};
}
} // namespace downstream
