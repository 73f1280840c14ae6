// gemini-oauth-auto accounts on disk: one JSON file per account (<dir>/<id>.json, mode 0600),
// written atomically (temporary file, fsync, rename, fsync of the directory) so a crash leaves
// either the old or the new file, never half of one. Leftover temporary files (".<id>.json.tmp*")
// are ignored when loading.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmp::plugins::gemini_oauth {

struct Account {
  std::string id;
  std::string email;
  std::string projectId;
  std::string tier;
  std::string status = "active";  // "active" | "needs-reauth"
  std::string accessToken;
  std::string refreshToken;
  int64_t expiryMs = 0;  // access token expiry, Unix epoch ms
  int64_t createdMs = 0;
  int64_t updatedMs = 0;
  std::string lastError;  // why it needs re-authorization; never holds a secret
};

class AccountStore {
 public:
  explicit AccountStore(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  // Every readable account, sorted by id. Files that do not parse are skipped; their names go to
  // *skipped when given.
  std::vector<Account> loadAll(std::vector<std::string>* skipped = nullptr) const;
  // Throws llmp::Error(LLMP_E_NOT_FOUND) naming the known ids when there is no such account.
  Account load(const std::string& id) const;
  bool exists(const std::string& id) const;
  // Creates the directory (0700) when needed; throws llmp::Error on failure.
  void save(const Account& account) const;
  // Throws llmp::Error(LLMP_E_NOT_FOUND) for an unknown id.
  void remove(const std::string& id) const;
  std::string pathOf(const std::string& id) const;
  // Modification time of the directory in ns (0 when it does not exist), to notice other
  // processes' writes.
  int64_t dirStamp() const;

 private:
  std::string dir_;
};

// A file-name-safe id from an e-mail address: "Ann.Lee@example.com" -> "ann.lee-example.com".
std::string accountIdFor(const std::string& email);
// Checks an id given on the command line; throws llmp::Error(LLMP_E_INVALID).
void checkAccountId(const std::string& id);

std::string accountToJson(const Account& a);
// Throws llmp::Error(LLMP_E_INVALID) when the text is not an account.
Account accountFromJson(const std::string& text, const std::string& origin);

}  // namespace llmp::plugins::gemini_oauth
