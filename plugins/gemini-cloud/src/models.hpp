// The static model list: Code Assist has no model-listing call (code-assist.md §9).
#pragma once

#include <string>
#include <vector>

namespace llmp::plugins::gemini_cloud {

// A JSON array of Gemini Model objects ("models/<id>", displayName, token limits, methods).
std::string modelListJson(const std::vector<std::string>& ids);

}  // namespace llmp::plugins::gemini_cloud
