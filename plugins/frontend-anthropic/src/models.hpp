// The router's IR model list -> Anthropic's /v1/models shapes.
#pragma once

#include <llmp/cpp/json.hpp>

#include <optional>
#include <string_view>

namespace llmp::plugins::anthropic {

// {"type":"model","id","display_name","created_at"}. The id is what a client sends back as
// `model`: the bare model id for the default backend's models, "<backend>:<model>" otherwise.
Json anthropicModel(const Json& irModel);

// GET /v1/models?limit=&after_id=&before_id= -> {data, has_more, first_id, last_id}.
// Throws RequestError for a bad limit.
Json listModelsPage(const Json& irModels, std::string_view query);

// GET /v1/models/{id}: matches the listed id, the "<backend>:<model>" id or the bare id.
std::optional<Json> findModel(const Json& irModels, std::string_view id);

}  // namespace llmp::plugins::anthropic
