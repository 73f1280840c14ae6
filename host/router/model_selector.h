// Parsing of the client's model selector: "[backend:]model[?param=value&...]", failover chains
// "a:m1|b:m2", named failover routes and model-name rewrites (docs/routing.md).
#pragma once

#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace llmp::host {

struct RouteHop {
  std::string backend;  // resolved instance name
  std::string model;    // bare model id
  std::vector<std::pair<std::string, std::string>> params;  // from ?k=v, in order
};

class SelectorError : public std::runtime_error {
 public:
  SelectorError(int32_t httpStatus, const std::string& message)
      : std::runtime_error(message), httpStatus_(httpStatus) {}
  int32_t httpStatus() const { return httpStatus_; }

 private:
  int32_t httpStatus_;
};

class ModelSelectorParser {
 public:
  // knownBackend(name) tells whether a backend instance of that name exists.
  ModelSelectorParser(const Config& config, std::function<bool(const std::string&)> knownBackend,
                      std::function<std::string()> backendNames);
  // Throws SelectorError (400 malformed, 404 unknown backend).
  std::vector<RouteHop> parse(const std::string& selector) const;
  // Applies the alias rules to "[backend:]model"; returns it unchanged when none matches.
  std::string rewrite(const std::string& name) const;

 private:
  void parseHop(const std::string& text, std::vector<RouteHop>& out, int depth) const;

  std::string defaultBackend_;
  std::map<std::string, std::string> routes_;
  std::vector<std::pair<std::regex, std::string>> aliases_;
  std::function<bool(const std::string&)> knownBackend_;
  std::function<std::string()> backendNames_;
};

std::string percentDecode(const std::string& s);

}  // namespace llmp::host
