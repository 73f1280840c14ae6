// What the fake upstream servers (tests/fakes: gemini, code_assist, antigravity, google_oauth)
// have in common: reading and recording a request, parsing forms and base64url, Google's error body,
// starting a Poco server on 127.0.0.1 and the executables' run-until-signal loop.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmp::fakes {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

bool iequals(std::string_view a, std::string_view b);

// One request as a fake saw it.
struct RecordedRequest {
  std::string method;
  std::string path;   // without the query (the Gemini fake records it URL-decoded)
  std::string query;  // raw, without '?'
  HeaderPairs headers;
  std::string body;
  // The first header of that name (any case), or "".
  std::string header(std::string_view name) const;
  // Decoded query parameter; empty when absent.
  std::string queryParam(std::string_view name) const;
  // The API key the request carried (x-goog-api-key header, else ?key=, else a Bearer token).
  std::string apiKey() const;
};

// The handler factory every fake hands its server: a new Handler(state) per request.
template <class Handler, class State>
class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(state_);
  }

 private:
  std::shared_ptr<State> state_;
};

// Reads the request line, headers and the whole body.
RecordedRequest readRequest(Poco::Net::HTTPServerRequest& req);

// application/x-www-form-urlencoded (or a raw query) as a map; {} when it does not parse.
std::map<std::string, std::string> parseForm(const std::string& text);

// Unpadded base64url; *ok false (and "" returned) on a character outside the alphabet.
std::string base64UrlDecode(std::string_view in, bool* ok);

// {"error": {"code", "message", "status", "details"?}} as Google APIs answer; details hold an
// ErrorInfo (reason, domain) and a RetryInfo (retryDelay) when those are given.
nlohmann::json googleError(int status, const std::string& message,
                           const std::string& retryDelay = "", const std::string& reason = "",
                           const std::string& domain = "cloudcode-pa.googleapis.com");

// Binds 127.0.0.1:*port (0 = any; *port receives the bound port) and starts a keep-alive server
// with `factory` (owned by the server). maxQueued 0 keeps Poco's default.
std::unique_ptr<Poco::Net::HTTPServer> startServer(Poco::Net::HTTPRequestHandlerFactory* factory,
                                                   uint16_t* port, int maxThreads,
                                                   int maxQueued = 0);

// For the fake executables: blocks SIGINT/SIGTERM, calls start, prints "PORT=<port()>", waits
// for one of the signals, calls stop. Returns the exit code (0).
int serveUntilSignal(const std::function<void()>& start, const std::function<uint16_t()>& port,
                     const std::function<void()>& stop);

template <class Fake>
int serveUntilSignal(Fake& fake) {
  return serveUntilSignal([&] { fake.start(); }, [&] { return fake.port(); },
                          [&] { fake.stop(); });
}

}  // namespace llmp::fakes
