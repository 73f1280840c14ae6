#include "models.hpp"

#include <set>

namespace llmp::plugins::frontend_openai {
namespace {

std::string bareId(const Json& model) {
  std::string id = model.value("model", std::string());
  if (id.empty()) {
    id = model.value("name", std::string());
    if (id.rfind("models/", 0) == 0) {
      id.erase(0, 7);
    }
  }
  return id;
}

std::string fullId(const Json& model) {
  std::string id = model.value("id", std::string());
  if (id.empty()) {
    std::string backend = model.value("backend", std::string());
    id = backend.empty() ? bareId(model) : backend + ":" + bareId(model);
  }
  return id;
}

Json modelObject(const std::string& id, const Json& model, int64_t created) {
  std::string owner = model.value("backend", std::string());
  return Json{{"id", id},
              {"object", "model"},
              {"created", created},
              {"owned_by", owner.empty() ? "llm-proxy" : owner}};
}

}  // namespace

Json renderModelList(const Json& irModels, int64_t created) {
  Json data = Json::array();
  std::set<std::string> seen;
  if (irModels.is_array()) {
    for (const Json& model : irModels) {
      if (model.is_object() && model.value("defaultBackend", false)) {
        std::string id = bareId(model);
        if (!id.empty() && seen.insert(id).second) {
          data.push_back(modelObject(id, model, created));
        }
      }
    }
    for (const Json& model : irModels) {
      if (!model.is_object()) {
        continue;
      }
      std::string id = fullId(model);
      if (!id.empty() && seen.insert(id).second) {
        data.push_back(modelObject(id, model, created));
      }
    }
  }
  return Json{{"object", "list"}, {"data", std::move(data)}};
}

std::optional<Json> findModel(const Json& irModels, const std::string& wanted, int64_t created) {
  if (!irModels.is_array() || wanted.empty()) {
    return std::nullopt;
  }
  std::string id = wanted.rfind("models/", 0) == 0 ? wanted.substr(7) : wanted;
  const Json* bareMatch = nullptr;
  for (const Json& model : irModels) {
    if (!model.is_object()) {
      continue;
    }
    if (fullId(model) == id) {
      return modelObject(id, model, created);
    }
    if (bareId(model) == id && (bareMatch == nullptr || model.value("defaultBackend", false))) {
      bareMatch = &model;
    }
  }
  if (bareMatch != nullptr) {
    return modelObject(id, *bareMatch, created);
  }
  return std::nullopt;
}

}  // namespace llmp::plugins::frontend_openai
