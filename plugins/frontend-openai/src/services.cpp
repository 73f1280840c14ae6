#include "services.hpp"

#include <chrono>
#include <random>

namespace llmp::plugins::frontend_openai {

std::string signatureKey(std::string_view toolCallId) {
  return "frontend-openai:sig:" + std::string(toolCallId);
}

std::optional<std::string> HostServices::kvGet(std::string_view key) {
  if (!LLMP_HOST_HAS(api_, kv_get)) {
    return std::nullopt;
  }
  return host_.kvGet(key);
}

void HostServices::kvSet(std::string_view key, std::string_view value, int64_t ttlMs) {
  if (LLMP_HOST_HAS(api_, kv_set)) {
    host_.kvSet(key, value, ttlMs);
  }
}

void HostServices::log(int32_t level, std::string_view message) { host_.log(level, message); }

int64_t HostServices::nowSeconds() {
  if (LLMP_HOST_HAS(api_, wall_ms)) {
    return host_.wallMs() / 1000;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string HostServices::randomHex(size_t bytes) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (size_t i = 0; i < bytes; ++i) {
    unsigned v = static_cast<unsigned>(rng() & 0xff);
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 15]);
  }
  return out;
}

}  // namespace llmp::plugins::frontend_openai
