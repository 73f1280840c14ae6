// models.list / models.get: the router's models of every backend rendered as Gemini Model
// objects, named "models/<backend>:<model>", plus "models/<model>" for the default backend.
#pragma once

#include <llmp/cpp/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmp::plugins::frontend_gemini {

constexpr size_t kDefaultPageSize = 50;
constexpr size_t kMaxPageSize = 1000;

// The Gemini Model objects for a router list_models array, in the router's order; a default
// backend's model appears first by its bare id, then by its prefixed id. The router's own
// members (id, backend, model, defaultBackend) are removed; every other Model field is kept.
std::vector<Json> geminiModels(const Json& routerModels);

// One page of models as a ListModelsResponse; nextPageToken only when more follow.
std::string renderModelPage(const std::vector<Json>& models, size_t offset, size_t pageSize);

// Opaque page tokens (they encode an offset).
std::string encodePageToken(size_t offset);
std::optional<size_t> decodePageToken(std::string_view token);

// The model named `id` ("gemini-2.5-pro", "gemini:gemini-2.5-pro"; no "models/"), or nullptr.
// A selector's "?param=..." suffix is ignored.
const Json* findModel(const std::vector<Json>& models, std::string_view id);

}  // namespace llmp::plugins::frontend_gemini
