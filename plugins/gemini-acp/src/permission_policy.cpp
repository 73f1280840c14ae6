#include "permission_policy.hpp"

namespace llmp::plugins::gemini_acp {
namespace {

std::string stringField(const Json& object, const char* key) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return {};
}

std::string findOption(const Json& options, const char* preferredKind, const char* fallbackKind) {
  if (!options.is_array()) {
    return {};
  }
  for (const char* wanted : {preferredKind, fallbackKind}) {
    for (const Json& option : options) {
      if (stringField(option, "kind") == wanted) {
        std::string id = stringField(option, "optionId");
        if (!id.empty()) {
          return id;
        }
      }
    }
  }
  return {};
}

}  // namespace

bool isReadOnlyKind(const std::string& kind) {
  return kind == "read" || kind == "search" || kind == "fetch" || kind == "think";
}

PermissionDecision decidePermission(const Json& params, PermissionPolicy policy) {
  PermissionDecision decision;
  static const Json kEmpty = Json::object();
  const Json& toolCall =
      params.is_object() && params.contains("toolCall") ? params["toolCall"] : kEmpty;
  decision.kind = stringField(toolCall, "kind");
  if (decision.kind.empty()) {
    decision.kind = "other";
  }
  decision.title = stringField(toolCall, "title");
  if (decision.title.empty()) {
    decision.title = stringField(toolCall, "toolCallId");
  }

  switch (policy) {
    case PermissionPolicy::AllowAll:
      decision.allow = true;
      break;
    case PermissionPolicy::DenyAll:
      decision.allow = false;
      break;
    case PermissionPolicy::ReadOnly:
      decision.allow = isReadOnlyKind(decision.kind);
      break;
  }

  static const Json kNoOptions = Json::array();
  const Json& options =
      params.is_object() && params.contains("options") ? params["options"] : kNoOptions;
  decision.optionId = decision.allow ? findOption(options, "allow_once", "allow_always")
                                     : findOption(options, "reject_once", "reject_always");
  if (decision.optionId.empty()) {
    // Nothing to select: "cancelled" never grants anything, so it is the safe answer.
    decision.allow = false;
    decision.result = {{"outcome", {{"outcome", "cancelled"}}}};
  } else {
    decision.result = {{"outcome", {{"outcome", "selected"}, {"optionId", decision.optionId}}}};
  }
  return decision;
}

}  // namespace llmp::plugins::gemini_acp
