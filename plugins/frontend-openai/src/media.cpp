#include "media.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace llmp::plugins::frontend_openai {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=' ||
         c == '-' || c == '_';
}

}  // namespace

std::string base64Encode(std::string_view bytes) {
  static const char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kTable[(v >> 18) & 63]);
    out.push_back(kTable[(v >> 12) & 63]);
    out.push_back(kTable[(v >> 6) & 63]);
    out.push_back(kTable[v & 63]);
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) {
      v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    }
    out.push_back(kTable[(v >> 18) & 63]);
    out.push_back(kTable[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kTable[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<DataUri> parseDataUri(std::string_view uri) {
  if (uri.size() < 5 || lower(uri.substr(0, 5)) != "data:") {
    return std::nullopt;
  }
  size_t comma = uri.find(',');
  if (comma == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view meta = uri.substr(5, comma - 5);
  std::string_view payload = uri.substr(comma + 1);
  DataUri out;
  bool isBase64 = false;
  size_t pos = 0;
  bool first = true;
  while (pos <= meta.size()) {
    size_t semi = meta.find(';', pos);
    std::string_view token =
        meta.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
    if (first) {
      out.mimeType = lower(token);
      first = false;
    } else if (lower(token) == "base64") {
      isBase64 = true;
    }
    if (semi == std::string_view::npos) {
      break;
    }
    pos = semi + 1;
  }
  if (isBase64) {
    std::string data;
    data.reserve(payload.size());
    for (char c : payload) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        continue;
      }
      if (!isBase64Char(c)) {
        return std::nullopt;
      }
      data.push_back(c);
    }
    if (data.empty()) {
      return std::nullopt;
    }
    out.base64 = std::move(data);
    return out;
  }
  std::string raw;
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] == '%' && i + 2 < payload.size() && hexValue(payload[i + 1]) >= 0 &&
        hexValue(payload[i + 2]) >= 0) {
      raw.push_back(static_cast<char>(hexValue(payload[i + 1]) * 16 + hexValue(payload[i + 2])));
      i += 2;
    } else {
      raw.push_back(payload[i]);
    }
  }
  if (out.mimeType.empty()) {
    out.mimeType = "text/plain";
  }
  out.base64 = base64Encode(raw);
  return out;
}

bool isHttpUrl(std::string_view url) {
  std::string head = lower(url.substr(0, 8));
  return head.rfind("http://", 0) == 0 || head.rfind("https://", 0) == 0;
}

std::string mimeFromName(std::string_view name) {
  size_t end = name.find_first_of("?#");
  std::string_view path = name.substr(0, end);
  size_t slash = path.rfind('/');
  std::string_view file = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = file.rfind('.');
  if (dot == std::string_view::npos) {
    return {};
  }
  std::string ext = lower(file.substr(dot + 1));
  static const std::pair<const char*, const char*> kTypes[] = {
      {"png", "image/png"},        {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},        {"webp", "image/webp"},      {"heic", "image/heic"},
      {"heif", "image/heif"},      {"bmp", "image/bmp"},        {"pdf", "application/pdf"},
      {"wav", "audio/wav"},        {"mp3", "audio/mp3"},        {"aac", "audio/aac"},
      {"ogg", "audio/ogg"},        {"flac", "audio/flac"},      {"aiff", "audio/aiff"},
      {"mp4", "video/mp4"},        {"mpeg", "video/mpeg"},      {"mov", "video/mov"},
      {"webm", "video/webm"},      {"txt", "text/plain"},       {"md", "text/md"},
      {"html", "text/html"},       {"csv", "text/csv"},         {"xml", "text/xml"},
      {"json", "application/json"}, {"js", "text/javascript"},  {"py", "text/x-python"},
  };
  for (const auto& [e, type] : kTypes) {
    if (ext == e) {
      return type;
    }
  }
  return {};
}

}  // namespace llmp::plugins::frontend_openai
