// The static model list of the Code Assist backends: Code Assist has no model-listing call
// (shared/protocols/code-assist.md §9), so the backends answer with the ids gemini-cli sends.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace llmp::code_assist {

// The ids gemini-cli sends to Code Assist, used when a backend's config names none.
const std::vector<std::string>& defaultModels();

// "gemini-2.5-flash-lite" -> "Gemini 2.5 Flash Lite".
std::string displayName(std::string_view id);

// A JSON array of Gemini Model objects ("models/<id>", displayName, token limits, methods); each
// description is "<displayName> <descriptionSuffix>".
std::string modelListJson(const std::vector<std::string>& ids,
                          std::string_view descriptionSuffix);

}  // namespace llmp::code_assist
