// Precompiled header for switchboard's own tests, examples and benchmarks.
// Distributed under the Boost Software License, Version 1.0.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <switchboard/switchboard.hpp>
