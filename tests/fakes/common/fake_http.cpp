#include "fake_http.hpp"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <pthread.h>
#include <signal.h>

#include <cctype>
#include <iostream>

namespace llmp::fakes {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string RecordedRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

std::string RecordedRequest::queryParam(std::string_view name) const {
  try {
    Poco::URI uri("/?" + query);
    for (const auto& [k, v] : uri.getQueryParameters()) {
      if (k == name) {
        return v;
      }
    }
  } catch (...) {
  }
  return {};
}

std::string RecordedRequest::apiKey() const {
  std::string key = header("x-goog-api-key");
  if (key.empty()) {
    key = queryParam("key");
  }
  if (key.empty()) {
    // OAuth-style callers (gemini-cli's bearer mode, some gateways) send the key as a token.
    std::string auth = header("authorization");
    if (auth.size() > 7 && iequals(auth.substr(0, 7), "Bearer ")) {
      key = auth.substr(7);
    }
  }
  return key;
}

RecordedRequest readRequest(Poco::Net::HTTPServerRequest& req) {
  RecordedRequest rec;
  rec.method = req.getMethod();
  const std::string& uri = req.getURI();
  size_t q = uri.find('?');
  rec.path = uri.substr(0, q);
  rec.query = q == std::string::npos ? "" : uri.substr(q + 1);
  for (const auto& [k, v] : req) {
    rec.headers.emplace_back(k, v);
  }
  Poco::StreamCopier::copyToString(req.stream(), rec.body);
  return rec;
}

std::map<std::string, std::string> parseForm(const std::string& text) {
  std::map<std::string, std::string> out;
  try {
    Poco::URI uri("/?" + text);
    for (auto& [k, v] : uri.getQueryParameters()) {
      out[k] = v;
    }
  } catch (...) {
  }
  return out;
}

std::string base64UrlDecode(std::string_view in, bool* ok) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  *ok = true;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-') {
      v = 62;
    } else if (c == '_') {
      v = 63;
    } else {
      *ok = false;
      return {};
    }
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

nlohmann::json googleError(int status, const std::string& message, const std::string& retryDelay,
                           const std::string& reason, const std::string& domain) {
  static const std::map<int, std::string> names = {
      {400, "INVALID_ARGUMENT"}, {401, "UNAUTHENTICATED"},    {403, "PERMISSION_DENIED"},
      {404, "NOT_FOUND"},        {429, "RESOURCE_EXHAUSTED"}, {500, "INTERNAL"},
      {503, "UNAVAILABLE"},      {504, "DEADLINE_EXCEEDED"}};
  auto it = names.find(status);
  nlohmann::json err = {{"code", status},
                        {"message", message},
                        {"status", it == names.end() ? "UNKNOWN" : it->second}};
  nlohmann::json details = nlohmann::json::array();
  if (!reason.empty()) {
    details.push_back({{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                       {"reason", reason},
                       {"domain", domain}});
  }
  if (!retryDelay.empty()) {
    details.push_back(
        {{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", retryDelay}});
  }
  if (!details.empty()) {
    err["details"] = details;
  }
  return {{"error", err}};
}

std::unique_ptr<Poco::Net::HTTPServer> startServer(Poco::Net::HTTPRequestHandlerFactory* factory,
                                                   uint16_t* port, int maxThreads,
                                                   int maxQueued) {
  Poco::Net::HTTPRequestHandlerFactory::Ptr owned(factory);
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", *port));
  *port = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(maxThreads);
  if (maxQueued > 0) {
    params->setMaxQueued(maxQueued);
  }
  params->setKeepAlive(true);
  auto server = std::make_unique<Poco::Net::HTTPServer>(owned, socket, params);
  server->start();
  return server;
}

int serveUntilSignal(const std::function<void()>& start, const std::function<uint16_t()>& port,
                     const std::function<void()>& stop) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  start();
  std::cout << "PORT=" << port() << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  stop();
  return 0;
}

}  // namespace llmp::fakes
