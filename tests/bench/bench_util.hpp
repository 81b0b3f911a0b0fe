// Pieces the benchmark load generators share: the clock, loopback connections and a
// latency histogram.
// Distributed under the Boost Software License, Version 1.0.
#ifndef SWITCHBOARD_BENCH_UTIL_HPP
#define SWITCHBOARD_BENCH_UTIL_HPP

#include <boost/asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

inline std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

// A connection to 127.0.0.1:port, Nagle off.
inline tcp::socket connect(asio::io_context& ioc, unsigned short port) {
    tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    s.set_option(tcp::no_delay(true));
    return s;
}

// Microsecond latency histogram up to 10 s.
struct histogram {
    std::vector<std::uint32_t> buckets = std::vector<std::uint32_t>(10'000'000, 0);
    std::uint64_t count = 0;
    void add(std::int64_t us) {
        buckets[static_cast<std::size_t>(std::clamp<std::int64_t>(us, 0, 9'999'999))]++;
        ++count;
    }
    std::int64_t percentile(double p) const {
        const auto target = static_cast<std::uint64_t>(static_cast<double>(count) * p);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets.size(); ++i)
            if ((seen += buckets[i]) > target) return static_cast<std::int64_t>(i);
        return 0;
    }
};

// Runs `ioc`: a discarded warm-up of 500 ms, then `seconds` measured. `on_measure()`
// when the measured part begins, `on_stop()` at its end (then `ioc` stops). Returns the
// measured part's length in seconds.
template <class OnMeasure, class OnStop>
double timed_run(asio::io_context& ioc, double seconds, OnMeasure on_measure, OnStop on_stop) {
    asio::steady_timer warmup(ioc, std::chrono::milliseconds(500)), end(ioc);
    clock_type::time_point start;
    warmup.async_wait([&](boost::system::error_code) {
        on_measure();
        start = clock_type::now();
        end.expires_after(std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds)));
        end.async_wait([&](boost::system::error_code) {
            on_stop();
            ioc.stop();
        });
    });
    ioc.run();
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

} // namespace bench

#endif
