#include "auth/proxy_auth.h"

#include <openssl/crypto.h>

#include <llmp/cpp/bytes.hpp>

namespace llmp::host {
namespace {

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]);
      int lo = hex(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

}  // namespace

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    // Still touch the bytes so a length probe costs the same as a content probe.
    volatile unsigned char sink = 0;
    for (char c : a) {
      sink |= static_cast<unsigned char>(c);
    }
    (void)sink;
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ProxyAuth::presentedKey(const llmp_header* headers, size_t count,
                                    std::string_view query) {
  std::string_view auth = findHeader(headers, count, "authorization");
  if (auth.size() > 7 && iequals(auth.substr(0, 7), "bearer ")) {
    return std::string(auth.substr(7));
  }
  for (const char* name : {"x-api-key", "x-goog-api-key"}) {
    std::string_view v = findHeader(headers, count, name);
    if (!v.empty()) {
      return std::string(v);
    }
  }
  size_t pos = 0;
  while (pos < query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) {
      end = query.size();
    }
    std::string_view pair = query.substr(pos, end - pos);
    if (pair.substr(0, 4) == "key=") {
      return percentDecode(pair.substr(4));
    }
    pos = end + 1;
  }
  return {};
}

bool ProxyAuth::allows(const llmp_header* headers, size_t count, std::string_view query) const {
  if (keys_.empty()) {
    return true;
  }
  std::string presented = presentedKey(headers, count, query);
  if (presented.empty()) {
    return false;
  }
  bool ok = false;
  for (const auto& key : keys_) {
    ok |= constantTimeEquals(presented, key);  // no early exit: every key is compared
  }
  return ok;
}

}  // namespace llmp::host
