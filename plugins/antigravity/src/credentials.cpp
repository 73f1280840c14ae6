#include "credentials.hpp"

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <fstream>
#include <memory>
#include <sstream>

namespace llmp::plugins::antigravity {

namespace {

constexpr const char* kUnifiedKey = "antigravityUnifiedStateSync.oauthToken";
constexpr const char* kJetskiKey = "jetskiStateSync.agentManagerInitState";
constexpr const char* kAuthStatusKey = "antigravityAuthStatus";

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

[[noreturn]] void authError(const std::string& message) {
  throw Error(LLMP_E_AUTH, 401, message);
}

bool readVarint(std::string_view data, size_t* pos, uint64_t* out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64 && *pos < data.size(); shift += 7) {
    auto b = static_cast<unsigned char>(data[(*pos)++]);
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = value;
      return true;
    }
  }
  return false;
}

// Walks the top-level fields; calls fn(field, wireType, bytes-or-empty, varint). False when the
// message is malformed.
template <typename Fn>
bool walk(std::string_view data, Fn&& fn) {
  size_t pos = 0;
  while (pos < data.size()) {
    uint64_t tag = 0;
    if (!readVarint(data, &pos, &tag)) {
      return false;
    }
    auto field = static_cast<uint32_t>(tag >> 3);
    auto wire = static_cast<int>(tag & 7);
    if (wire == 0) {
      uint64_t v = 0;
      if (!readVarint(data, &pos, &v)) {
        return false;
      }
      fn(field, wire, std::string_view(), v);
    } else if (wire == 2) {
      uint64_t len = 0;
      if (!readVarint(data, &pos, &len) || len > data.size() - pos) {
        return false;
      }
      fn(field, wire, data.substr(pos, len), 0);
      pos += len;
    } else if (wire == 1) {
      if (data.size() - pos < 8) {
        return false;
      }
      pos += 8;
    } else if (wire == 5) {
      if (data.size() - pos < 4) {
        return false;
      }
      pos += 4;
    } else {
      return false;
    }
  }
  return true;
}

// Reads ItemTable values for the given keys (absent keys stay empty).
std::vector<std::string> readItems(const std::string& path, const std::vector<std::string>& keys) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  if (rc != SQLITE_OK) {
    authError("cannot open the Antigravity state database " + path + ": " +
              (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  // The app may be writing at the same moment.
  sqlite3_busy_timeout(db.get(), 2000);
  sqlite3_stmt* rawStmt = nullptr;
  rc = sqlite3_prepare_v2(db.get(), "SELECT value FROM ItemTable WHERE key = ?1", -1, &rawStmt,
                          nullptr);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(rawStmt, sqlite3_finalize);
  if (rc != SQLITE_OK) {
    authError("the Antigravity state database " + path +
              " is not a VS Code state store (no ItemTable): " + sqlite3_errmsg(db.get()));
  }
  std::vector<std::string> values;
  for (const auto& key : keys) {
    sqlite3_reset(stmt.get());
    sqlite3_bind_text(stmt.get(), 1, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    rc = sqlite3_step(stmt.get());
    std::string value;
    if (rc == SQLITE_ROW) {
      const void* blob = sqlite3_column_blob(stmt.get(), 0);
      int n = sqlite3_column_bytes(stmt.get(), 0);
      if (blob != nullptr && n > 0) {
        value.assign(static_cast<const char*>(blob), static_cast<size_t>(n));
      }
    } else if (rc != SQLITE_DONE) {
      authError("cannot read the Antigravity state database " + path + ": " +
                sqlite3_errmsg(db.get()));
    }
    values.push_back(std::move(value));
  }
  return values;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' ||
                        s.back() == '"')) {
    s.pop_back();
  }
  size_t start = s.find_first_not_of(" \"\r\n");
  return start == std::string::npos ? std::string() : s.substr(start);
}

bool fromUnified(const std::string& value, StoredToken* out) {
  bool ok = false;
  std::string topic = base64Decode(trimmed(value), &ok);
  if (!ok) {
    return false;
  }
  for (const auto& entry : protoBytesFields(topic, 1)) {
    for (const auto& row : protoBytesFields(entry, 2)) {
      for (const auto& payload : protoBytesFields(row, 1)) {
        bool decoded = false;
        std::string info = base64Decode(payload, &decoded);
        if (decoded && parseOAuthTokenInfo(info, out)) {
          return true;
        }
      }
    }
  }
  return false;
}

bool fromJetski(const std::string& value, StoredToken* out) {
  bool ok = false;
  std::string state = base64Decode(trimmed(value), &ok);
  if (!ok) {
    return false;
  }
  for (const auto& info : protoBytesFields(state, 6)) {
    if (parseOAuthTokenInfo(info, out)) {
      return true;
    }
  }
  return false;
}

bool fromAuthStatus(const std::string& value, StoredToken* out) {
  auto doc = parseJson(value);
  if (!doc || !doc->is_object()) {
    return false;
  }
  auto key = doc->find("apiKey");
  if (key == doc->end() || !key->is_string() || key->get_ref<const std::string&>().empty()) {
    return false;
  }
  out->accessToken = key->get<std::string>();
  auto email = doc->find("email");
  if (email != doc->end() && email->is_string()) {
    out->email = email->get<std::string>();
  }
  return true;
}

int64_t parseRfc3339Ms(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) {
    return 0;
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

std::vector<std::string> protoBytesFields(std::string_view message, uint32_t field) {
  std::vector<std::string> out;
  bool ok = walk(message, [&](uint32_t f, int wire, std::string_view bytes, uint64_t) {
    if (f == field && wire == 2) {
      out.emplace_back(bytes);
    }
  });
  if (!ok) {
    out.clear();
  }
  return out;
}

bool protoVarintField(std::string_view message, uint32_t field, uint64_t* out) {
  bool found = false;
  bool ok = walk(message, [&](uint32_t f, int wire, std::string_view, uint64_t v) {
    if (f == field && wire == 0) {
      *out = v;
      found = true;
    }
  });
  return ok && found;
}

std::string base64Decode(std::string_view text, bool* ok) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  *ok = true;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else if (c == '=' || c == '\n' || c == '\r') {
      continue;
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

std::string base64Encode(std::string_view data) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i < data.size()) {
    uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) {
      n |= static_cast<unsigned char>(data[i + 1]) << 8;
    }
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool parseOAuthTokenInfo(std::string_view message, StoredToken* out) {
  auto access = protoBytesFields(message, 1);
  if (access.empty() || access.front().empty()) {
    return false;
  }
  out->accessToken = access.front();
  auto refresh = protoBytesFields(message, 3);
  out->refreshToken = refresh.empty() ? std::string() : refresh.front();
  out->expiryMs = 0;
  auto expiry = protoBytesFields(message, 4);
  uint64_t seconds = 0;
  if (!expiry.empty() && protoVarintField(expiry.front(), 1, &seconds)) {
    out->expiryMs = static_cast<int64_t>(seconds) * 1000;
  }
  return true;
}

StoredToken readStateDb(const std::string& path) {
  if (!fileExists(path)) {
    authError("no Antigravity token: the state database " + path +
              " does not exist. Sign in to the Antigravity app on this machine, or point "
              "state_db / ANTIGRAVITY_STATE_DB at its state.vscdb");
  }
  auto values = readItems(path, {kUnifiedKey, kJetskiKey, kAuthStatusKey});
  StoredToken token;
  if (!values[0].empty() && fromUnified(values[0], &token)) {
    token.origin = "state database " + path + " (" + kUnifiedKey + ")";
  } else if (!values[1].empty() && fromJetski(values[1], &token)) {
    token.origin = "state database " + path + " (" + kJetskiKey + ")";
  } else if (!values[2].empty() && fromAuthStatus(values[2], &token)) {
    token.origin = "state database " + path + " (" + kAuthStatusKey + ")";
  } else {
    authError("no Antigravity token in the state database " + path +
              ": no signed-in account (records " + kUnifiedKey + ", " + kJetskiKey + ", " +
              kAuthStatusKey + " are absent or empty). Sign in to the Antigravity app");
  }
  if (token.email.empty() && !values[2].empty()) {
    auto status = parseJson(values[2]);
    if (status && status->is_object()) {
      auto email = status->find("email");
      if (email != status->end() && email->is_string()) {
        token.email = email->get<std::string>();
      }
    }
  }
  return token;
}

StoredToken readCredentialsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    authError("no Antigravity token: the credentials file " + path + " cannot be read");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto doc = parseJson(text.str());
  if (!doc || !doc->is_object()) {
    authError("the Antigravity credentials file " + path + " is not a JSON object");
  }
  auto str = [&](const char* name) -> std::string {
    auto it = doc->find(name);
    return it != doc->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  StoredToken token;
  token.origin = "credentials file " + path;
  token.accessToken = str("access_token");
  token.refreshToken = str("refresh_token");
  token.email = str("email");
  token.clientId = str("client_id");
  token.clientSecret = str("client_secret");
  auto num = [&](const char* name) -> int64_t {
    auto it = doc->find(name);
    return it != doc->end() && it->is_number() ? it->get<int64_t>() : 0;
  };
  if (int64_t ms = num("expiry_date"); ms > 0) {
    token.expiryMs = ms;
  } else if (int64_t s = num("expires_at"); s > 0) {
    token.expiryMs = s > 100000000000 ? s : s * 1000;
  } else if (std::string e = str("expiry"); !e.empty()) {
    token.expiryMs = parseRfc3339Ms(e);
  }
  if (token.accessToken.empty() && token.refreshToken.empty()) {
    authError("the Antigravity credentials file " + path +
              " holds neither access_token nor refresh_token");
  }
  return token;
}

StoreTokenSource::StoreTokenSource(AntigravityConfig config, google::HttpFn http,
                                   WallClock wallMs)
    : config_(std::move(config)), http_(std::move(http)), wallMs_(std::move(wallMs)) {
  if (!wallMs_) {
    wallMs_ = [] { return static_cast<int64_t>(std::time(nullptr)) * 1000; };
  }
}

std::string StoreTokenSource::location() const {
  if (!config_.credentialsFile.empty()) {
    return config_.credentialsFile;
  }
  if (!config_.stateDb.empty()) {
    return config_.stateDb;
  }
  for (const auto& candidate : config_.stateDbCandidates) {
    if (fileExists(candidate)) {
      return candidate;
    }
  }
  return config_.stateDbCandidates.empty() ? std::string("state.vscdb")
                                           : config_.stateDbCandidates.front();
}

StoredToken StoreTokenSource::load() const {
  if (!config_.credentialsFile.empty()) {
    return readCredentialsFile(config_.credentialsFile);
  }
  return readStateDb(location());
}

std::string StoreTokenSource::describe() const {
  return (config_.credentialsFile.empty() ? "Antigravity state database " : "credentials file ") +
         location();
}

std::vector<std::string> StoreTokenSource::secrets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out = seenSecrets_;
  out.push_back(config_.clientSecret);
  return out;
}

int64_t StoreTokenSource::refreshes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refreshes_;
}

google::AccessToken StoreTokenSource::fetch() {
  StoredToken stored = load();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto* s : {&stored.refreshToken, &stored.clientSecret}) {
      if (!s->empty() &&
          std::find(seenSecrets_.begin(), seenSecrets_.end(), *s) == seenSecrets_.end()) {
        seenSecrets_.push_back(*s);
      }
    }
  }
  const int64_t now = wallMs_();
  const int64_t remaining = stored.expiryMs > 0 ? stored.expiryMs - now : 0;
  if (!stored.accessToken.empty() &&
      (stored.expiryMs == 0 || remaining > config_.refreshMarginMs)) {
    return {stored.accessToken, remaining};
  }
  std::string clientId = config_.clientId.empty() ? stored.clientId : config_.clientId;
  std::string clientSecret =
      config_.clientSecret.empty() ? stored.clientSecret : config_.clientSecret;
  if (!stored.refreshToken.empty() && !clientId.empty() && !clientSecret.empty()) {
    google::RefreshTokenSource refresh(
        http_, config_.tokenUri, clientId, clientSecret, stored.refreshToken, stored.origin,
        {config_.timeouts.connectMs, config_.timeouts.firstByteMs, config_.timeouts.idleMs});
    try {
      google::AccessToken fresh = refresh.fetch();
      std::lock_guard<std::mutex> lock(mutex_);
      ++refreshes_;
      return fresh;
    } catch (const Error& e) {
      if (remaining > 0) {
        return {stored.accessToken, remaining};  // still good for a little while
      }
      throw Error(e.code(), e.httpStatus() != 0 ? e.httpStatus() : 401,
                  "the Antigravity access token from " + stored.origin +
                      " expired and refreshing it failed: " + e.what());
    }
  }
  if (!stored.accessToken.empty() && remaining > 0) {
    return {stored.accessToken, remaining};
  }
  std::time_t when = static_cast<std::time_t>(stored.expiryMs / 1000);
  char stamp[32] = "?";
  std::tm tm{};
  if (gmtime_r(&when, &tm) != nullptr) {
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  std::string how =
      stored.refreshToken.empty()
          ? "the store holds no refresh token; open the Antigravity app so it signs in again"
          : "open the Antigravity app (it refreshes the token), or configure client_id and "
            "client_secret (Antigravity's OAuth client) so the proxy can refresh it";
  authError("the Antigravity access token from " + stored.origin + " expired at " + stamp +
            "; " + how);
}

}  // namespace llmp::plugins::antigravity
