// Validation of the model id a client names, shared by the backends that put it in an upstream
// URL or request envelope (a bad id must be a clear 400, never a path the upstream resolves).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace llmp {

struct ModelIdRules {
  // Accept "tunedModels/<id>" (kept as is in the result); Gemini API only.
  bool allowTunedModels = false;
  // Longest id accepted after the prefixes are stripped; 0 = no limit.
  std::size_t maxLength = 0;
};

// Strips a leading "models/" and checks what remains (after "tunedModels/" when allowed) is
// non-empty and holds only letters, digits, '-', '_' and '.'. Returns the id without "models/".
// Throws llmp::Error(LLMP_E_INVALID, 400): "no model given" or "invalid model id \"<first 100
// chars>\" (letters, digits, '-', '_' and '.' only)".
std::string normalizeModelId(std::string_view model, const ModelIdRules& rules = {});

}  // namespace llmp
