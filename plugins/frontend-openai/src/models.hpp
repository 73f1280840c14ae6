// GET /v1/models and /v1/models/{id} in OpenAI's shape, from the router's IR model list.
#pragma once

#include <llmp/cpp/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace llmp::plugins::frontend_openai {

// {"object":"list","data":[{id, object:"model", created, owned_by}]}: every model as
// "<backend>:<model>", and the default backend's models also under their bare ids (first).
Json renderModelList(const Json& irModels, int64_t created);

// The OpenAI model object for `id` ("<backend>:<model>" or a bare id), or nullopt.
std::optional<Json> findModel(const Json& irModels, const std::string& id, int64_t created);

}  // namespace llmp::plugins::frontend_openai
