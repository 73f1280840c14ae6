#include "ids.hpp"

#include <random>

namespace llmp::plugins::anthropic {

std::string mintId(std::string_view prefix) {
  // One generator per thread: handle() runs concurrently on the host's request threads.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  id += '_';
  for (int word = 0; word < 2; ++word) {
    uint64_t bits = generator();
    for (int i = 0; i < 12; ++i) {
      id += kHex[bits & 0xF];
      bits >>= 4;
    }
  }
  return id;
}

}  // namespace llmp::plugins::anthropic
