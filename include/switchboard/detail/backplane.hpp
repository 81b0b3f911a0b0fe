// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_BACKPLANE_HPP
#define SWITCHBOARD_DETAIL_BACKPLANE_HPP

// The cluster's backplane (server_options::backplane; docs/decisions.md, "Backplane"):
// one Redis stream orders everything the nodes do to sessions. A node appends what it
// publishes, broadcasts, sends to a session, and each join and leave; every node reads
// the whole stream, its own entries included, and applies each entry to the sessions it
// holds, in stream order. So every node that holds a session numbers its events alike.
// The stream is the truth: a node reads from where it stopped, so nothing between two
// reads is missed; an append is idempotent (a script keeps each node's last counter),
// so what is re-sent after a reconnect is in the stream once. What cannot be read any
// more (Redis lost its data: a new epoch; the stream was trimmed past a node's position;
// a node dropped entries it held while Redis was unreachable) is reported, never skipped
// silently.
//
// Two connections: one that appends (pipelined), one that waits in XREAD BLOCK (the
// doorbell is the stream itself: a blocked XREAD returns as soon as an entry is added).
// Everything runs on one strand of the server's io_context; no thread of its own.

#include <switchboard/detail/redis.hpp>
#include <switchboard/event.hpp>
#include <switchboard/options.hpp>
#include <switchboard/session/backoff.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace switchboard::detail {

class backplane : public std::enable_shared_from_this<backplane> {
public:
    // What an entry does (the field "k").
    enum class kind : char {
        publish = 't',   // to the sessions that joined `topic`
        broadcast = 'b', // to every session
        send = 's',      // to the session `session`
        join = 'j',      // `session` joins `topic`
        leave = 'l',     // `session` leaves `topic`
        attach = 'a',    // a node took `session` (its client resumed there)
        close = 'x',     // `session` ended
    };
    // Whether entries of kind `k` carry an event (the others name a session, a topic).
    static constexpr bool carries_event(kind k) noexcept {
        return k == kind::publish || k == kind::broadcast || k == kind::send;
    }
    struct entry {
        kind k = kind::publish;
        std::string topic;
        std::string session; // the session's cluster id
        event e;
        std::string id;      // its stream id
        bool own = false;    // appended by this node
    };
    // An entry as read, with what tells of losses before it.
    struct parsed {
        entry x;
        bool known = false;       // a kind this version knows, from a node
        std::string node;
        std::uint64_t counter = 0;
        std::uint64_t number = 0; // the cluster's number of it ("g")
        std::uint64_t dropped = 0; // entries its node dropped just before it
    };

    struct handlers {
        // An entry read from the stream, in stream order (this node's own included).
        std::function<void(entry)> apply;
        // Entries were lost (see above).
        std::function<void()> lost;
        // The link to Redis came up (success) or went down (error::backplane_unavailable).
        std::function<void(error_code)> status;
        // Linked again to a Redis that lost its data (after lost and status): what the
        // nodes wrote besides the stream (sessions' keys) is gone too.
        std::function<void()> epoch;
    };

    // Appends an entry once: a counter at or below the node's last is not appended
    // again (a re-send after a reconnect). Each entry gets the cluster's next number
    // ("g"): a reader that finds one missing knows entries it never read were lost. The
    // node's counter key expires a day after its last append.
    // An attach also names its node the session's `holder`, in the same step: the hash
    // follows the stream's order, and an attach re-sent after an outage writes it then
    // (not a hash made again: the session may have ended).
    //   KEYS: stream, the node's counter key, the cluster's number key, the session's
    //         hash for an attach ("" otherwise)
    //   ARGV: node, counter, maxlen, ttl (ms), fields...
    static constexpr const char* append_script = R"lua(
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local c = tonumber(ARGV[2])
if c <= last then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
local g = redis.call('INCR', KEYS[3])
local args = {'XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'n', ARGV[1], 'c', ARGV[2], 'g', g}
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
redis.call(unpack(args))
if KEYS[4] ~= '' and redis.call('EXISTS', KEYS[4]) == 1 then redis.call('HSET', KEYS[4], 'holder', ARGV[1]) end
return 1
)lua";
    static constexpr const char* counter_ttl_ms = "86400000";

    // Entries read at once (a node behind by more reads in several rounds).
    static constexpr std::size_t read_batch = 1000;
    // Appends sent and not yet answered, at most (the rest waits in the queue, which
    // max_pending bounds).
    static constexpr std::size_t max_in_flight = 1024;
    // The other nodes remembered (the last counter of each, to skip a re-sent entry).
    static constexpr std::size_t max_nodes_remembered = 4096;

    backplane(asio::io_context& ioc, backplane_options o, std::string node, handlers h)
        : ioc_(ioc),
          strand_(asio::make_strand(ioc)),
          options_(std::move(o)),
          node_(std::move(node)),
          stream_(options_.prefix + "stream"),
          epoch_key_(options_.prefix + "epoch"),
          number_key_(options_.prefix + "number"),
          counter_key_(options_.prefix + "counter:" + node_),
          handlers_(std::move(h)),
          retry_(strand_),
          watchdog_(strand_),
          backoff_(reconnect_options{.initial_delay = options_.reconnect_initial,
                                     .max_delay = options_.reconnect_max,
                                     .stable_after = std::chrono::seconds(10)}) {}

    const std::string& node() const noexcept { return node_; }

    void start() {
        asio::post(strand_, [self = shared_from_this()] {
            self->connect();
            self->watch();
        });
    }

    // Ends both connections; nothing is called back any more. What is still pending is
    // not sent. Called from outside the io_context's threads, it waits (a second at
    // most) until that is done: nothing is left holding what it would hold.
    void stop() {
        auto done = std::make_shared<std::promise<void>>();
        auto stopped = done->get_future();
        asio::post(strand_, [self = shared_from_this(), done] {
            self->stopped_ = true;
            self->retry_.cancel();
            self->watchdog_.cancel();
            self->drop_links();
            self->handlers_ = {};
            for (auto& [id, f] : std::exchange(self->waiting_reads_, {})) f(); // (they find it stopped)
            done->set_value();
        });
        if (!ioc_.get_executor().running_in_this_thread()) stopped.wait_for(std::chrono::seconds(1));
    }

    // Appends an entry (from any thread): in the order of the calls.
    void append(kind k, std::string_view topic, std::string_view session, const event& e) {
        // EVALSHA <sha> 4 <stream> <counter key> <number key> <session key or ""> <node> <counter> <maxlen> <ttl> fields...
        std::vector<std::string> args{"EVALSHA", {}, "4", stream_, counter_key_, number_key_,
                                      k == kind::attach ? options_.prefix + "session:" + std::string(session) : std::string(),
                                      node_, {},
                                      std::to_string(options_.max_stream), counter_ttl_ms,
                                      "k", std::string(1, static_cast<char>(k))};
        if (!topic.empty()) args.insert(args.end(), {"t", std::string(topic)});
        if (!session.empty()) args.insert(args.end(), {"s", std::string(session)});
        if (carries_event(k))
            args.insert(args.end(), {"y", e.type, "d", e.data, "b", e.binary ? "1" : "0", "i", e.id});
        asio::post(strand_, [self = shared_from_this(), args = std::move(args)]() mutable {
            if (self->stopped_) return;
            const auto c = ++self->counter_;
            args[8] = std::to_string(c);
            std::uint64_t dropped = 0;
            // Full: the oldest goes, and the entry after it tells the readers (a gap).
            if (self->pending_.size() >= self->options_.max_pending) {
                dropped = self->pending_.front().dropped_before + 1;
                self->pending_.pop_front();
                if (!self->pending_.empty()) {
                    self->pending_.front().dropped_before += dropped;
                    dropped = 0;
                }
            }
            self->pending_.push_back({c, dropped, std::move(args)});
            self->flush();
        });
    }

    // A command on the appending connection (from any thread; on the strand, queued at
    // once: after what was queued before it); `h` on the strand gets its reply, or an
    // error when the link is down.
    void command(std::vector<std::string> args, redis::connection::reply_handler h) {
        asio::dispatch(strand_, [self = shared_from_this(), args = std::move(args), h = std::move(h)]() mutable {
            if (!self->linked_ || !self->writer_) return h(error::backplane_unavailable, redis::reply{});
            // (Watched as appends are: one unanswered for options.timeout takes the link down.)
            ++self->commands_in_flight_;
            self->writer_->command(std::move(args), [self, h = std::move(h), generation = self->generation_](
                                                        error_code ec, redis::reply r) mutable {
                if (generation == self->generation_ && self->commands_in_flight_ > 0) {
                    --self->commands_in_flight_;
                    self->last_progress_ = clock::now();
                }
                h(ec, std::move(r));
            });
        });
    }

    // Runs `f(position, number)` on the strand, between two entries read: every entry
    // applied after it comes after `position` (the stream id of the last entry read,
    // "0-0" for none), whose cluster number is `number` (none: not known; 0 at "0-0":
    // the stream's first entry is number 1).
    template <class F>
    void at_position(F f) {
        asio::post(strand_, [self = shared_from_this(), f = std::move(f)]() mutable {
            std::optional<std::uint64_t> number;
            if (self->last_id_ == "0-0") number = 0;
            else if (self->number_known_) number = self->last_number_;
            f(self->last_id_, number);
        });
    }

    // Runs `f()` on the strand once the reader has read (and applied) every entry up to
    // stream id `id`: at once if it has.
    void when_read(std::string id, std::function<void()> f) {
        asio::dispatch(strand_, [self = shared_from_this(), id = std::move(id), f = std::move(f)]() mutable {
            if (!id_after(id, self->last_id_)) return f();
            self->waiting_reads_.emplace_back(std::move(id), std::move(f));
        });
    }

    // Runs `f` on the strand once the reader has passed the newest entry of the stream
    // now (at once when Redis cannot say which that is).
    void sync(std::function<void()> f) {
        command({"XREVRANGE", stream_, "+", "-", "COUNT", "1"},
                [self = shared_from_this(), f = std::move(f)](error_code ec, redis::reply r) mutable {
                    if (ec || r.type != redis::reply::kind::array || r.elements.empty() ||
                        r.elements[0].type != redis::reply::kind::array || r.elements[0].elements.empty())
                        return f();
                    self->when_read(r.elements[0].elements[0].str, std::move(f));
                });
    }

    // Whether stream id `a` comes after `b` ("<ms>-<seq>").
    static bool id_after(std::string_view a, std::string_view b) {
        auto split = [](std::string_view v) {
            const auto dash = v.find('-');
            const auto ms = number(v.substr(0, dash));
            const auto seq = dash == std::string_view::npos ? 0 : number(v.substr(dash + 1));
            return std::pair{ms, seq};
        };
        return split(a) > split(b);
    }

    // Reads the entries after stream id `after` up to the newest (in pages), then
    // calls `done(error, entries)` on the strand; none is applied through handlers.
    void range(std::string after, std::function<void(error_code, std::vector<parsed>)> done) {
        asio::post(strand_, [self = shared_from_this(), after = std::move(after), done = std::move(done)]() mutable {
            self->range_page(std::move(after), std::make_shared<std::vector<parsed>>(), std::move(done));
        });
    }

    const std::string& prefix() const noexcept { return options_.prefix; }
    bool on_strand() const noexcept { return strand_.running_in_this_thread(); }
    const asio::strand<asio::any_io_executor>& strand() const noexcept { return strand_; }

    // How many entries wait to be appended (for tests and monitoring; on any thread,
    // an estimate).
    std::size_t pending() const noexcept { return pending_size_.load(std::memory_order_relaxed); }
    // Linked to Redis now (from any thread).
    bool up() const noexcept { return up_.load(std::memory_order_relaxed); }

private:
    struct pending_entry {
        std::uint64_t counter;
        std::uint64_t dropped_before; // entries of this node dropped just before it
        std::vector<std::string> args;
    };
    using clock = std::chrono::steady_clock;

    void connect() {
        if (stopped_) return;
        const auto generation = ++generation_;
        connecting_ = true;
        last_progress_ = clock::now();
        writer_ = std::make_shared<redis::connection>(strand_);
        reader_ = std::make_shared<redis::connection>(strand_);
        auto both = std::make_shared<int>(0);
        std::weak_ptr<backplane> weak = shared_from_this();
        auto connected = [weak, generation, both](error_code ec) {
            auto self = weak.lock();
            if (!self || generation != self->generation_ || self->stopped_) return;
            if (ec) return self->down();
            if (++*both == 2) self->authenticate(generation);
        };
        for (auto* c : {&writer_, &reader_}) {
            // (Weak: the connection must not keep the backplane alive.)
            (*c)->on_closed = [weak, generation](error_code) {
                if (auto self = weak.lock(); self && generation == self->generation_) self->down();
            };
            (*c)->connect(options_.host, options_.port, connected);
        }
    }

    void authenticate(std::uint64_t generation) {
        if (options_.password.empty()) return check_epoch(generation);
        auto done = std::make_shared<int>(0);
        for (auto* c : {&writer_, &reader_})
            (*c)->command({"AUTH", options_.password}, [self = shared_from_this(), generation, done](error_code ec, redis::reply r) {
                if (generation != self->generation_ || self->stopped_) return;
                if (ec || r.is_error()) return self->down();
                if (++*done == 2) self->check_epoch(generation);
            });
    }

    // Redis's data is the one this node knew (the same epoch key), or it was lost.
    void check_epoch(std::uint64_t generation) {
        writer_->command({"SCRIPT", "LOAD", append_script}, [self = shared_from_this(), generation](error_code ec, redis::reply r) {
            if (generation != self->generation_ || self->stopped_ || ec) return;
            if (r.type != redis::reply::kind::string) return self->down();
            self->script_sha_ = r.str;
        });
        writer_->command({"SET", epoch_key_, node_ + ":" + std::to_string(generation), "NX"}, [](error_code, redis::reply) {});
        writer_->command({"GET", epoch_key_}, [self = shared_from_this(), generation](error_code ec, redis::reply r) {
            if (generation != self->generation_ || self->stopped_) return;
            if (ec || r.type != redis::reply::kind::string || self->script_sha_.empty()) return self->down();
            if (self->epoch_.empty()) return self->position(generation, r.str);
            const bool lost = self->epoch_ != r.str;
            if (lost) {
                // Redis lost its data (or the epoch key): what this node had not read is
                // gone. It reads the stream there is from its start; what it had read
                // already (an entry a node re-sent) is skipped by its node's counter.
                self->epoch_ = r.str;
                self->last_id_ = "0-0";
                self->number_known_ = false;
                self->report_lost();
            }
            self->up(generation);
            if (lost && self->handlers_.epoch) self->handlers_.epoch();
        });
    }

    // A node's first position: the end of the stream (what was published before it
    // joined the cluster is not its).
    void position(std::uint64_t generation, std::string epoch) {
        writer_->command({"XREVRANGE", stream_, "+", "-", "COUNT", "1"},
                         [self = shared_from_this(), generation, epoch = std::move(epoch)](error_code ec, redis::reply r) {
                             if (generation != self->generation_ || self->stopped_) return;
                             if (ec || r.type != redis::reply::kind::array) return self->down();
                             self->last_id_ = "0-0";
                             self->last_number_ = 0;
                             if (!r.elements.empty() && r.elements[0].elements.size() == 2) {
                                 self->last_id_ = r.elements[0].elements[0].str;
                                 const auto& fields = r.elements[0].elements[1].elements;
                                 for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
                                     if (fields[i].str == "g") self->last_number_ = number(fields[i + 1].str);
                             }
                             self->number_known_ = true;
                             self->epoch_ = epoch; // (only now: a drop before this starts over)
                             self->up(generation);
                         });
    }

    void up(std::uint64_t generation) {
        backoff_.reset(); // (the next outage starts from the first delay)
        backoff_.connected(clock::now());
        linked_ = true;
        up_.store(true, std::memory_order_relaxed);
        connecting_ = false;
        sent_upto_ = 0; // everything pending goes (again) on this connection
        in_flight_ = 0;
        commands_in_flight_ = 0;
        last_progress_ = clock::now();
        if (handlers_.status) handlers_.status({});
        flush();
        read(generation);
    }

    void down() {
        if (stopped_) return;
        const bool was_up = std::exchange(linked_, false);
        up_.store(false, std::memory_order_relaxed);
        connecting_ = false;
        ++generation_; // what the old connections still call back is ignored
        drop_links();
        if (was_up || !reported_down_) {
            reported_down_ = true;
            if (handlers_.status) handlers_.status(error::backplane_unavailable);
        }
        backoff_.disconnected(clock::now());
        retry_.expires_after(backoff_.next_delay());
        retry_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) self->connect();
        });
    }

    void drop_links() {
        for (auto* c : {&writer_, &reader_})
            if (*c) {
                (*c)->close_here(); // (on the strand: its handlers run on it)
                c->reset();
            }
    }

    // A link that stopped answering (Redis paused or stuck, a connection half open)
    // is taken for down: an append unanswered, or a read not back, for options.timeout.
    void watch() {
        watchdog_.expires_after(std::min<clock::duration>(options_.timeout / 4, std::chrono::seconds(1)));
        watchdog_.async_wait([self = shared_from_this()](error_code ec) {
            if (ec || self->stopped_) return;
            const auto now = clock::now();
            const bool waiting = self->connecting_ || (self->linked_ && (self->in_flight_ > 0 || self->commands_in_flight_ > 0 ||
                                                                         self->reading_));
            if (waiting && now - self->last_progress_ > self->options_.timeout) self->down();
            self->watch();
        });
    }

    // Sends what is pending and not yet sent on this connection (at most max_in_flight
    // unanswered); each entry leaves the queue when Redis has it.
    void flush() {
        pending_size_.store(pending_.size(), std::memory_order_relaxed);
        if (!linked_) return;
        for (auto& p : pending_) {
            if (in_flight_ >= max_in_flight) break;
            if (p.counter <= sent_upto_) continue;
            sent_upto_ = p.counter;
            ++in_flight_;
            auto args = p.args;
            args[1] = script_sha_;
            if (p.dropped_before) args.insert(args.end(), {"x", std::to_string(p.dropped_before)});
            writer_->command(std::move(args), [self = shared_from_this(), c = p.counter, generation = generation_](
                                                  error_code ec, redis::reply r) {
                if (ec || generation != self->generation_) return; // the connection ended: re-sent on the next one
                // An error reply (the script gone, Redis out of memory or read-only):
                // the link is taken for down, and what is pending is sent again once it
                // is back.
                if (r.is_error()) return self->down();
                --self->in_flight_;
                self->last_progress_ = clock::now();
                while (!self->pending_.empty() && self->pending_.front().counter <= c) self->pending_.pop_front();
                self->flush();
            });
        }
    }

    void read(std::uint64_t generation) {
        reading_ = true;
        const auto block = std::max<long long>(1, std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout).count() / 2);
        reader_->command({"XREAD", "COUNT", std::to_string(read_batch), "BLOCK", std::to_string(block), "STREAMS", stream_, last_id_},
                         [self = shared_from_this(), generation](error_code ec, redis::reply r) {
                             if (generation != self->generation_ || self->stopped_ || ec) return;
                             self->reading_ = false;
                             self->last_progress_ = clock::now();
                             if (r.is_error()) return self->down();
                             self->take(r);
                             if (self->stopped_ || generation != self->generation_) return;
                             self->read(generation);
                         });
    }

    // Applies the entries of an XREAD reply.
    void take(redis::reply& r) {
        if (r.type != redis::reply::kind::array) return; // (nil: nothing new)
        for (auto& stream : r.elements) {
            if (stream.elements.size() != 2) continue;
            for (auto& entry : stream.elements[1].elements) {
                if (entry.elements.size() != 2) continue;
                last_id_ = entry.elements[0].str;
                take_entry(last_id_, entry.elements[1].elements);
                if (stopped_) return;
            }
        }
        // (After the batch: what waits for a position is called once it is passed.)
        for (auto it = waiting_reads_.begin(); it != waiting_reads_.end();) {
            if (id_after(it->first, last_id_)) {
                ++it;
                continue;
            }
            auto f = std::move(it->second);
            it = waiting_reads_.erase(it);
            f();
        }
    }

    static parsed parse(std::string id, std::vector<redis::reply>& fields) {
        parsed p;
        p.x.id = std::move(id);
        char k = 0;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            const auto& name = fields[i].str;
            auto& value = fields[i + 1].str;
            if (name == "n") p.node = std::move(value);
            else if (name == "c") p.counter = number(value);
            else if (name == "g") p.number = number(value);
            else if (name == "x") p.dropped = number(value);
            else if (name == "k" && value.size() == 1) k = value[0];
            else if (name == "t") p.x.topic = std::move(value);
            else if (name == "s") p.x.session = std::move(value);
            else if (name == "y") p.x.e.type = std::move(value);
            else if (name == "d") p.x.e.data = std::move(value);
            else if (name == "b") p.x.e.binary = value == "1";
            else if (name == "i") p.x.e.id = std::move(value);
        }
        switch (k) {
        case 't': case 'b': case 's': case 'j': case 'l': case 'a': case 'x':
            p.x.k = static_cast<kind>(k);
            p.known = !p.node.empty() && p.counter != 0;
            break;
        default: break; // a kind this version does not know
        }
        return p;
    }

    void take_entry(std::string id, std::vector<redis::reply>& fields) {
        auto p = parse(std::move(id), fields);
        // Entries missing between the last read and this one (trimmed before this node
        // read them), or dropped by their node before it could append them: lost.
        if (p.number != 0) {
            const bool missing = number_known_ && p.number > last_number_ + 1;
            if (!number_known_ || p.number > last_number_) last_number_ = p.number;
            number_known_ = true;
            if (missing || p.dropped > 0) report_lost();
        }
        if (!p.known) return;
        if (!fresh(p.node, p.counter)) return; // read before (re-sent into a new epoch)
        p.x.own = p.node == node_;
        if (handlers_.apply) handlers_.apply(std::move(p.x));
    }

    void range_page(std::string after, std::shared_ptr<std::vector<parsed>> got,
                    std::function<void(error_code, std::vector<parsed>)> done) {
        if (!linked_ || !writer_) return done(error::backplane_unavailable, {});
        writer_->command({"XRANGE", stream_, "(" + after, "+", "COUNT", std::to_string(read_batch)},
                         [self = shared_from_this(), got, done = std::move(done)](error_code ec, redis::reply r) mutable {
                             if (ec || r.type != redis::reply::kind::array) return done(ec ? ec : error::backplane_unavailable, {});
                             std::string last;
                             for (auto& entry : r.elements) {
                                 if (entry.elements.size() != 2) continue;
                                 last = entry.elements[0].str;
                                 got->push_back(parse(entry.elements[0].str, entry.elements[1].elements));
                             }
                             if (r.elements.size() < read_batch || last.empty()) return done({}, std::move(*got));
                             self->range_page(std::move(last), got, std::move(done));
                         });
    }

    // Whether `counter` is past the last one read of node `from` (and remembers it).
    bool fresh(std::string_view from, std::uint64_t counter) {
        ++tick_;
        auto it = seen_.find(from);
        if (it != seen_.end()) {
            it->second.touched = tick_;
            if (counter <= it->second.counter) return false;
            it->second.counter = counter;
            return true;
        }
        if (seen_.size() >= max_nodes_remembered) { // the half least recently heard of go
            std::vector<std::uint64_t> ticks;
            ticks.reserve(seen_.size());
            for (const auto& [node, s] : seen_) ticks.push_back(s.touched);
            std::nth_element(ticks.begin(), ticks.begin() + static_cast<std::ptrdiff_t>(ticks.size() / 2), ticks.end());
            const auto median = ticks[ticks.size() / 2];
            std::erase_if(seen_, [median](const auto& n) { return n.second.touched < median; });
        }
        seen_.emplace(std::string(from), seen{counter, tick_});
        return true;
    }

    void report_lost() {
        if (handlers_.lost) handlers_.lost();
    }

    static std::uint64_t number(std::string_view v) {
        std::uint64_t n = 0;
        std::from_chars(v.data(), v.data() + v.size(), n);
        return n;
    }

    struct seen {
        std::uint64_t counter; // the last read of the node
        std::uint64_t touched; // when (tick_)
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view v) const noexcept { return std::hash<std::string_view>{}(v); }
    };

    asio::io_context& ioc_;
    asio::strand<asio::any_io_executor> strand_;
    const backplane_options options_;
    const std::string node_;
    const std::string stream_;
    const std::string epoch_key_;
    const std::string number_key_;  // the cluster's last entry number
    const std::string counter_key_; // the last counter of this node's entries in the stream
    std::string script_sha_;
    handlers handlers_;
    asio::steady_timer retry_;
    asio::steady_timer watchdog_;
    backoff backoff_;
    std::shared_ptr<redis::connection> writer_, reader_;
    std::uint64_t generation_ = 0; // of the connections: a new pair per connect
    bool linked_ = false;
    std::atomic<bool> up_{false}; // linked_, for other threads
    bool reported_down_ = false;
    bool stopped_ = false;
    bool reading_ = false;          // an XREAD is out
    bool connecting_ = false;       // connecting, authenticating, positioning
    clock::time_point last_progress_{};
    std::string epoch_;             // Redis's data as this node first saw it
    std::string last_id_ = "0-0";   // read up to here
    std::uint64_t last_number_ = 0; // the number ("g") of the last entry read
    bool number_known_ = false;     // (not after a new epoch, until an entry is read)
    std::unordered_map<std::string, seen, string_hash, std::equal_to<>> seen_;
    std::uint64_t tick_ = 0;
    std::uint64_t counter_ = 0;     // this node's entries
    std::uint64_t sent_upto_ = 0;   // sent on the current connection
    std::size_t in_flight_ = 0;     // sent on it and not yet answered
    std::size_t commands_in_flight_ = 0; // command()s sent on it and not yet answered
    std::deque<pending_entry> pending_;
    std::atomic<std::size_t> pending_size_{0};
    std::vector<std::pair<std::string, std::function<void()>>> waiting_reads_; // (when_read)
};

} // namespace switchboard::detail

#endif
