#include "llmp/cpp/google_oauth.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>

#include "llmp/cpp/json.hpp"

namespace llmp::google {

namespace {

constexpr int64_t kAssumedLifetimeMs = 3600 * 1000;  // when the issuer did not say

std::string joined(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) {
      out.push_back(sep);
    }
    out += s;
  }
  return out;
}

HttpRequest formPost(const std::string& url, const std::string& body, const HttpTimeouts& t) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = body;
  req.connectTimeoutMs = t.connectMs;
  req.firstByteTimeoutMs = t.firstByteMs;
  req.idleTimeoutMs = t.idleMs;
  return req;
}

// Runs one exchange; transport failures become llmp::Error with a message naming `what`.
HttpResponse exchange(const HttpFn& http, const HttpRequest& req, std::string_view what) {
  HttpResponse resp;
  ErrorRecord err;
  llmp_status st = http(req, &resp, &err);
  if (st != LLMP_OK) {
    llmp_status code = st == LLMP_E_TIMEOUT ? LLMP_E_TIMEOUT : LLMP_E_UNAVAILABLE;
    throw Error(code, code == LLMP_E_TIMEOUT ? 504 : 502,
                "could not reach the " + std::string(what) +
                    (err.message.empty() ? std::string() : ": " + err.message));
  }
  return resp;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

PkeyPtr loadPrivateKey(const ServiceAccountKey& key, std::string_view origin) {
  auto bad = [&](const std::string& why) -> Error {
    return Error(LLMP_E_INVALID, 0,
                 "service-account key file " + std::string(origin) + ": field \"private_key\" " +
                     why);
  };
  if (key.privateKey.empty()) {
    throw bad("is missing or empty");
  }
  BIO* bio = BIO_new_mem_buf(key.privateKey.data(), static_cast<int>(key.privateKey.size()));
  if (bio == nullptr) {
    throw Error(LLMP_E_INTERNAL, 500, "out of memory reading a private key");
  }
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (pkey == nullptr) {
    throw bad("is not a PEM private key (expected the PKCS#8 PEM text of the key file)");
  }
  PkeyPtr owned(pkey);
  if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
    throw bad("is not an RSA key (RS256 needs RSA)");
  }
  return owned;
}

std::string signRs256(EVP_PKEY* pkey, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) {
    throw Error(LLMP_E_INTERNAL, 500, "out of memory signing a JWT");
  }
  std::string sig;
  size_t len = 0;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  if (!ok) {
    throw Error(LLMP_E_INTERNAL, 500, "signing the service-account JWT failed");
  }
  return sig;
}

std::string originSuffix(const std::string& origin) {
  return origin.empty() ? std::string() : " (" + origin + ")";
}

}  // namespace

const std::vector<std::string>& codeAssistScopes() {
  static const std::vector<std::string> scopes = {
      "https://www.googleapis.com/auth/cloud-platform",
      "https://www.googleapis.com/auth/userinfo.email",
      "https://www.googleapis.com/auth/userinfo.profile",
  };
  return scopes;
}

HttpFn httpFnFromHost(Host host) {
  return [host](const HttpRequest& req, HttpResponse* resp, ErrorRecord* err) {
    return host.fetch(req, resp, err);
  };
}

std::string formEncode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string base64UrlEncode(std::string_view data) {
  static const char* alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(data[k]); };
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  if (i + 1 == data.size()) {
    uint32_t v = byte(i) << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
  } else if (i + 2 == data.size()) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
  }
  return out;
}

AccessToken parseTokenResponse(int32_t status, std::string_view body, std::string_view what) {
  auto doc = parseJson(body);
  if (status >= 200 && status < 300) {
    if (doc && doc->is_object()) {
      auto tok = doc->find("access_token");
      if (tok != doc->end() && tok->is_string() && !tok->get_ref<const std::string&>().empty()) {
        AccessToken out;
        out.token = tok->get<std::string>();
        auto exp = doc->find("expires_in");
        if (exp != doc->end()) {
          double seconds = -1;
          if (exp->is_number()) {
            seconds = exp->get<double>();
          } else if (exp->is_string()) {
            seconds = std::strtod(exp->get_ref<const std::string&>().c_str(), nullptr);
          }
          if (seconds > 0 && std::isfinite(seconds)) {
            out.expiresInMs = static_cast<int64_t>(seconds * 1000);
          }
        }
        return out;
      }
    }
    throw Error(LLMP_E_AUTH, 502,
                "the " + std::string(what) + " answered without an access_token");
  }
  // OAuth errors: {"error":"invalid_grant","error_description":"..."}; Google APIs sometimes
  // answer {"error":{"message":...}}. Only these fields are quoted, never the body as a whole.
  std::string detail;
  if (doc && doc->is_object()) {
    auto e = doc->find("error");
    if (e != doc->end() && e->is_string()) {
      detail = e->get<std::string>();
      auto d = doc->find("error_description");
      if (d != doc->end() && d->is_string()) {
        detail += ": " + d->get<std::string>();
      }
    } else if (e != doc->end() && e->is_object()) {
      auto m = e->find("message");
      if (m != e->end() && m->is_string()) {
        detail = m->get<std::string>();
      }
    }
  }
  std::string message = "the " + std::string(what) + " refused the credentials (HTTP " +
                        std::to_string(status) + (detail.empty() ? ")" : "): " + detail);
  if (status == 400 || status == 401 || status == 403) {
    throw Error(LLMP_E_AUTH, 401, message);
  }
  if (status >= 500) {
    throw Error(LLMP_E_UNAVAILABLE, 503,
                "the " + std::string(what) + " failed (HTTP " + std::to_string(status) + ")");
  }
  throw Error(LLMP_E_UPSTREAM_HTTP, 502, message);
}

// ---- RefreshTokenSource ---------------------------------------------------------------------

RefreshTokenSource::RefreshTokenSource(HttpFn http, std::string tokenUri, std::string clientId,
                                       std::string clientSecret, std::string refreshToken,
                                       std::string origin, HttpTimeouts timeouts)
    : http_(std::move(http)), tokenUri_(std::move(tokenUri)), clientId_(std::move(clientId)),
      clientSecret_(std::move(clientSecret)), refreshToken_(std::move(refreshToken)),
      origin_(std::move(origin)), timeouts_(timeouts) {}

AccessToken RefreshTokenSource::fetch() {
  std::string body = "grant_type=refresh_token&refresh_token=" + formEncode(refreshToken_) +
                     "&client_id=" + formEncode(clientId_);
  if (!clientSecret_.empty()) {
    body += "&client_secret=" + formEncode(clientSecret_);
  }
  std::string what = "token endpoint " + tokenUri_ + originSuffix(origin_);
  HttpResponse resp = exchange(http_, formPost(tokenUri_, body, timeouts_), what);
  return parseTokenResponse(resp.status, resp.body, what);
}

std::string RefreshTokenSource::describe() const {
  return "authorized user (client " + clientId_ + ")" + originSuffix(origin_);
}

// ---- Service accounts -----------------------------------------------------------------------

void validatePrivateKey(const ServiceAccountKey& key, std::string_view origin) {
  loadPrivateKey(key, origin);
}

std::string makeServiceAccountJwt(const ServiceAccountKey& key,
                                  const std::vector<std::string>& scopes, int64_t nowSeconds,
                                  std::string_view origin, int64_t lifetimeSeconds) {
  PkeyPtr pkey = loadPrivateKey(key, origin);
  Json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.privateKeyId.empty()) {
    header["kid"] = key.privateKeyId;
  }
  Json claims = {{"iss", key.clientEmail},
                 {"scope", joined(scopes, ' ')},
                 {"aud", key.tokenUri},
                 {"iat", nowSeconds},
                 {"exp", nowSeconds + lifetimeSeconds}};
  std::string signingInput = base64UrlEncode(header.dump()) + "." + base64UrlEncode(claims.dump());
  std::string signature = signRs256(pkey.get(), signingInput);
  return signingInput + "." + base64UrlEncode(signature);
}

ServiceAccountSource::ServiceAccountSource(HttpFn http, ServiceAccountKey key,
                                           std::vector<std::string> scopes, std::string origin,
                                           Clock wallSeconds, HttpTimeouts timeouts)
    : http_(std::move(http)), key_(std::move(key)), scopes_(std::move(scopes)),
      origin_(std::move(origin)), wallSeconds_(std::move(wallSeconds)), timeouts_(timeouts) {
  if (!wallSeconds_) {
    wallSeconds_ = [] {
      return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
    };
  }
}

AccessToken ServiceAccountSource::fetch() {
  std::string jwt = makeServiceAccountJwt(key_, scopes_, wallSeconds_(), origin_);
  std::string body = "grant_type=" + formEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                     "&assertion=" + jwt;
  std::string what = "token endpoint " + key_.tokenUri + " for service account " +
                     key_.clientEmail + originSuffix(origin_);
  HttpResponse resp = exchange(http_, formPost(key_.tokenUri, body, timeouts_), what);
  return parseTokenResponse(resp.status, resp.body, what);
}

std::string ServiceAccountSource::describe() const {
  return "service account " + key_.clientEmail + originSuffix(origin_);
}

// ---- Metadata server ------------------------------------------------------------------------

MetadataServerSource::MetadataServerSource(HttpFn http, std::string baseUrl,
                                           std::vector<std::string> scopes,
                                           HttpTimeouts timeouts)
    : http_(std::move(http)), baseUrl_(std::move(baseUrl)), scopes_(std::move(scopes)),
      timeouts_(timeouts) {
  while (!baseUrl_.empty() && baseUrl_.back() == '/') {
    baseUrl_.pop_back();
  }
}

AccessToken MetadataServerSource::fetch() {
  HttpRequest req;
  req.method = "GET";
  req.url = baseUrl_ + "/computeMetadata/v1/instance/service-accounts/default/token";
  if (!scopes_.empty()) {
    req.url += "?scopes=" + formEncode(joined(scopes_, ','));
  }
  req.headers = {{"Metadata-Flavor", "Google"}};
  req.connectTimeoutMs = timeouts_.connectMs;
  req.firstByteTimeoutMs = timeouts_.firstByteMs;
  req.idleTimeoutMs = timeouts_.idleMs;
  std::string what = "metadata server " + baseUrl_;
  HttpResponse resp = exchange(http_, req, what);
  if (resp.status >= 200 && resp.status < 300 && resp.header("Metadata-Flavor") != "Google") {
    // Something else answers at that address (a captive portal, a proxy): not a metadata server.
    throw Error(LLMP_E_AUTH, 502,
                "the " + what + " answered without the header Metadata-Flavor: Google; it is "
                "not a GCE metadata server");
  }
  return parseTokenResponse(resp.status, resp.body, what);
}

std::string MetadataServerSource::describe() const {
  return "metadata server " + baseUrl_;
}

// ---- TokenCache -----------------------------------------------------------------------------

TokenCache::TokenCache(std::shared_ptr<TokenSource> source, int64_t refreshMarginMs,
                       Clock monotonicMs)
    : source_(std::move(source)), marginMs_(refreshMarginMs), now_(std::move(monotonicMs)) {
  if (!now_) {
    now_ = [] {
      return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now().time_since_epoch())
                                      .count());
    };
  }
}

std::string TokenCache::get() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    int64_t now = now_();
    if (!token_.empty() && now < refreshAtMs_) {
      return token_;
    }
    if (!refreshing_) {
      break;
    }
    // Someone else is refreshing: wait for that attempt and use its outcome.
    uint64_t gen = generation_;
    cv_.wait(lock, [&] { return generation_ != gen; });
    if (lastError_ != nullptr) {
      if (!token_.empty() && now_() < expiresAtMs_) {
        return token_;  // the old token is still good for a little while
      }
      std::rethrow_exception(lastError_);
    }
    if (!token_.empty()) {
      return token_;
    }
  }
  refreshing_ = true;
  lock.unlock();
  AccessToken fresh;
  std::exception_ptr error;
  int64_t startedAt = now_();
  try {
    fresh = source_->fetch();
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  refreshing_ = false;
  ++generation_;
  lastError_ = error;
  if (error == nullptr) {
    token_ = fresh.token;
    // Count the lifetime from when the exchange started: the token may be older than its answer.
    int64_t lifetime = fresh.expiresInMs > 0 ? fresh.expiresInMs : kAssumedLifetimeMs;
    expiresAtMs_ = startedAt + lifetime;
    // A token shorter-lived than the margin would be refreshed on every call: cap at half.
    refreshAtMs_ = expiresAtMs_ - std::min(marginMs_, lifetime / 2);
    ++refreshes_;
  }
  cv_.notify_all();
  if (error != nullptr) {
    if (!token_.empty() && now_() < expiresAtMs_) {
      return token_;
    }
    std::rethrow_exception(error);
  }
  return token_;
}

void TokenCache::invalidate(const std::string& rejectedToken) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (token_ == rejectedToken) {
    token_.clear();
    expiresAtMs_ = 0;
    refreshAtMs_ = 0;
  }
}

int64_t TokenCache::refreshCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refreshes_;
}

int64_t TokenCache::remainingMs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return token_.empty() ? -1 : expiresAtMs_ - now_();
}

std::vector<std::string> TokenCache::secrets() const {
  std::vector<std::string> out = source_->secrets();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!token_.empty()) {
    out.push_back(token_);
  }
  return out;
}

}  // namespace llmp::google
