// Compiles switchboard, Boost.Asio and Boost.Beast once for the project's own targets.
// Distributed under the Boost Software License, Version 1.0.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <switchboard/src.hpp>
