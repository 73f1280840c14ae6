// Splits an absolute http:// or https:// URL into what the HTTP client needs. Error messages
// never repeat the URL: its query may carry an API key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace llmp::host::services {

struct HttpUrl {
  bool tls = false;
  std::string host;    // without brackets for IPv6 literals
  uint16_t port = 0;
  std::string target;  // origin-form request target: path and query, never empty
  std::string endpoint;  // "host:port" for messages ("[::1]:8080" for IPv6)
  std::string poolKey;   // "scheme://host:port"
  std::string hostHeader;  // the Host field: endpoint without the scheme's default port
};

// False with *error set for anything but a well-formed absolute http(s) URL.
bool parseHttpUrl(std::string_view url, HttpUrl* out, std::string* error);

}  // namespace llmp::host::services
