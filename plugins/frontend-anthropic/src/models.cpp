#include "models.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "errors.hpp"
#include "route.hpp"

namespace llmp::plugins::anthropic {
namespace {

std::string stringMember(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string bareId(const Json& irModel) {
  std::string id = stringMember(irModel, "model");
  if (id.empty()) {
    id = stringMember(irModel, "name");
    if (id.rfind("models/", 0) == 0) {
      id = id.substr(7);
    }
  }
  return id;
}

std::vector<Json> convertAll(const Json& irModels) {
  std::vector<Json> out;
  if (!irModels.is_array()) {
    return out;
  }
  for (const auto& model : irModels) {
    if (model.is_object()) {
      Json converted = anthropicModel(model);
      if (!converted["id"].get_ref<const std::string&>().empty()) {
        out.push_back(std::move(converted));
      }
    }
  }
  return out;
}

std::string queryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (percentDecode(pair.substr(0, eq), true) == name) {
      return eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

Json anthropicModel(const Json& irModel) {
  std::string bare = bareId(irModel);
  std::string qualified = stringMember(irModel, "id");
  auto isDefault = irModel.find("defaultBackend");
  bool defaultBackend = isDefault != irModel.end() && isDefault->is_boolean() && isDefault->get<bool>();
  std::string id = defaultBackend || qualified.empty() ? bare : qualified;
  std::string displayName = stringMember(irModel, "displayName");
  if (displayName.empty()) {
    displayName = bare;
  }
  // The router does not know release dates; the SDKs only need an RFC 3339 string.
  return {{"type", "model"},
          {"id", id},
          {"display_name", displayName},
          {"created_at", "1970-01-01T00:00:00Z"}};
}

Json listModelsPage(const Json& irModels, std::string_view query) {
  std::vector<Json> models = convertAll(irModels);
  size_t limit = 20;
  std::string limitText = queryParam(query, "limit");
  if (!limitText.empty()) {
    size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(limitText, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != limitText.size() || value < 1 || value > 1000) {
      throw RequestError("limit: must be an integer between 1 and 1000");
    }
    limit = static_cast<size_t>(value);
  }
  std::string afterId = queryParam(query, "after_id");
  std::string beforeId = queryParam(query, "before_id");

  auto indexOf = [&models](const std::string& id) -> size_t {
    for (size_t i = 0; i < models.size(); ++i) {
      if (models[i]["id"] == id) {
        return i;
      }
    }
    return models.size();
  };
  size_t begin = 0;
  size_t end = models.size();
  bool hasMore = false;
  if (!beforeId.empty()) {
    // The page just before `before_id`, counting back from it.
    end = indexOf(beforeId);
    if (end == models.size()) {
      end = 0;
    }
    begin = end > limit ? end - limit : 0;
    hasMore = begin > 0;
  } else {
    if (!afterId.empty()) {
      size_t at = indexOf(afterId);
      begin = at == models.size() ? models.size() : at + 1;
    }
    end = std::min(models.size(), begin + limit);
    hasMore = end < models.size();
  }
  Json data = Json::array();
  for (size_t i = begin; i < end; ++i) {
    data.push_back(models[i]);
  }
  Json page = {{"data", data}, {"has_more", hasMore}};
  page["first_id"] = data.empty() ? Json(nullptr) : data.front()["id"];
  page["last_id"] = data.empty() ? Json(nullptr) : data.back()["id"];
  return page;
}

std::optional<Json> findModel(const Json& irModels, std::string_view id) {
  if (!irModels.is_array()) {
    return std::nullopt;
  }
  std::optional<Json> byBareId;
  for (const auto& model : irModels) {
    if (!model.is_object()) {
      continue;
    }
    Json converted = anthropicModel(model);
    if (converted["id"] == id || stringMember(model, "id") == id) {
      return converted;
    }
    if (!byBareId && bareId(model) == id) {
      byBareId = converted;
    }
  }
  return byBareId;
}

}  // namespace llmp::plugins::anthropic
