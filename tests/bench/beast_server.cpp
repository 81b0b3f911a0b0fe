// The raw Beast peer of switchboard's WebSocket benchmark: one
// boost::beast::websocket::stream per connection, one frame per async_write.
//   bench-beast-server PORT echo|fanout
// fanout: each message is shared (one buffer) and queued on every connection; each
// connection writes its queue one frame at a time.
// Distributed under the Boost Software License, Version 1.0.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <iostream>
#include <memory>
#include <set>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

bool fanout = false;

class connection;
std::set<connection*> everyone;

class connection : public std::enable_shared_from_this<connection> {
public:
    explicit connection(tcp::socket s) : ws_(std::move(s)) {}
    ~connection() { everyone.erase(this); }

    void start() {
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            everyone.insert(self.get());
            self->read();
        });
    }

    void send(std::shared_ptr<const std::string> msg) {
        queue_.push_back(std::move(msg));
        if (queue_.size() == 1) write();
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            auto msg = std::make_shared<const std::string>(beast::buffers_to_string(self->buffer_.data()));
            self->buffer_.consume(self->buffer_.size());
            if (fanout)
                for (auto* c : everyone) c->send(msg);
            else
                self->send(msg);
            self->read();
        });
    }

    void write() {
        ws_.text(true);
        ws_.async_write(asio::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->queue_.pop_front();
            if (!self->queue_.empty()) self->write();
        });
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
};

void accept(tcp::acceptor& a) {
    a.async_accept([&a](beast::error_code ec, tcp::socket s) {
        if (!ec) {
            s.set_option(tcp::no_delay(true));
            std::make_shared<connection>(std::move(s))->start();
        }
        accept(a);
    });
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    fanout = std::string(argv[2]) == "fanout";
    asio::io_context ioc{1};
    tcp::acceptor a{ioc, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(argv[1]))}};
    accept(a);
    std::cout << "ready" << std::endl;
    ioc.run();
}
