#include "llmp/cpp/bytes.hpp"

#include <cctype>

namespace llmp {

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

std::string_view findHeader(const llmp_header* headers, size_t count, std::string_view name) {
  for (size_t i = 0; i < count; ++i) {
    if (iequals(view(headers[i].name), name)) {
      return view(headers[i].value);
    }
  }
  return {};
}

HeaderList::HeaderList(std::initializer_list<std::pair<std::string, std::string>> init)
    : entries_(init) {}

void HeaderList::add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

const llmp_header* HeaderList::data() {
  view_.clear();
  view_.reserve(entries_.size());
  for (const auto& [name, value] : entries_) {
    view_.push_back(llmp_header{toBytes(name), toBytes(value)});
  }
  return view_.data();
}

}  // namespace llmp
