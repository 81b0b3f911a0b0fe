// A downstream library that exposes switchboard types in its own API.
// Distributed under the Boost Software License, Version 1.0.
#pragma once
#include <switchboard/event.hpp>
#include <string>

namespace downstream {
switchboard::event greeting(const std::string& name);
}
