// Local servers for the HTTP client tests, bound to 127.0.0.1 on a free port:
//  - PocoServer: a Poco HTTPServer running one handler function for every request;
//  - RawServer: a TCP listener that hands each accepted connection to a script, for answers a
//    well-behaved server would never give (truncated bodies, silent closes).
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace llmp::host::services::testing {

// A one-shot gate: wait() blocks until open() (or the timeout, so a broken test cannot hang).
class Latch {
 public:
  void open();
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool isOpen();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

class PocoServer {
 public:
  using Handler =
      std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;
  explicit PocoServer(Handler handler);
  ~PocoServer();

  uint16_t port() const { return port_; }
  std::string url(const std::string& pathAndQuery) const;
  // Distinct client connections that carried at least one request.
  size_t connectionsSeen();

 private:
  class Factory;
  std::shared_ptr<Handler> handler_;
  std::mutex mutex_;
  std::set<uint16_t> clientPorts_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

class RawServer {
 public:
  // Runs once per accepted connection, in accept order, on the server thread.
  using Script = std::function<void(Poco::Net::StreamSocket& socket, int index)>;
  explicit RawServer(Script script);
  ~RawServer();

  uint16_t port() const { return port_; }
  std::string url(const std::string& pathAndQuery) const;
  int connections() const { return accepted_.load(); }

  // Reads one request head (up to the blank line); false when the peer closed first.
  static bool readRequestHead(Poco::Net::StreamSocket& socket, std::string* head = nullptr);
  static void sendAll(Poco::Net::StreamSocket& socket, const std::string& bytes);

 private:
  Script script_;
  Poco::Net::ServerSocket listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace llmp::host::services::testing
