#include "llmp/cpp/google_oauth_flow.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "llmp/cpp/google_errors.hpp"
#include "llmp/cpp/json.hpp"

namespace llmp::google {

namespace {

HttpResponse post(const HttpFn& http, const OAuthClient& client, const std::string& form,
                  const char* what, const std::vector<std::string>& secrets) {
  HttpRequest req;
  req.method = "POST";
  req.url = client.tokenUri;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = form;
  req.connectTimeoutMs = client.timeouts.connectMs;
  req.firstByteTimeoutMs = client.timeouts.firstByteMs;
  req.idleTimeoutMs = client.timeouts.idleMs;
  HttpResponse resp;
  ErrorRecord err;
  llmp_status st = http(req, &resp, &err);
  if (st != LLMP_OK) {
    bool timeout = st == LLMP_E_TIMEOUT;
    throw Error(timeout ? LLMP_E_TIMEOUT : LLMP_E_UNAVAILABLE, timeout ? 504 : 502,
                std::string("the token endpoint ") + client.tokenUri + " (" + what +
                    ") could not be reached: " + redactSecrets(err.message, secrets));
  }
  return resp;
}

TokenGrant parseGrant(const HttpResponse& resp, const std::string& what) {
  if (resp.status >= 400 && resp.status < 500) {
    auto doc = parseJson(resp.body);
    if (doc && doc->is_object() && doc->value("error", Json()).is_string() &&
        (*doc)["error"].get<std::string>() == "invalid_grant") {
      std::string desc = doc->value("error_description", std::string());
      throw InvalidGrant("the " + what + " answered invalid_grant" +
                         (desc.empty() ? std::string() : ": " + desc) +
                         "; the account must be authorized again");
    }
  }
  AccessToken tok = parseTokenResponse(resp.status, resp.body, what);
  TokenGrant g;
  g.accessToken = tok.token;
  g.expiresInMs = tok.expiresInMs;
  auto doc = parseJson(resp.body);
  if (doc && doc->is_object()) {
    g.refreshToken = doc->value("refresh_token", std::string());
    g.scope = doc->value("scope", std::string());
  }
  return g;
}

}  // namespace

std::string authorizationUrl(std::string_view authUri, std::string_view clientId,
                             std::string_view redirectUri, std::string_view state,
                             const std::vector<std::string>& scopes) {
  std::string scope;
  for (const auto& s : scopes) {
    scope += (scope.empty() ? "" : " ") + s;
  }
  std::string url(authUri);
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "access_type=offline&prompt=consent&scope=" + formEncode(scope) +
         "&state=" + formEncode(state) + "&response_type=code&client_id=" + formEncode(clientId) +
         "&redirect_uri=" + formEncode(redirectUri);
  return url;
}

std::string randomState() {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    unsigned v = rd() & 0xff;
    out.push_back(hex[v >> 4]);
    out.push_back(hex[v & 15]);
  }
  return out;
}

TokenGrant exchangeCode(const HttpFn& http, const OAuthClient& client, std::string_view code,
                        std::string_view redirectUri) {
  std::string form = "grant_type=authorization_code&code=" + formEncode(code) +
                     "&client_id=" + formEncode(client.clientId) +
                     "&client_secret=" + formEncode(client.clientSecret) +
                     "&redirect_uri=" + formEncode(redirectUri);
  HttpResponse resp =
      post(http, client, form, "authorization code", {client.clientSecret, std::string(code)});
  return parseGrant(resp, "token endpoint " + client.tokenUri);
}

TokenGrant refreshGrant(const HttpFn& http, const OAuthClient& client,
                        std::string_view refreshToken) {
  std::string form = "grant_type=refresh_token&refresh_token=" + formEncode(refreshToken) +
                     "&client_id=" + formEncode(client.clientId) +
                     "&client_secret=" + formEncode(client.clientSecret);
  HttpResponse resp =
      post(http, client, form, "refresh", {client.clientSecret, std::string(refreshToken)});
  return parseGrant(resp, "token endpoint " + client.tokenUri);
}

std::string fetchEmail(const HttpFn& http, std::string_view userinfoUri,
                       std::string_view accessToken, const HttpTimeouts& timeouts) {
  HttpRequest req;
  req.method = "GET";
  req.url = std::string(userinfoUri);
  req.headers = {{"Authorization", "Bearer " + std::string(accessToken)},
                 {"Accept", "application/json"}};
  req.connectTimeoutMs = timeouts.connectMs;
  req.firstByteTimeoutMs = timeouts.firstByteMs;
  req.idleTimeoutMs = timeouts.idleMs;
  HttpResponse resp;
  ErrorRecord err;
  llmp_status st = http(req, &resp, &err);
  if (st != LLMP_OK) {
    throw Error(LLMP_E_UNAVAILABLE, 502,
                "userinfo " + std::string(userinfoUri) + " could not be reached: " +
                    redactSecrets(err.message, {std::string(accessToken)}));
  }
  if (resp.status != 200) {
    throw Error(
        resp.status == 401 || resp.status == 403 ? LLMP_E_AUTH : LLMP_E_UPSTREAM_HTTP, 502,
        "userinfo " + std::string(userinfoUri) + " answered HTTP " + std::to_string(resp.status));
  }
  auto doc = parseJson(resp.body);
  std::string email = doc && doc->is_object() ? doc->value("email", std::string()) : "";
  if (email.empty()) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                "userinfo " + std::string(userinfoUri) + " named no e-mail address");
  }
  return email;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string queryParam(std::string_view query, std::string_view name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string_view item =
        query.substr(pos, amp == std::string_view::npos ? query.npos : amp - pos);
    size_t eq = item.find('=');
    if (percentDecode(item.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : percentDecode(item.substr(eq + 1));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    pos = amp + 1;
  }
  return {};
}

LoopbackCallback::LoopbackCallback(std::string_view host, uint16_t port, std::string path)
    : path_(std::move(path)) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    throw Error(LLMP_E_UNAVAILABLE, 0, "cannot open a socket for the OAuth callback");
  }
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  std::string h(host.empty() ? "127.0.0.1" : host);
  if (::inet_pton(AF_INET, h.c_str(), &addr.sin_addr) != 1 ||
      ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, 8) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    throw Error(
        LLMP_E_UNAVAILABLE, 0,
        "cannot listen for the OAuth callback on " + h + ":" + std::to_string(port) + ": " + why);
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

LoopbackCallback::~LoopbackCallback() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::string LoopbackCallback::redirectUri() const {
  return "http://127.0.0.1:" + std::to_string(port_) + path_;
}

namespace {

void reply(int fd, int status, const char* reason, const std::string& type,
           const std::string& body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                    "\r\nContent-Type: " + type +
                    "; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body;
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    off += static_cast<size_t>(n);
  }
}

std::string htmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

LoopbackCallback::Result LoopbackCallback::wait(
    std::string_view expectedState, int64_t timeoutMs,
    const std::function<std::string(const std::string& code)>& finish) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw Error(LLMP_E_TIMEOUT, 0,
                  "no OAuth callback arrived within " + std::to_string(timeoutMs / 1000) + " s");
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (r <= 0) {
      continue;
    }
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      continue;
    }
    // Read the request head (the callback is a GET; the body, if any, is ignored).
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
      pollfd cp{client, POLLIN, 0};
      if (::poll(&cp, 1, 5000) <= 0) {
        break;
      }
      ssize_t n = ::recv(client, buf, sizeof(buf), 0);
      if (n <= 0) {
        break;
      }
      head.append(buf, static_cast<size_t>(n));
    }
    size_t sp1 = head.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : head.find(' ', sp1 + 1);
    if (sp2 == std::string::npos) {
      reply(client, 400, "Bad Request", "text/plain", "bad request\n");
      ::close(client);
      continue;
    }
    std::string target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t q = target.find('?');
    std::string path = target.substr(0, q);
    std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    if (path != path_) {
      reply(client, 404, "Not Found", "text/plain", "not found\n");
      ::close(client);
      continue;
    }
    Result result;
    std::string error = queryParam(query, "error");
    if (!error.empty()) {
      std::string desc = queryParam(query, "error_description");
      result.error = "authorization failed: " + error + (desc.empty() ? "" : " (" + desc + ")");
      reply(client, 400, "Bad Request", "text/html",
            "<html><body><h1>Sign-in failed</h1><p>" + htmlEscape(result.error) +
                "</p></body></html>");
      ::close(client);
      return result;
    }
    if (queryParam(query, "state") != expectedState) {
      result.error =
          "state mismatch: the callback did not come from this sign-in (possible "
          "CSRF attack)";
      reply(client, 400, "Bad Request", "text/plain", "State mismatch. Possible CSRF attack\n");
      ::close(client);
      return result;
    }
    result.code = queryParam(query, "code");
    if (result.code.empty()) {
      result.error = "the callback carried no authorization code";
      reply(client, 400, "Bad Request", "text/plain", "no code\n");
      ::close(client);
      return result;
    }
    try {
      std::string page = finish ? finish(result.code) : "Signed in.";
      reply(client, 200, "OK", "text/html",
            "<html><body><h1>Signed in</h1><p>" + htmlEscape(page) +
                "</p><p>You can close this window.</p></body></html>");
    } catch (const std::exception& e) {
      reply(client, 500, "Internal Server Error", "text/html",
            "<html><body><h1>Sign-in failed</h1><p>" + htmlEscape(e.what()) + "</p></body></html>");
      ::close(client);
      throw;
    }
    ::close(client);
    return result;
  }
}

}  // namespace llmp::google
