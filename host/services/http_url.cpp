#include "services/http_url.h"

#include <cctype>

namespace llmp::host::services {
namespace {

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

bool validHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool validIpv6Char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

}  // namespace

bool parseHttpUrl(std::string_view url, HttpUrl* out, std::string* error) {
  std::string_view rest;
  if (startsWithNoCase(url, "https://")) {
    out->tls = true;
    rest = url.substr(8);
  } else if (startsWithNoCase(url, "http://")) {
    out->tls = false;
    rest = url.substr(7);
  } else {
    *error = "invalid URL: it must start with http:// or https://";
    return false;
  }
  size_t authorityEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authorityEnd);
  std::string_view target =
      authorityEnd == std::string_view::npos ? std::string_view() : rest.substr(authorityEnd);
  if (authority.find('@') != std::string_view::npos) {
    *error = "invalid URL: user info in the authority is not supported";
    return false;
  }
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "invalid URL: unterminated IPv6 address";
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        *error = "invalid URL: unexpected characters after the IPv6 address";
        return false;
      }
      port = after.substr(1);
    }
    for (char c : host) {
      if (!validIpv6Char(c)) {
        *error = "invalid URL: bad IPv6 address";
        return false;
      }
    }
  } else {
    size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
    for (char c : host) {
      if (!validHostChar(c)) {
        *error = "invalid URL: bad character in the host name";
        return false;
      }
    }
  }
  if (host.empty()) {
    *error = "invalid URL: no host";
    return false;
  }
  uint32_t portValue = out->tls ? 443 : 80;
  if (!port.empty() || (authority.size() > host.size() && authority.back() == ':')) {
    if (port.empty() || port.size() > 5) {
      *error = "invalid URL: bad port";
      return false;
    }
    portValue = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        *error = "invalid URL: bad port";
        return false;
      }
      portValue = portValue * 10 + static_cast<uint32_t>(c - '0');
    }
    if (portValue == 0 || portValue > 65535) {
      *error = "invalid URL: bad port";
      return false;
    }
  }
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      *error = "invalid URL: space or control character in the path or query";
      return false;
    }
  }
  out->host.assign(host);
  out->port = static_cast<uint16_t>(portValue);
  out->target.clear();
  if (target.empty() || target.front() != '/') {
    out->target.push_back('/');
  }
  out->target.append(target);
  bool ipv6 = out->host.find(':') != std::string::npos;
  out->endpoint.clear();
  out->endpoint.append(ipv6 ? "[" : "").append(out->host).append(ipv6 ? "]" : "");
  out->endpoint.push_back(':');
  out->endpoint.append(std::to_string(out->port));
  out->poolKey.assign(out->tls ? "https://" : "http://").append(out->endpoint);
  const bool defaultPort = out->port == (out->tls ? 443 : 80);
  out->hostHeader = defaultPort ? out->endpoint.substr(0, out->endpoint.rfind(':')) : out->endpoint;
  return true;
}

}  // namespace llmp::host::services
