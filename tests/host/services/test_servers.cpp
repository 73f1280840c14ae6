#include "test_servers.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>

namespace llmp::host::services::testing {

void Latch::open() {
  std::lock_guard<std::mutex> lock(mutex_);
  open_ = true;
  cv_.notify_all();
}

bool Latch::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return open_; });
}

bool Latch::isOpen() {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_;
}

namespace {
class FnHandler : public Poco::Net::HTTPRequestHandler {
 public:
  FnHandler(std::shared_ptr<PocoServer::Handler> fn, std::function<void(uint16_t)> seen)
      : fn_(std::move(fn)), seen_(std::move(seen)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    seen_(req.clientAddress().port());
    (*fn_)(req, resp);
  }

 private:
  std::shared_ptr<PocoServer::Handler> fn_;
  std::function<void(uint16_t)> seen_;
};
}  // namespace

class PocoServer::Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(PocoServer* owner) : owner_(owner) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    PocoServer* owner = owner_;
    return new FnHandler(owner->handler_, [owner](uint16_t port) {
      std::lock_guard<std::mutex> lock(owner->mutex_);
      owner->clientPorts_.insert(port);
    });
  }

 private:
  PocoServer* owner_;
};

PocoServer::PocoServer(Handler handler) : handler_(std::make_shared<Handler>(std::move(handler))) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(1000);
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  params->setMaxThreads(32);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket, params);
  server_->start();
}

PocoServer::~PocoServer() { server_->stopAll(true); }

std::string PocoServer::url(const std::string& pathAndQuery) const {
  return "http://127.0.0.1:" + std::to_string(port_) + pathAndQuery;
}

size_t PocoServer::connectionsSeen() {
  std::lock_guard<std::mutex> lock(mutex_);
  return clientPorts_.size();
}

RawServer::RawServer(Script script)
    : script_(std::move(script)), listener_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
  port_ = listener_.address().port();
  thread_ = std::thread([this] {
    int index = 0;
    while (!stop_.load()) {
      if (!listener_.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ)) {
        continue;
      }
      Poco::Net::StreamSocket socket = listener_.acceptConnection();
      accepted_.fetch_add(1);
      try {
        socket.setReceiveTimeout(Poco::Timespan(10, 0));
        script_(socket, index++);
      } catch (...) {
      }
      try {
        socket.close();
      } catch (...) {
      }
    }
  });
}

RawServer::~RawServer() {
  stop_.store(true);
  thread_.join();
}

std::string RawServer::url(const std::string& pathAndQuery) const {
  return "http://127.0.0.1:" + std::to_string(port_) + pathAndQuery;
}

bool RawServer::readRequestHead(Poco::Net::StreamSocket& socket, std::string* head) {
  std::string data;
  char c;
  while (data.size() < 65536) {
    int n = socket.receiveBytes(&c, 1);
    if (n <= 0) {
      return false;
    }
    data.push_back(c);
    if (data.size() >= 4 && data.compare(data.size() - 4, 4, "\r\n\r\n") == 0) {
      if (head != nullptr) {
        *head = data;
      }
      return true;
    }
  }
  return false;
}

void RawServer::sendAll(Poco::Net::StreamSocket& socket, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    int n = socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    if (n <= 0) {
      return;
    }
    sent += static_cast<size_t>(n);
  }
}

}  // namespace llmp::host::services::testing
