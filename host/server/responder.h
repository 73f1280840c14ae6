// llmp_responder over a Poco HTTPServerResponse: one-shot responses with Content-Length, or
// chunked streams flushed on every write.
#pragma once

#include <ostream>

#include <Poco/Net/HTTPServerResponse.h>
#include <llmp/frontend.h>

namespace llmp::host {

class PocoResponder {
 public:
  explicit PocoResponder(Poco::Net::HTTPServerResponse& response);
  const llmp_responder* responder() const { return &responder_; }
  bool started() const { return sent_ || stream_ != nullptr; }
  // Sends a JSON body if the front end answered nothing at all.
  void sendFallback(int status, const std::string& json);

 private:
  static llmp_status send(void* ctx, int32_t status, const llmp_header* headers, size_t count,
                          llmp_bytes body);
  static llmp_status begin(void* ctx, int32_t status, const llmp_header* headers, size_t count);
  static llmp_status write(void* ctx, llmp_bytes data);
  void applyHead(int32_t status, const llmp_header* headers, size_t count);

  Poco::Net::HTTPServerResponse& response_;
  std::ostream* stream_ = nullptr;
  bool sent_ = false;
  bool broken_ = false;
  llmp_responder responder_{};
};

}  // namespace llmp::host
