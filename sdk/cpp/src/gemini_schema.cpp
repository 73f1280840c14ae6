#include "llmp/cpp/gemini_schema.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace llmp {
namespace {

// Deeper than any real tool schema; bounds the work on hostile input.
constexpr int kMaxDepth = 48;

struct Context {
  const Json& root;
  std::vector<std::string> refStack;  // refs being expanded: a repeat means recursion
};

Json opaqueObject() { return Json{{"type", "OBJECT"}}; }

std::string upperType(const Json& t) {
  if (!t.is_string()) {
    return {};
  }
  std::string s = t.get<std::string>();
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "string") return "STRING";
  if (s == "number") return "NUMBER";
  if (s == "integer") return "INTEGER";
  if (s == "boolean") return "BOOLEAN";
  if (s == "array") return "ARRAY";
  if (s == "object") return "OBJECT";
  if (s == "null") return "NULL";
  return {};
}

// Resolves a local JSON pointer reference ("#", "#/$defs/Name", "#/definitions/a~1b/items/0").
const Json* resolveRef(const Json& root, const std::string& ref) {
  if (ref == "#") {
    return &root;
  }
  if (ref.rfind("#/", 0) != 0) {
    return nullptr;
  }
  const Json* node = &root;
  size_t pos = 2;
  while (true) {
    size_t next = ref.find('/', pos);
    std::string token = ref.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    std::string key;
    for (size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        key += token[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        key += token[i];
      }
    }
    if (node->is_object()) {
      auto it = node->find(key);
      if (it == node->end()) {
        return nullptr;
      }
      node = &*it;
    } else if (node->is_array()) {
      if (key.empty() || key.find_first_not_of("0123456789") != std::string::npos ||
          key.size() > 9) {
        return nullptr;
      }
      size_t index = std::stoul(key);
      if (index >= node->size()) {
        return nullptr;
      }
      node = &(*node)[index];
    } else {
      return nullptr;
    }
    if (next == std::string::npos) {
      return node;
    }
    pos = next + 1;
  }
}

bool isCount(const Json& v) {
  if (v.is_number_unsigned()) {
    return true;
  }
  if (v.is_number_integer()) {
    return v.get<int64_t>() >= 0;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    return std::isfinite(d) && d >= 0 && std::floor(d) == d;
  }
  return false;
}

std::string enumValueText(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

Json sanitize(const Json& in, Context& ctx, int depth);

// Merges allOf members (refs resolved, nested allOf flattened) into `target`: properties are
// united, required lists joined, and any other keyword is taken from the first member that has
// it (the enclosing schema's own keywords come first).
void mergeAllOf(Json& target, const Json& members, Context& ctx, int depth) {
  if (depth > kMaxDepth) {
    return;
  }
  for (const Json& raw : members) {
    if (!raw.is_object()) {
      continue;
    }
    Json member = raw;
    if (member.contains("$ref") && member["$ref"].is_string()) {
      std::string ref = member["$ref"].get<std::string>();
      const Json* resolved = resolveRef(ctx.root, ref);
      if (resolved == nullptr || !resolved->is_object() ||
          std::find(ctx.refStack.begin(), ctx.refStack.end(), ref) != ctx.refStack.end()) {
        continue;
      }
      Json merged = *resolved;
      member.erase("$ref");
      for (auto& [k, v] : member.items()) {
        merged[k] = v;
      }
      member = std::move(merged);
    }
    if (member.contains("allOf") && member["allOf"].is_array()) {
      Json nested = member["allOf"];
      member.erase("allOf");
      mergeAllOf(member, nested, ctx, depth + 1);
    }
    for (auto& [key, value] : member.items()) {
      if (key == "properties" && value.is_object()) {
        Json& props = target["properties"];
        if (!props.is_object()) {
          props = Json::object();
        }
        for (auto& [name, schema] : value.items()) {
          if (!props.contains(name)) {
            props[name] = schema;
          }
        }
      } else if (key == "required" && value.is_array()) {
        Json& req = target["required"];
        if (!req.is_array()) {
          req = Json::array();
        }
        for (const Json& name : value) {
          if (std::find(req.begin(), req.end(), name) == req.end()) {
            req.push_back(name);
          }
        }
      } else if (!target.contains(key)) {
        target[key] = value;
      }
    }
  }
}

// A branch that allows only null sanitizes to exactly {"nullable":true}.
bool isNullOnly(const Json& sanitized) {
  return sanitized.is_object() && sanitized.size() == 1 && sanitized.contains("nullable");
}

void copyDocs(const Json& in, Json& out) {
  for (const char* key : {"title", "description"}) {
    auto it = in.find(key);
    if (it != in.end() && it->is_string() && !out.contains(key)) {
      out[key] = *it;
    }
  }
}

Json sanitize(const Json& in, Context& ctx, int depth) {
  if (!in.is_object()) {
    return Json::object();  // true / false / garbage: nothing Gemini could check anyway
  }
  if (depth > kMaxDepth) {
    return opaqueObject();
  }

  // $ref: inline the target (sibling keywords such as description win over the target's).
  if (auto it = in.find("$ref"); it != in.end()) {
    Json out;
    std::string ref = it->is_string() ? it->get<std::string>() : std::string();
    const Json* resolved = ref.empty() ? nullptr : resolveRef(ctx.root, ref);
    bool recursive =
        std::find(ctx.refStack.begin(), ctx.refStack.end(), ref) != ctx.refStack.end();
    if (resolved == nullptr || !resolved->is_object() || recursive) {
      out = opaqueObject();
      copyDocs(in, out);
      return out;
    }
    Json merged = *resolved;
    for (auto& [k, v] : in.items()) {
      if (k != "$ref") {
        merged[k] = v;
      }
    }
    ctx.refStack.push_back(ref);
    out = sanitize(merged, ctx, depth + 1);
    ctx.refStack.pop_back();
    return out;
  }

  if (auto it = in.find("allOf"); it != in.end()) {
    Json merged = in;
    merged.erase("allOf");
    if (it->is_array()) {
      mergeAllOf(merged, *it, ctx, depth + 1);
    }
    return sanitize(merged, ctx, depth + 1);
  }

  Json out = Json::object();
  bool nullable = in.value("nullable", Json(false)) == Json(true);

  // type: a string or a list of strings.
  std::vector<std::string> types;
  if (auto it = in.find("type"); it != in.end()) {
    std::vector<Json> raw = it->is_array() ? it->get<std::vector<Json>>() : std::vector<Json>{*it};
    for (const Json& t : raw) {
      std::string up = upperType(t);
      if (up == "NULL") {
        nullable = true;
      } else if (!up.empty() && std::find(types.begin(), types.end(), up) == types.end()) {
        types.push_back(up);
      }
    }
  }
  if (types.size() > 1) {
    Json branches = Json::array();
    for (const std::string& t : types) {
      Json copy = in;
      copy["type"] = t;
      copy.erase("nullable");
      copy.erase("title");
      copy.erase("description");
      branches.push_back(sanitize(copy, ctx, depth + 1));
    }
    out["anyOf"] = std::move(branches);
    copyDocs(in, out);
    if (nullable) {
      out["nullable"] = true;
    }
    return out;
  }
  std::string type = types.empty() ? std::string() : types.front();

  // anyOf / oneOf: null branches become nullable; a single remaining branch is collapsed.
  Json branches = Json::array();
  bool hadUnion = false;
  for (const char* key : {"anyOf", "oneOf"}) {
    auto it = in.find(key);
    if (it == in.end() || !it->is_array()) {
      continue;
    }
    hadUnion = true;
    for (const Json& branch : *it) {
      Json s = sanitize(branch, ctx, depth + 1);
      if (isNullOnly(s)) {
        nullable = true;
      } else {
        branches.push_back(std::move(s));
      }
    }
  }
  if (hadUnion && type.empty()) {
    if (branches.size() == 1) {
      out = std::move(branches[0]);
      copyDocs(in, out);
      if (nullable) {
        out["nullable"] = true;
      }
      return out;
    }
    if (!branches.empty()) {
      out["anyOf"] = std::move(branches);
    }
    copyDocs(in, out);
    if (nullable) {
      out["nullable"] = true;
    }
    return out;
  }
  if (hadUnion && !branches.empty()) {
    out["anyOf"] = std::move(branches);
  }

  copyDocs(in, out);

  // enum / const.
  Json values = Json::array();
  bool hasEnum = false;
  if (auto it = in.find("enum"); it != in.end() && it->is_array()) {
    hasEnum = true;
    values = *it;
  } else if (auto c = in.find("const"); c != in.end()) {
    hasEnum = true;
    values.push_back(*c);
  }
  if (hasEnum) {
    Json kept = Json::array();
    for (const Json& v : values) {
      if (v.is_null()) {
        nullable = true;
        continue;
      }
      kept.push_back(v);
    }
    if (!kept.empty()) {
      if (type.empty() || type == "STRING") {
        Json strings = Json::array();
        for (const Json& v : kept) {
          Json s = enumValueText(v);
          if (std::find(strings.begin(), strings.end(), s) == strings.end()) {
            strings.push_back(std::move(s));
          }
        }
        type = "STRING";
        out["enum"] = std::move(strings);
      } else {
        // Gemini enums are string-only; keep the choice visible to the model instead.
        std::string note = "Allowed values: ";
        for (size_t i = 0; i < kept.size(); ++i) {
          note += (i ? ", " : "") + enumValueText(kept[i]);
        }
        note += ".";
        std::string desc = out.value("description", std::string());
        out["description"] = desc.empty() ? note : desc + " " + note;
      }
    }
  }

  // properties / required / propertyOrdering.
  if (auto it = in.find("properties"); it != in.end() && it->is_object() && !it->empty()) {
    Json props = Json::object();
    for (auto& [name, schema] : it->items()) {
      props[name] = sanitize(schema, ctx, depth + 1);
    }
    out["properties"] = std::move(props);
    if (type.empty()) {
      type = "OBJECT";
    }
  }
  if (out.contains("properties")) {
    const Json& props = out["properties"];
    for (const char* key : {"required", "propertyOrdering"}) {
      auto it = in.find(key);
      if (it == in.end() || !it->is_array()) {
        continue;
      }
      Json names = Json::array();
      for (const Json& name : *it) {
        if (name.is_string() && props.contains(name.get<std::string>()) &&
            std::find(names.begin(), names.end(), name) == names.end()) {
          names.push_back(name);
        }
      }
      if (!names.empty()) {
        out[key] = std::move(names);
      }
    }
  }

  // items (a tuple form keeps its first member's schema).
  const Json* items = nullptr;
  if (auto it = in.find("items"); it != in.end()) {
    if (it->is_array()) {
      items = it->empty() ? nullptr : &(*it)[0];
    } else {
      items = &*it;
    }
  }
  if (items == nullptr) {
    if (auto it = in.find("prefixItems"); it != in.end() && it->is_array() && !it->empty()) {
      items = &(*it)[0];
    }
  }
  if (items != nullptr && (type.empty() || type == "ARRAY")) {
    Json s = sanitize(*items, ctx, depth + 1);
    if (s.empty()) {
      s = Json{{"type", "STRING"}};
    }
    out["items"] = std::move(s);
    type = "ARRAY";
  } else if (type == "ARRAY") {
    out["items"] = Json{{"type", "STRING"}};  // Gemini rejects ARRAY without items
  }

  if (!type.empty()) {
    out["type"] = type;
  }

  // format: only the values Gemini documents for the type.
  if (auto it = in.find("format"); it != in.end() && it->is_string()) {
    const std::string f = it->get<std::string>();
    bool ok = (type == "STRING" && (f == "enum" || f == "date-time")) ||
              (type == "INTEGER" && (f == "int32" || f == "int64")) ||
              (type == "NUMBER" && (f == "float" || f == "double"));
    if (ok) {
      out["format"] = f;
    }
  }

  for (const char* key : {"minItems", "maxItems", "minLength", "maxLength"}) {
    auto it = in.find(key);
    if (it != in.end() && isCount(*it)) {
      out[key] = *it;
    }
  }
  for (const char* key : {"minimum", "maximum"}) {
    auto it = in.find(key);
    if (it != in.end() && it->is_number()) {
      out[key] = *it;
    }
  }
  if (auto it = in.find("pattern"); it != in.end() && it->is_string()) {
    out["pattern"] = *it;
  }
  if (nullable) {
    out["nullable"] = true;
  }
  return out;
}

}  // namespace

Json sanitizeSchemaForGemini(const Json& jsonSchema) {
  Context ctx{jsonSchema, {}};
  return sanitize(jsonSchema, ctx, 0);
}

}  // namespace llmp
