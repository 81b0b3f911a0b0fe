// session-replay: what a switchboard session does when its connection drops.
//
// A sender numbers its events and keeps them in a replay window; a receiver
// de-duplicates by number. The connection drops twice: once the window still holds
// what was lost in flight, and the receiver gets every event exactly once; once the
// window overflowed, and the receiver is told exactly which events are gone.
//
// Distributed under the Boost Software License, Version 1.0.
#include <switchboard/switchboard.hpp>

#include <deque>
#include <iostream>
#include <string>

namespace sb = switchboard;

namespace {

struct wire_event {
    sb::sequence_number seq;
    sb::event ev;
};

class demo {
public:
    explicit demo(sb::replay_options window) : sender_(window), receiver_(window) {}

    void send(const std::string& text) {
        sb::event ev{.type = "message", .data = text, .binary = false, .id = {}};
        const auto seq = sender_.push(ev, ev.data.size());
        if (connected_) in_flight_.push_back({seq, std::move(ev)}); // else kept for replay only
    }

    void deliver(std::size_t n) {
        for (; n > 0 && !in_flight_.empty(); --n) {
            auto [seq, ev] = std::move(in_flight_.front());
            in_flight_.pop_front();
            receive(seq, ev);
        }
    }

    void drop_connection() {
        std::cout << "  -- connection dropped, " << in_flight_.size() << " event(s) lost in flight\n";
        in_flight_.clear();
        connected_ = false;
    }

    void resume() {
        const auto last_seen = receiver_.last_delivered();
        std::cout << "  -- reconnected, receiver resumes after #" << last_seen << '\n';
        connected_ = true;
        auto plan = sender_.resume(last_seen);
        if (plan.ec) {
            std::cout << "  resume refused: " << plan.ec.message() << '\n';
            return;
        }
        if (plan.lost)
            if (auto gap = receiver_.skip(*plan.lost))
                std::cout << "  GAP: events " << *gap << " are lost (" << sb::error_code(sb::error::replay_gap).message()
                          << ")\n";
        sender_.for_each_after(plan.replay_after, [&](sb::sequence_number seq, const sb::event& ev) {
            in_flight_.push_back({seq, ev});
        });
        // A stray copy of an old event, as a retransmission could produce: it is dropped.
        if (last_seen > 0) in_flight_.push_front({last_seen, sb::event{.data = "stale copy"}});
    }

private:
    void receive(sb::sequence_number seq, const sb::event& ev) {
        auto verdict = receiver_.accept(seq);
        if (!verdict.deliver) {
            std::cout << "  duplicate #" << seq << " dropped\n";
            return;
        }
        std::cout << "  received #" << seq << ": " << ev.data << '\n';
    }

    sb::replay_window<sb::event> sender_;
    sb::inbound_sequencer receiver_;
    std::deque<wire_event> in_flight_;
    bool connected_ = true;
};

} // namespace

int main() {
    std::cout << "switchboard " << sb::version_string << " session core\n\n";

    std::cout << "1. A drop the replay window covers: nothing lost, nothing twice\n";
    demo covered{sb::replay_options{.max_events = 16}};
    for (int i = 1; i <= 5; ++i) covered.send("tick " + std::to_string(i));
    covered.deliver(2);
    covered.drop_connection();
    covered.send("tick 6");
    covered.resume();
    covered.deliver(100);

    std::cout << "\n2. A drop longer than the replay window (3 events): the gap is reported\n";
    demo overflow{sb::replay_options{.max_events = 3}};
    for (int i = 1; i <= 3; ++i) overflow.send("tick " + std::to_string(i));
    overflow.deliver(1);
    overflow.drop_connection();
    for (int i = 4; i <= 8; ++i) overflow.send("tick " + std::to_string(i));
    overflow.resume();
    overflow.deliver(100);
    return 0;
}
