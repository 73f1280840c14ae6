// Application Default Credentials: finds Google credentials in Google's order and turns them
// into a TokenSource (google_oauth.hpp). Wire facts: shared/protocols/google-auth.md §2, §4.
//
// Order:
//   1. an explicit file (a plugin's `credentials_file` setting), else the file named by the
//      environment variable GOOGLE_APPLICATION_CREDENTIALS;
//   2. the well-known file $HOME/.config/gcloud/application_default_credentials.json
//      (skipped when absent);
//   3. the GCE metadata server, only when the caller enabled it.
// Files of type service_account and authorized_user are understood. Every problem throws
// llmp::Error(LLMP_E_INVALID) with a message naming the file and the missing or bad field; a
// malformed file never crashes and never has its content (keys!) quoted.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "google_oauth.hpp"

namespace llmp::google {

enum class CredentialKind { ServiceAccount, AuthorizedUser, MetadataServer };

std::string_view credentialKindName(CredentialKind kind);  // "service_account", ...

struct AuthorizedUserCredentials {
  std::string clientId;
  std::string clientSecret;
  std::string refreshToken;
  std::string tokenUri = kDefaultTokenUri;
};

struct AdcCredentials {
  CredentialKind kind = CredentialKind::MetadataServer;
  std::string path;    // the file read, empty for the metadata server
  std::string origin;  // for messages: "/etc/sa.json (from GOOGLE_APPLICATION_CREDENTIALS)"
  ServiceAccountKey serviceAccount;        // kind == ServiceAccount
  AuthorizedUserCredentials authorizedUser;  // kind == AuthorizedUser
  std::string metadataUrl;                 // kind == MetadataServer
  std::string projectId;       // the key file's project_id, if any
  std::string quotaProjectId;  // quota_project_id, if any (sent as x-goog-user-project)
};

struct MetadataServerOptions {
  bool enabled = false;
  std::string url;  // empty: http://$GCE_METADATA_HOST, else http://169.254.169.254
};

struct AdcOptions {
  std::string credentialsFile;  // explicit file; wins over GOOGLE_APPLICATION_CREDENTIALS
  MetadataServerOptions metadata;
  // Replaces the token endpoint of every file (the default, and a key file's token_uri).
  std::string tokenUriOverride;
  // Environment lookup (tests replace it); default ::getenv.
  std::function<const char*(const char*)> getenv;
};

// Runs the search. Throws llmp::Error(LLMP_E_INVALID) when a named file is missing or bad, or
// when nothing was found (the message lists what was tried and how to provide credentials).
AdcCredentials discoverAdc(const AdcOptions& options);

// Reads one credentials file. `source` says where its name came from (for messages), e.g.
// "GOOGLE_APPLICATION_CREDENTIALS" or "credentials_file".
AdcCredentials readCredentialsFile(const std::string& path, std::string_view source,
                                   const std::string& tokenUriOverride = {});
// Parses file content already read; `origin` names it in messages.
AdcCredentials parseCredentialsJson(std::string_view text, const std::string& origin,
                                    const std::string& tokenUriOverride = {});

// The token source for the credentials. wallSeconds feeds the JWT iat (default system clock).
std::shared_ptr<TokenSource> makeTokenSource(const AdcCredentials& creds, HttpFn http,
                                             std::vector<std::string> scopes,
                                             HttpTimeouts timeouts = {},
                                             std::function<int64_t()> wallSeconds = {});

}  // namespace llmp::google
