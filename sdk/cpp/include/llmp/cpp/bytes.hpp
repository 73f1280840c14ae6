// Conversions between llmp_bytes / llmp_header and C++ string types.
#pragma once

#include <llmp/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace llmp {

inline llmp_bytes toBytes(std::string_view s) { return llmp_bytes{s.data(), s.size()}; }
inline std::string_view view(llmp_bytes b) {
  return b.ptr ? std::string_view(b.ptr, b.len) : std::string_view();
}
inline std::string str(llmp_bytes b) { return std::string(view(b)); }

// Case-insensitive ASCII comparison (HTTP header names).
bool iequals(std::string_view a, std::string_view b);

// Looks a header up by name (case-insensitive); empty view when absent.
std::string_view findHeader(const llmp_header* headers, size_t count, std::string_view name);

// Owns header strings and exposes them as an llmp_header array for a call.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(std::initializer_list<std::pair<std::string, std::string>> init);
  void add(std::string name, std::string value);
  const llmp_header* data();
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
  std::vector<llmp_header> view_;
};

}  // namespace llmp
