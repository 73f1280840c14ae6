#include "account_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <random>
#include <sstream>

namespace llmp::plugins::gemini_oauth {

namespace {

std::string sysError(const std::string& what) { return what + ": " + std::strerror(errno); }

void makeDirs(const std::string& dir) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) {
      continue;
    }
    struct stat st {};
    if (::stat(partial.c_str(), &st) == 0) {
      continue;
    }
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      throw Error(LLMP_E_INTERNAL, 500, sysError("cannot create " + partial));
    }
  }
}

bool writeAll(int fd, const std::string& text) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string accountIdFor(const std::string& email) {
  std::string out;
  for (char c : email) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '.' || c == '_' || c == '-') {
      out.push_back(static_cast<char>(std::tolower(u)));
    } else {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.front() == '.') {
    out.erase(0, 1);
  }
  return out.empty() ? "account" : out.substr(0, 120);
}

void checkAccountId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 120 && id.front() != '.';
  for (char c : id) {
    unsigned char u = static_cast<unsigned char>(c);
    ok = ok && (std::isalnum(u) || c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    throw Error(LLMP_E_INVALID, 400,
                "\"" + id.substr(0, 120) + "\" is not an account id (see `accounts list`)");
  }
}

std::string accountToJson(const Account& a) {
  Json j = {{"id", a.id},
            {"email", a.email},
            {"project_id", a.projectId},
            {"tier", a.tier},
            {"status", a.status},
            {"access_token", a.accessToken},
            {"refresh_token", a.refreshToken},
            {"expiry_date", a.expiryMs},
            {"created_at", a.createdMs},
            {"updated_at", a.updatedMs}};
  if (!a.lastError.empty()) {
    j["last_error"] = a.lastError;
  }
  return j.dump(2) + "\n";
}

Account accountFromJson(const std::string& text, const std::string& origin) {
  auto doc = parseJson(text);
  if (!doc || !doc->is_object() || !(*doc)["id"].is_string()) {
    throw Error(LLMP_E_INVALID, 500, origin + " is not an account file");
  }
  auto s = [&](const char* k) {
    auto it = doc->find(k);
    return it != doc->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto n = [&](const char* k) -> int64_t {
    auto it = doc->find(k);
    return it != doc->end() && it->is_number() ? it->get<int64_t>() : 0;
  };
  Account a;
  a.id = s("id");
  a.email = s("email");
  a.projectId = s("project_id");
  a.tier = s("tier");
  a.status = s("status").empty() ? "active" : s("status");
  a.accessToken = s("access_token");
  a.refreshToken = s("refresh_token");
  a.expiryMs = n("expiry_date");
  a.createdMs = n("created_at");
  a.updatedMs = n("updated_at");
  a.lastError = s("last_error");
  return a;
}

std::string AccountStore::pathOf(const std::string& id) const { return dir_ + "/" + id + ".json"; }

std::vector<Account> AccountStore::loadAll(std::vector<std::string>* skipped) const {
  std::vector<Account> out;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    return out;
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    // Only "<id>.json": temporary files start with '.' and never end in ".json".
    if (name.empty() || name[0] == '.' || name.size() <= 5 ||
        name.compare(name.size() - 5, 5, ".json") != 0) {
      continue;
    }
    std::ifstream in(dir_ + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      Account a = accountFromJson(ss.str(), dir_ + "/" + name);
      if (a.id + ".json" != name) {
        throw Error(LLMP_E_INVALID, 500, "id does not match the file name");
      }
      out.push_back(std::move(a));
    } catch (const Error&) {
      if (skipped != nullptr) {
        skipped->push_back(dir_ + "/" + name);
      }
    }
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const Account& a, const Account& b) { return a.id < b.id; });
  return out;
}

bool AccountStore::exists(const std::string& id) const {
  struct stat st {};
  return ::stat(pathOf(id).c_str(), &st) == 0;
}

Account AccountStore::load(const std::string& id) const {
  checkAccountId(id);
  std::ifstream in(pathOf(id), std::ios::binary);
  if (!in) {
    std::string known;
    for (const auto& a : loadAll()) {
      known += (known.empty() ? "" : ", ") + a.id;
    }
    throw Error(LLMP_E_NOT_FOUND, 404,
                "no account \"" + id + "\" in " + dir_ +
                    (known.empty() ? " (there are no accounts; add one with `accounts add`)"
                                   : " (known: " + known + ")"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return accountFromJson(ss.str(), pathOf(id));
}

void AccountStore::save(const Account& account) const {
  checkAccountId(account.id);
  makeDirs(dir_);
  std::random_device rd;
  std::string tmp = dir_ + "/." + account.id + ".json.tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(LLMP_E_INTERNAL, 500, sysError("cannot write " + tmp));
  }
  std::string text = accountToJson(account);
  bool ok = writeAll(fd, text) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    throw Error(LLMP_E_INTERNAL, 500, sysError("cannot write " + tmp));
  }
  // Test hook: die between the temporary write and the rename, as a crash would.
  const char* crash = std::getenv("LLMP_GEMINI_OAUTH_TEST_CRASH_BEFORE_RENAME");
  if (crash != nullptr && std::strcmp(crash, "1") == 0) {
    ::_exit(70);
  }
  if (::rename(tmp.c_str(), pathOf(account.id).c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Error(LLMP_E_INTERNAL, 500, sysError("cannot replace " + pathOf(account.id)));
  }
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void AccountStore::remove(const std::string& id) const {
  load(id);  // throws the helpful "no account" error
  if (::unlink(pathOf(id).c_str()) != 0) {
    throw Error(LLMP_E_INTERNAL, 500, sysError("cannot remove " + pathOf(id)));
  }
}

int64_t AccountStore::dirStamp() const {
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0) {
    return 0;
  }
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

}  // namespace llmp::plugins::gemini_oauth
