// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_DETAIL_BACKPLANE_HPP
#define SWITCHBOARD_DETAIL_BACKPLANE_HPP

// The cluster's backplane (server_options::backplane; docs/decisions.md, "Backplane"):
// every node appends what it publishes to one Redis stream, and reads what the others
// appended. The stream is the truth: a node reads from where it stopped, so nothing
// between two reads is missed, and an entry sent twice (re-sent after a reconnect) is
// seen once by its publisher's counter. What cannot be read any more (Redis lost its
// data: a new epoch; the stream was trimmed past a node's position; a publisher dropped
// publishes it held while Redis was unreachable) is reported, never skipped silently.
//
// Two connections: one that appends (pipelined), one that waits in XREAD BLOCK (the
// doorbell is the stream itself: a blocked XREAD returns as soon as an entry is added).
// Everything runs on one strand of the server's io_context; no thread of its own.

#include <switchboard/detail/redis.hpp>
#include <switchboard/event.hpp>
#include <switchboard/options.hpp>
#include <switchboard/session/backoff.hpp>

#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace switchboard::detail {

class backplane : public std::enable_shared_from_this<backplane> {
public:
    struct handlers {
        // An event another node published (broadcast: to every session; else to `topic`).
        std::function<void(bool broadcast, std::string topic, event e)> deliver;
        // Publishes of other nodes were lost (see above).
        std::function<void()> lost;
        // The link to Redis came up (success) or went down (error::backplane_unavailable).
        std::function<void(error_code)> status;
    };

    // Entries read at once (a node behind by more reads in several rounds).
    static constexpr std::size_t read_batch = 1000;

    backplane(asio::io_context& ioc, backplane_options o, std::string node, handlers h)
        : strand_(asio::make_strand(ioc)),
          options_(std::move(o)),
          node_(std::move(node)),
          stream_(options_.prefix + "stream"),
          epoch_key_(options_.prefix + "epoch"),
          handlers_(std::move(h)),
          retry_(strand_),
          backoff_(reconnect_options{.initial_delay = options_.reconnect_initial,
                                     .max_delay = options_.reconnect_max,
                                     .stable_after = std::chrono::seconds(10)}) {}

    const std::string& node() const noexcept { return node_; }

    void start() {
        asio::post(strand_, [self = shared_from_this()] { self->connect(); });
    }

    // Ends both connections; nothing is called back any more. What is still pending is
    // not sent.
    void stop() {
        asio::post(strand_, [self = shared_from_this()] {
            self->stopped_ = true;
            self->retry_.cancel();
            self->drop_links();
            self->handlers_ = {};
        });
    }

    // Appends a publish of this node (from any thread): in the order of the calls.
    void publish(bool broadcast, std::string_view topic, const event& e) {
        std::vector<std::string> args{"XADD", stream_, "MAXLEN", "~", std::to_string(options_.max_stream), "*",
                                      "n", node_, "c", {}, "k", broadcast ? "b" : "t", "t", std::string(topic),
                                      "y", e.type, "d", e.data, "b", e.binary ? "1" : "0", "i", e.id};
        asio::post(strand_, [self = shared_from_this(), args = std::move(args)]() mutable {
            if (self->stopped_) return;
            const auto c = ++self->counter_;
            args[9] = std::to_string(c);
            // Full: the oldest goes (the other nodes see its number missing: a gap).
            if (self->pending_.size() >= self->options_.max_pending) self->pending_.pop_front();
            self->pending_.push_back({c, std::move(args)});
            self->flush();
        });
    }

    // How many publishes wait to be appended (for tests and monitoring; on any thread,
    // an estimate).
    std::size_t pending() const noexcept { return pending_size_.load(std::memory_order_relaxed); }

private:
    struct pending_entry {
        std::uint64_t counter;
        std::vector<std::string> args;
    };

    void connect() {
        if (stopped_) return;
        const auto generation = ++generation_;
        writer_ = std::make_shared<redis::connection>(strand_);
        reader_ = std::make_shared<redis::connection>(strand_);
        auto both = std::make_shared<int>(0);
        auto connected = [self = shared_from_this(), generation, both](error_code ec) {
            if (generation != self->generation_ || self->stopped_) return;
            if (ec) return self->down();
            if (++*both == 2) self->check_epoch(generation);
        };
        for (auto* c : {&writer_, &reader_}) {
            (*c)->on_closed = [self = shared_from_this(), generation](error_code) {
                if (generation == self->generation_) self->down();
            };
            (*c)->connect(options_.host, options_.port, connected);
        }
    }

    // Redis's data is the one this node knew (the same epoch key), or it was lost.
    void check_epoch(std::uint64_t generation) {
        writer_->command({"SET", epoch_key_, node_ + ":" + std::to_string(generation), "NX"}, [](error_code, redis::reply) {});
        writer_->command({"GET", epoch_key_}, [self = shared_from_this(), generation](error_code ec, redis::reply r) {
            if (generation != self->generation_ || self->stopped_) return;
            if (ec || r.type != redis::reply::kind::string) return self->down();
            if (self->epoch_.empty()) {
                self->epoch_ = r.str;
                return self->position(generation);
            }
            if (self->epoch_ != r.str) { // Redis restarted without its data
                self->epoch_ = r.str;
                self->last_id_ = "0-0"; // everything in the new stream came after
                self->read_added_ = 0;
                self->seen_.clear();
                self->report_lost();
                return self->up(generation);
            }
            self->check_trimmed(generation, [self, generation] { self->up(generation); });
        });
    }

    // A node's first position: the end of the stream (what was published before it
    // joined the cluster is not its).
    void position(std::uint64_t generation) {
        stream_info(generation, [self = shared_from_this(), generation](const info& i) {
            self->last_id_ = i.last_id;
            self->read_added_ = i.added;
            self->up(generation);
        });
    }

    // Whether entries this node never read were trimmed, then `then`. The stream is
    // only ever trimmed from its front (MAXLEN; nothing is deleted otherwise): more
    // entries trimmed (added minus held) than this node had read means some it had not.
    void check_trimmed(std::uint64_t generation, std::function<void()> then) {
        stream_info(generation, [self = shared_from_this(), then = std::move(then)](const info& i) {
            if (i.added >= i.length && i.added - i.length > self->read_added_) {
                self->read_added_ = i.added - i.length; // (the next read starts at the first held)
                self->report_lost();
            }
            then();
        });
    }

    struct info {
        std::string last_id = "0-0"; // the last id generated
        std::uint64_t added = 0;     // entries ever added
        std::uint64_t length = 0;    // entries held
    };
    // XINFO STREAM (no stream yet: nothing added).
    template <class Then>
    void stream_info(std::uint64_t generation, Then then) {
        writer_->command({"XINFO", "STREAM", stream_},
                         [self = shared_from_this(), generation, then = std::move(then)](error_code ec, redis::reply r) {
                             if (generation != self->generation_ || self->stopped_) return;
                             if (ec) return self->down();
                             info i;
                             for (std::size_t k = 0; r.type == redis::reply::kind::array && k + 1 < r.elements.size(); k += 2) {
                                 const auto& name = r.elements[k].str;
                                 const auto& value = r.elements[k + 1];
                                 if (name == "last-generated-id") i.last_id = value.str;
                                 else if (name == "entries-added") i.added = static_cast<std::uint64_t>(value.integer);
                                 else if (name == "length") i.length = static_cast<std::uint64_t>(value.integer);
                             }
                             then(i);
                         });
    }

    void up(std::uint64_t generation) {
        backoff_.reset(); // (the next outage starts from the first delay)
        backoff_.connected(std::chrono::steady_clock::now());
        linked_ = true;
        sent_upto_ = 0; // everything pending goes (again) on this connection
        if (handlers_.status) handlers_.status({});
        flush();
        read(generation);
    }

    void down() {
        if (stopped_) return;
        const bool was_up = std::exchange(linked_, false);
        ++generation_; // what the old connections still call back is ignored
        drop_links();
        if (was_up || !reported_down_) {
            reported_down_ = true;
            if (handlers_.status) handlers_.status(error::backplane_unavailable);
        }
        backoff_.disconnected(std::chrono::steady_clock::now());
        retry_.expires_after(backoff_.next_delay());
        retry_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) self->connect();
        });
    }

    void drop_links() {
        for (auto* c : {&writer_, &reader_})
            if (*c) {
                (*c)->on_closed = nullptr;
                (*c)->close();
                c->reset();
            }
    }

    // Sends what is pending and not yet sent on this connection; each entry leaves the
    // queue when Redis has it.
    void flush() {
        pending_size_.store(pending_.size(), std::memory_order_relaxed);
        if (!linked_) return;
        for (const auto& p : pending_) {
            if (p.counter <= sent_upto_) continue;
            sent_upto_ = p.counter;
            writer_->command(p.args, [self = shared_from_this(), c = p.counter](error_code ec, redis::reply r) {
                if (ec) return; // the connection ended: re-sent on the next one
                // (An error reply, e.g. Redis out of memory: it is not retried; the other
                // nodes see its number missing.)
                if (r.is_error() && self->handlers_.status) self->handlers_.status(error::backplane_unavailable);
                while (!self->pending_.empty() && self->pending_.front().counter <= c) self->pending_.pop_front();
                self->pending_size_.store(self->pending_.size(), std::memory_order_relaxed);
            });
        }
    }

    void read(std::uint64_t generation) {
        reader_->command({"XREAD", "COUNT", std::to_string(read_batch), "BLOCK", "0", "STREAMS", stream_, last_id_},
                         [self = shared_from_this(), generation](error_code ec, redis::reply r) {
                             if (generation != self->generation_ || self->stopped_ || ec) return;
                             if (r.is_error()) return self->down();
                             const auto n = self->take(r);
                             // A full batch: the node is behind, and the stream may have
                             // been trimmed past its position.
                             if (n == read_batch)
                                 return self->check_trimmed(generation, [self, generation] { self->read(generation); });
                             self->read(generation);
                         });
    }

    // Delivers the entries of an XREAD reply; how many there were.
    std::size_t take(redis::reply& r) {
        std::size_t n = 0;
        if (r.type != redis::reply::kind::array) return 0; // (nil: nothing new)
        for (auto& stream : r.elements) {
            if (stream.elements.size() != 2) continue;
            for (auto& entry : stream.elements[1].elements) {
                if (entry.elements.size() != 2) continue;
                ++n;
                ++read_added_;
                last_id_ = entry.elements[0].str;
                take_entry(entry.elements[1].elements);
            }
        }
        return n;
    }

    void take_entry(std::vector<redis::reply>& fields) {
        std::string_view from, kind;
        std::uint64_t counter = 0;
        std::string topic;
        event e;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
            const auto& name = fields[i].str;
            auto& value = fields[i + 1].str;
            if (name == "n") from = value;
            else if (name == "c") std::from_chars(value.data(), value.data() + value.size(), counter);
            else if (name == "k") kind = value;
            else if (name == "t") topic = std::move(value);
            else if (name == "y") e.type = std::move(value);
            else if (name == "d") e.data = std::move(value);
            else if (name == "b") e.binary = value == "1";
            else if (name == "i") e.id = std::move(value);
        }
        if (from.empty() || counter == 0 || from == node_) return; // (its own: delivered when published)
        auto [it, first] = seen_.try_emplace(std::string(from), counter);
        if (!first) {
            if (counter <= it->second) return; // appended twice (re-sent after a reconnect)
            if (counter > it->second + 1) report_lost();
            it->second = counter;
        }
        if (handlers_.deliver) handlers_.deliver(kind == "b", std::move(topic), std::move(e));
    }

    void report_lost() {
        if (handlers_.lost) handlers_.lost();
    }

    asio::strand<asio::any_io_executor> strand_;
    const backplane_options options_;
    const std::string node_;
    const std::string stream_;
    const std::string epoch_key_;
    handlers handlers_;
    asio::steady_timer retry_;
    backoff backoff_;
    std::shared_ptr<redis::connection> writer_, reader_;
    std::uint64_t generation_ = 0; // of the connections: a new pair per connect
    bool linked_ = false;
    bool reported_down_ = false;
    bool stopped_ = false;
    std::string epoch_;             // Redis's data as this node first saw it
    std::string last_id_ = "0-0";   // read up to here
    std::uint64_t read_added_ = 0;  // how many entries were ever added up to there
    std::unordered_map<std::string, std::uint64_t> seen_; // the last counter read of each node
    std::uint64_t counter_ = 0;     // this node's publishes
    std::uint64_t sent_upto_ = 0;   // sent on the current connection
    std::deque<pending_entry> pending_;
    std::atomic<std::size_t> pending_size_{0};
};

} // namespace switchboard::detail

#endif
