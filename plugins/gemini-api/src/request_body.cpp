#include "request_body.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/model_id.hpp>

namespace llmp::plugins::gemini_api {

namespace {

// Keeps the client's member order on the rare rewrite (ordered_json, not the sorted default).
using OJson = nlohmann::ordered_json;

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

OJson parseIr(std::string_view ir) {
  OJson doc = OJson::parse(ir.begin(), ir.end(), nullptr, false);
  if (doc.is_discarded()) {
    throw Error(LLMP_E_INVALID, 400, "the request body is not valid JSON");
  }
  if (!doc.is_object()) {
    throw Error(LLMP_E_INVALID, 400, "the request body must be a JSON object");
  }
  return doc;
}

bool eraseExtensions(OJson* doc) {
  bool changed = false;
  for (auto it = doc->begin(); it != doc->end();) {
    if (startsWith(it.key(), "llmp")) {
      it = doc->erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  return changed;
}

std::string dump(const OJson& doc) {
  return doc.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

}  // namespace

double maxTemperature(std::string_view model) {
  if (startsWith(model, "models/")) {
    model.remove_prefix(7);
  }
  bool old = startsWith(model, "gemini-1.0") || startsWith(model, "gemini-1.5") ||
             model == "gemini-pro" || model == "gemini-pro-vision";
  return old ? 1.0 : 2.0;
}

namespace {

// True when some `"temperature": <number>` in the text lies outside [0, max]. A key of that name
// elsewhere (a tool parameter called "temperature", whose value is an object) is not a number
// and is skipped; a false positive only costs the full parse that follows.
bool temperatureMayNeedClamp(std::string_view ir, double max) {
  constexpr std::string_view kKey = "\"temperature\"";
  for (size_t pos = ir.find(kKey); pos != std::string_view::npos; pos = ir.find(kKey, pos + 1)) {
    size_t i = pos + kKey.size();
    while (i < ir.size() && (ir[i] == ' ' || ir[i] == '\t' || ir[i] == '\n' || ir[i] == '\r')) {
      ++i;
    }
    if (i >= ir.size() || ir[i] != ':') {
      continue;
    }
    ++i;
    while (i < ir.size() && (ir[i] == ' ' || ir[i] == '\t' || ir[i] == '\n' || ir[i] == '\r')) {
      ++i;
    }
    if (i >= ir.size() || !(ir[i] == '-' || (ir[i] >= '0' && ir[i] <= '9'))) {
      continue;
    }
    std::string number(ir.substr(i, std::min<size_t>(32, ir.size() - i)));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end == number.c_str() || value < 0.0 || value > max) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> prepareUpstreamBody(std::string_view ir, std::string_view model) {
  // Cheap checks on the raw bytes: most requests need neither rewrite and are sent untouched.
  bool mayHaveExtension = ir.find("\"llmp") != std::string_view::npos;
  bool mayHaveTemperature = temperatureMayNeedClamp(ir, maxTemperature(model));
  if (!mayHaveExtension && !mayHaveTemperature) {
    return std::nullopt;
  }
  OJson doc = parseIr(ir);
  bool changed = mayHaveExtension && eraseExtensions(&doc);
  if (mayHaveTemperature) {
    auto gc = doc.find("generationConfig");
    if (gc != doc.end() && gc->is_object()) {
      auto t = gc->find("temperature");
      if (t != gc->end() && t->is_number()) {
        double value = t->get<double>();
        double clamped = std::min(std::max(value, 0.0), maxTemperature(model));
        if (clamped != value) {
          *t = clamped;
          changed = true;
        }
      }
    }
  }
  if (!changed) {
    return std::nullopt;
  }
  return dump(doc);
}

std::string countTokensBody(std::string_view ir, std::string_view model) {
  OJson doc = parseIr(ir);
  auto contents = doc.find("contents");
  if (contents == doc.end() || !contents->is_array()) {
    throw Error(LLMP_E_INVALID, 400, "counting tokens needs a \"contents\" list");
  }
  eraseExtensions(&doc);
  if (doc.contains("systemInstruction") || doc.contains("tools")) {
    OJson request = OJson::object();
    request["model"] = modelResource(normalizeModel(model));
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it.key() != "model") {
        request[it.key()] = std::move(it.value());
      }
    }
    return dump(OJson{{"generateContentRequest", std::move(request)}});
  }
  return dump(OJson{{"contents", std::move(*contents)}});
}

std::string normalizeModel(std::string_view model) {
  return normalizeModelId(model, ModelIdRules{true, 0});
}

std::string modelResource(const std::string& normalized) {
  return startsWith(normalized, "tunedModels/") ? normalized : "models/" + normalized;
}

}  // namespace llmp::plugins::gemini_api
