#include "llmp/cpp/adc.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "llmp/cpp/errors.hpp"
#include "llmp/cpp/json.hpp"

namespace llmp::google {

namespace {

constexpr size_t kMaxCredentialsFileBytes = 1 << 20;

[[noreturn]] void fail(const std::string& message) { throw Error(LLMP_E_INVALID, 0, message); }

const char* envOf(const AdcOptions& options, const char* name) {
  const char* v = options.getenv ? options.getenv(name) : std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

// A string field; "" when absent. Throws when present but not a string.
std::string optionalString(const Json& doc, const char* field, const std::string& origin) {
  auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) {
    return {};
  }
  if (!it->is_string()) {
    fail("credentials file " + origin + ": field \"" + field + "\" must be a string");
  }
  return it->get<std::string>();
}

std::string requiredString(const Json& doc, const char* field, const std::string& origin,
                           std::string_view kind, std::string_view needs) {
  std::string v = optionalString(doc, field, origin);
  if (v.empty()) {
    fail("credentials file " + origin + ": field \"" + field + "\" is missing or empty (a " +
         std::string(kind) + " file needs " + std::string(needs) + ")");
  }
  return v;
}

std::string metadataBaseUrl(const AdcOptions& options) {
  std::string url = options.metadata.url;
  if (url.empty()) {
    const char* host = envOf(options, "GCE_METADATA_HOST");
    if (host == nullptr) {
      host = envOf(options, "GCE_METADATA_IP");
    }
    url = host != nullptr ? std::string(host) : std::string(kDefaultMetadataUrl);
  }
  if (url.find("://") == std::string::npos) {
    url = "http://" + url;
  }
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string_view credentialKindName(CredentialKind kind) {
  switch (kind) {
    case CredentialKind::ServiceAccount:
      return "service_account";
    case CredentialKind::AuthorizedUser:
      return "authorized_user";
    case CredentialKind::MetadataServer:
      return "metadata_server";
  }
  return "unknown";
}

AdcCredentials parseCredentialsJson(std::string_view text, const std::string& origin,
                                    const std::string& tokenUriOverride) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // Only the position is reported: the parser's own message quotes the bytes it read, which
    // may be part of a private key.
    size_t line = 1;
    for (size_t i = 0; i < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
      }
    }
    fail("credentials file " + origin + " is not valid JSON (syntax error at line " +
         std::to_string(line) + ", byte " + std::to_string(e.byte) + ")");
  } catch (const std::exception&) {
    fail("credentials file " + origin + " is not valid JSON");
  }
  if (!doc.is_object()) {
    fail("credentials file " + origin + " must hold a JSON object");
  }
  std::string type = optionalString(doc, "type", origin);
  if (type.empty()) {
    fail("credentials file " + origin +
         ": field \"type\" is missing (expected \"service_account\" or \"authorized_user\")");
  }
  AdcCredentials out;
  out.origin = origin;
  out.projectId = optionalString(doc, "project_id", origin);
  out.quotaProjectId = optionalString(doc, "quota_project_id", origin);
  if (type == "service_account") {
    static constexpr std::string_view needs = "type, client_email, private_key";
    out.kind = CredentialKind::ServiceAccount;
    auto& sa = out.serviceAccount;
    sa.clientEmail = requiredString(doc, "client_email", origin, type, needs);
    sa.privateKey = requiredString(doc, "private_key", origin, type, needs);
    sa.privateKeyId = optionalString(doc, "private_key_id", origin);
    sa.projectId = out.projectId;
    std::string tokenUri = optionalString(doc, "token_uri", origin);
    if (!tokenUriOverride.empty()) {
      sa.tokenUri = tokenUriOverride;
    } else if (!tokenUri.empty()) {
      if (tokenUri.rfind("https://", 0) != 0 && tokenUri.rfind("http://", 0) != 0) {
        fail("credentials file " + origin + ": field \"token_uri\" must be an http(s) URL");
      }
      sa.tokenUri = tokenUri;
    }
    validatePrivateKey(sa, origin);
  } else if (type == "authorized_user") {
    static constexpr std::string_view needs = "type, client_id, client_secret, refresh_token";
    out.kind = CredentialKind::AuthorizedUser;
    auto& au = out.authorizedUser;
    au.clientId = requiredString(doc, "client_id", origin, type, needs);
    au.clientSecret = requiredString(doc, "client_secret", origin, type, needs);
    au.refreshToken = requiredString(doc, "refresh_token", origin, type, needs);
    std::string tokenUri = optionalString(doc, "token_uri", origin);
    if (!tokenUriOverride.empty()) {
      au.tokenUri = tokenUriOverride;
    } else if (!tokenUri.empty()) {
      au.tokenUri = tokenUri;
    }
  } else {
    fail("credentials file " + origin + ": field \"type\" is \"" + type.substr(0, 60) +
         "\"; supported types are \"service_account\" and \"authorized_user\"");
  }
  return out;
}

AdcCredentials readCredentialsFile(const std::string& path, std::string_view source,
                                   const std::string& tokenUriOverride) {
  std::string origin = path + (source.empty() ? "" : " (from " + std::string(source) + ")");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    fail("credentials file " + origin + " cannot be read: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    fail("credentials file " + origin + " is a directory, not a JSON key file");
  }
  if (static_cast<size_t>(st.st_size) > kMaxCredentialsFileBytes) {
    fail("credentials file " + origin + " is too large to be a credentials file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail("credentials file " + origin + " cannot be opened: " + std::strerror(errno));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  AdcCredentials out = parseCredentialsJson(buf.str(), origin, tokenUriOverride);
  out.path = path;
  return out;
}

AdcCredentials discoverAdc(const AdcOptions& options) {
  if (!options.credentialsFile.empty()) {
    return readCredentialsFile(options.credentialsFile, "credentials_file",
                               options.tokenUriOverride);
  }
  if (const char* env = envOf(options, "GOOGLE_APPLICATION_CREDENTIALS")) {
    return readCredentialsFile(env, "GOOGLE_APPLICATION_CREDENTIALS", options.tokenUriOverride);
  }
  std::string wellKnown;
  if (const char* home = envOf(options, "HOME")) {
    wellKnown = std::string(home) + "/.config/gcloud/application_default_credentials.json";
    if (fileExists(wellKnown)) {
      return readCredentialsFile(wellKnown, "gcloud application-default login",
                                 options.tokenUriOverride);
    }
  }
  if (options.metadata.enabled) {
    AdcCredentials out;
    out.kind = CredentialKind::MetadataServer;
    out.metadataUrl = metadataBaseUrl(options);
    out.origin = "metadata server " + out.metadataUrl;
    return out;
  }
  fail("no Google credentials found: set credentials_file in the backend's config or the "
       "environment variable GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, run "
       "`gcloud auth application-default login`" +
       (wellKnown.empty() ? std::string() : " (looked for " + wellKnown + ")") +
       ", or enable metadata_server on GCE / Cloud Run");
}

std::shared_ptr<TokenSource> makeTokenSource(const AdcCredentials& creds, HttpFn http,
                                             std::vector<std::string> scopes,
                                             HttpTimeouts timeouts,
                                             std::function<int64_t()> wallSeconds) {
  switch (creds.kind) {
    case CredentialKind::ServiceAccount:
      return std::make_shared<ServiceAccountSource>(std::move(http), creds.serviceAccount,
                                                    std::move(scopes), creds.origin,
                                                    std::move(wallSeconds), timeouts);
    case CredentialKind::AuthorizedUser:
      return std::make_shared<RefreshTokenSource>(
          std::move(http), creds.authorizedUser.tokenUri, creds.authorizedUser.clientId,
          creds.authorizedUser.clientSecret, creds.authorizedUser.refreshToken, creds.origin,
          timeouts);
    case CredentialKind::MetadataServer:
      return std::make_shared<MetadataServerSource>(std::move(http), creds.metadataUrl,
                                                    std::move(scopes), timeouts);
  }
  throw Error(LLMP_E_INTERNAL, 500, "unknown credential kind");
}

}  // namespace llmp::google
