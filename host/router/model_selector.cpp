#include "router/model_selector.h"

namespace llmp::host {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      return out;
    }
    start = end + 1;
  }
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

std::string percentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

ModelSelectorParser::ModelSelectorParser(const Config& config,
                                         std::function<bool(const std::string&)> knownBackend,
                                         std::function<std::string()> backendNames)
    : defaultBackend_(config.defaultBackend),
      routes_(config.failoverRoutes),
      knownBackend_(std::move(knownBackend)),
      backendNames_(std::move(backendNames)) {
  for (const auto& rule : config.modelAliases) {
    try {
      aliases_.emplace_back(std::regex(rule.pattern, std::regex::ECMAScript), rule.replacement);
    } catch (const std::regex_error& e) {
      throw ConfigError("model alias pattern '" + rule.pattern + "' is not a valid regex: " +
                        e.what());
    }
  }
}

std::string ModelSelectorParser::rewrite(const std::string& name) const {
  for (const auto& [re, replacement] : aliases_) {
    std::smatch m;
    if (std::regex_match(name, m, re)) {
      return m.format(replacement);
    }
  }
  return name;
}

std::vector<RouteHop> ModelSelectorParser::parse(const std::string& selector) const {
  std::vector<RouteHop> hops;
  // The usual selector is one bare model name: nothing to trim or split (copies of the name).
  if (!selector.empty() && selector.find_first_of("| \t") == std::string::npos) {
    parseHop(selector, hops, 0);
    return hops;
  }
  std::string s = trim(selector);
  if (s.empty()) {
    throw SelectorError(400, "the model is empty; name a model, e.g. 'gemini-2.5-flash' or 'mock:mock-1'");
  }
  for (const auto& part : split(s, '|')) {
    parseHop(trim(part), hops, 0);
  }
  return hops;
}

void ModelSelectorParser::parseHop(const std::string& text, std::vector<RouteHop>& out,
                                   int depth) const {
  if (depth > 4) {
    throw SelectorError(400, "model aliases or failover routes loop on '" + text + "'");
  }
  if (text.empty()) {
    throw SelectorError(400, "empty entry in failover chain");
  }
  std::string base = text;
  std::string query;
  if (auto q = text.find('?'); q != std::string::npos) {
    base = text.substr(0, q);
    query = text.substr(q + 1);
  }
  std::vector<std::pair<std::string, std::string>> params;
  if (!query.empty()) {
    for (const auto& kv : split(query, '&')) {
      if (kv.empty()) {
        continue;
      }
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw SelectorError(400, "model parameter '" + kv + "' must look like name=value");
      }
      params.emplace_back(percentDecode(kv.substr(0, eq)), percentDecode(kv.substr(eq + 1)));
    }
  }
  // A named failover route expands to its chain; its hops keep their own parameters and the
  // caller's parameters apply on top.
  if (auto route = routes_.find(base); route != routes_.end()) {
    size_t first = out.size();
    for (const auto& part : split(route->second, '|')) {
      parseHop(trim(part), out, depth + 1);
    }
    for (size_t i = first; i < out.size(); ++i) {
      out[i].params.insert(out[i].params.end(), params.begin(), params.end());
    }
    return;
  }
  std::string rewritten = rewrite(base);
  if (rewritten != base) {
    if (rewritten.find('|') != std::string::npos || rewritten.find('?') != std::string::npos ||
        routes_.count(rewritten)) {
      size_t first = out.size();
      for (const auto& part : split(rewritten, '|')) {
        parseHop(trim(part), out, depth + 1);
      }
      for (size_t i = first; i < out.size(); ++i) {
        out[i].params.insert(out[i].params.end(), params.begin(), params.end());
      }
      return;
    }
    base = rewritten;
  }
  RouteHop hop;
  hop.params = std::move(params);
  auto colon = base.find(':');
  if (colon != std::string::npos) {
    std::string prefix = base.substr(0, colon);
    if (!knownBackend_(prefix)) {
      throw SelectorError(404, "unknown backend '" + prefix + "' in model '" + text +
                                   "'; configured backends: " + backendNames_());
    }
    hop.backend = prefix;
    hop.model = base.substr(colon + 1);
  } else {
    if (defaultBackend_.empty()) {
      throw SelectorError(404, "model '" + text + "' names no backend and no default_backend is "
                               "configured; use '<backend>:<model>' with one of: " + backendNames_());
    }
    hop.backend = defaultBackend_;
    hop.model = base;
  }
  if (hop.model.rfind("models/", 0) == 0) {
    hop.model = hop.model.substr(7);
  }
  if (hop.model.empty()) {
    throw SelectorError(400, "model '" + text + "' has an empty model name after the backend");
  }
  out.push_back(std::move(hop));
}

}  // namespace llmp::host
