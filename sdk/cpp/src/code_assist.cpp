#include "llmp/cpp/code_assist.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "llmp/cpp/errors.hpp"
#include "llmp/cpp/google_errors.hpp"
#include "llmp/cpp/model_id.hpp"

namespace llmp::code_assist {

namespace {

// Keeps the client's member order (ordered_json, not the sorted default).
using OJson = nlohmann::ordered_json;

std::string dump(const OJson& doc) {
  return doc.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

std::string trimSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') {
    s.remove_suffix(1);
  }
  return std::string(s);
}

OJson parseIrObject(std::string_view ir) {
  OJson doc = OJson::parse(ir.begin(), ir.end(), nullptr, false);
  if (doc.is_discarded()) {
    throw Error(LLMP_E_INVALID, 400, "the request body is not valid JSON");
  }
  if (!doc.is_object()) {
    throw Error(LLMP_E_INVALID, 400, "the request body must be a JSON object");
  }
  return doc;
}

bool isThought(const OJson& part) {
  auto t = part.find("thought");
  return part.is_object() && t != part.end() && t->is_boolean() && t->get<bool>() &&
         !part.contains("functionCall");
}

// Removes thought parts from every turn; a signature they carried moves to the next part of the
// same turn that has none. Turns left without parts are removed.
void dropThoughtParts(OJson* contents) {
  if (!contents->is_array()) {
    return;
  }
  for (auto turn = contents->begin(); turn != contents->end();) {
    auto parts = turn->is_object() ? turn->find("parts") : turn->end();
    if (parts == turn->end() || !parts->is_array()) {
      ++turn;
      continue;
    }
    bool hadThought = false;
    for (const auto& part : *parts) {
      hadThought = hadThought || isThought(part);
    }
    if (!hadThought) {
      ++turn;
      continue;
    }
    OJson kept = OJson::array();
    OJson pendingSignature;
    for (auto& part : *parts) {
      if (isThought(part)) {
        auto sig = part.find("thoughtSignature");
        if (sig != part.end() && sig->is_string()) {
          pendingSignature = *sig;
        }
        continue;
      }
      if (!pendingSignature.is_null() && part.is_object() && !part.contains("thoughtSignature")) {
        part["thoughtSignature"] = std::move(pendingSignature);
        pendingSignature = nullptr;
      }
      kept.push_back(std::move(part));
    }
    if (kept.empty()) {
      turn = contents->erase(turn);
      continue;
    }
    *parts = std::move(kept);
    ++turn;
  }
}

void eraseExtensions(OJson* doc) {
  for (auto it = doc->begin(); it != doc->end();) {
    if (it.key().rfind("llmp", 0) == 0) {
      it = doc->erase(it);
    } else {
      ++it;
    }
  }
}

std::string stringAt(const Json& obj, const char* key) {
  if (!obj.is_object()) {
    return {};
  }
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

bool boolAt(const Json& obj, const char* key) {
  if (!obj.is_object()) {
    return false;
  }
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

Tier parseTier(const Json& t) {
  Tier tier;
  tier.id = stringAt(t, "id");
  tier.name = stringAt(t, "name");
  tier.userDefinedProject = boolAt(t, "userDefinedCloudaicompanionProject");
  tier.isDefault = boolAt(t, "isDefault");
  return tier;
}

Json metadataFor(std::string_view project) {
  Json md = {{"ideType", "IDE_UNSPECIFIED"},
             {"platform", "PLATFORM_UNSPECIFIED"},
             {"pluginType", "GEMINI"}};
  if (!project.empty()) {
    md["duetProject"] = std::string(project);
  }
  return md;
}

std::string ineligibleReasons(const LoadCodeAssistResult& load) {
  std::string out;
  for (const auto& t : load.ineligibleTiers) {
    out += (out.empty() ? "" : "; ") + (t.tierId.empty() ? std::string("a tier") : t.tierId) +
           ": " + (t.reasonMessage.empty() ? t.reasonCode : t.reasonMessage);
    if (!t.validationUrl.empty()) {
      out += " (verify at " + t.validationUrl + ")";
    }
  }
  return out;
}

std::string projectLabel(std::string_view project) {
  return project.empty() ? std::string("(no project)") : "\"" + std::string(project) + "\"";
}

// Throws the mapped upstream error of a setup call, with advice for permission problems.
[[noreturn]] void throwSetupError(const HttpResponse& resp, std::string_view what,
                                  std::string_view project) {
  MappedError mapped = mapGoogleHttpError(resp.status, resp.body, "Code Assist");
  std::string message = "Code Assist " + std::string(what) + " for project " +
                        projectLabel(project) + " failed: " + mapped.message;
  if (resp.status == 401 || resp.status == 403 || resp.status == 404) {
    message += ". " + projectAdvice(project);
  }
  throw Error(mapped.code, mapped.httpStatus, message, mapped.body, mapped.retryAfterMs);
}

Json parseBody(const HttpResponse& resp, std::string_view what, std::string_view project) {
  auto doc = parseJson(resp.body);
  if (!doc || !doc->is_object()) {
    throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                "Code Assist " + std::string(what) + " for project " + projectLabel(project) +
                    " answered with a body that is not a JSON object");
  }
  return std::move(*doc);
}

}  // namespace

std::string methodUrl(std::string_view endpoint, std::string_view version,
                      std::string_view method) {
  return trimSlashes(endpoint) + "/" + std::string(version) + ":" + std::string(method);
}

std::string operationUrl(std::string_view endpoint, std::string_view version,
                         std::string_view operationName) {
  while (!operationName.empty() && operationName.front() == '/') {
    operationName.remove_prefix(1);
  }
  return trimSlashes(endpoint) + "/" + std::string(version) + "/" + std::string(operationName);
}

std::string hostPortOf(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  return std::string(url.substr(start, url.find('/', start) - start));
}

std::string bareModel(std::string_view model) {
  return normalizeModelId(model, ModelIdRules{false, 200});
}

std::string wrapGenerateRequest(std::string_view ir, const Envelope& envelope) {
  OJson request = parseIrObject(ir);
  eraseExtensions(&request);
  request.erase("model");  // the model travels in the envelope
  auto contents = request.find("contents");
  if (contents != request.end()) {
    dropThoughtParts(&*contents);
  }
  if (!envelope.sessionId.empty()) {
    request["session_id"] = envelope.sessionId;
  }
  OJson out = OJson::object();
  out["model"] = bareModel(envelope.model);
  if (!envelope.project.empty()) {
    out["project"] = envelope.project;
  }
  if (!envelope.userPromptId.empty()) {
    out["user_prompt_id"] = envelope.userPromptId;
  }
  out["request"] = std::move(request);
  return dump(out);
}

std::string wrapCountTokensRequest(std::string_view ir, std::string_view model) {
  OJson doc = parseIrObject(ir);
  auto contents = doc.find("contents");
  if (contents == doc.end() || !contents->is_array()) {
    throw Error(LLMP_E_INVALID, 400, "counting tokens needs a \"contents\" list");
  }
  dropThoughtParts(&*contents);
  OJson request = OJson::object();
  request["model"] = "models/" + bareModel(model);
  request["contents"] = std::move(*contents);
  return dump(OJson{{"request", std::move(request)}});
}

Unwrapped unwrapResponse(std::string_view payload) {
  Unwrapped out;
  OJson doc = OJson::parse(payload.begin(), payload.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return out;
  }
  if (doc.contains("error") && !doc.contains("response")) {
    out.kind = Unwrapped::Error;
    out.json = dump(doc);
    return out;
  }
  OJson response;
  auto r = doc.find("response");
  if (r != doc.end() && r->is_object()) {
    response = std::move(*r);
  } else {
    response = OJson{{"candidates", OJson::array()}};
  }
  auto trace = doc.find("traceId");
  if (!response.contains("responseId") && trace != doc.end() && trace->is_string()) {
    response["responseId"] = *trace;
  }
  out.kind = Unwrapped::Response;
  out.json = dump(response);
  return out;
}

namespace {
std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
           static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }());
  return gen;
}
}  // namespace

std::string newUuid() {
  uint64_t a = rng()();
  uint64_t b = rng()();
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xFFFF),
                static_cast<unsigned>(a & 0xFFFF), static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string newUserPromptId() {
  static std::atomic<uint64_t> counter{0};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016llx########%llu",
                static_cast<unsigned long long>(rng()()),
                static_cast<unsigned long long>(++counter));
  return buf;
}

LoadCodeAssistResult parseLoadCodeAssist(const Json& response) {
  LoadCodeAssistResult out;
  if (!response.is_object()) {
    return out;
  }
  auto cur = response.find("currentTier");
  if (cur != response.end() && cur->is_object()) {
    out.hasCurrentTier = true;
    out.currentTier = parseTier(*cur);
  }
  auto paid = response.find("paidTier");
  if (paid != response.end() && paid->is_object()) {
    out.paidTierId = stringAt(*paid, "id");
  }
  auto allowed = response.find("allowedTiers");
  if (allowed != response.end() && allowed->is_array()) {
    for (const auto& t : *allowed) {
      if (t.is_object()) {
        out.allowedTiers.push_back(parseTier(t));
      }
    }
  }
  auto inel = response.find("ineligibleTiers");
  if (inel != response.end() && inel->is_array()) {
    for (const auto& t : *inel) {
      if (t.is_object()) {
        out.ineligibleTiers.push_back({stringAt(t, "tierId"), stringAt(t, "reasonCode"),
                                       stringAt(t, "reasonMessage"), stringAt(t, "validationUrl")});
      }
    }
  }
  auto proj = response.find("cloudaicompanionProject");
  if (proj != response.end()) {
    if (proj->is_string()) {
      out.project = proj->get<std::string>();
    } else if (proj->is_object()) {
      out.project = stringAt(*proj, "id");
    }
  }
  return out;
}

std::string loadCodeAssistBody(std::string_view project) {
  Json body = Json::object();
  if (!project.empty()) {
    body["cloudaicompanionProject"] = std::string(project);
  }
  body["metadata"] = metadataFor(project);
  return body.dump();
}

std::string onboardUserBody(std::string_view tierId, std::string_view project) {
  Json body = {{"tierId", std::string(tierId)}};
  if (!project.empty()) {
    body["cloudaicompanionProject"] = std::string(project);
  }
  body["metadata"] = metadataFor(project);
  return body.dump();
}

std::string projectAdvice(std::string_view project) {
  std::string p = project.empty() ? std::string("<your project>") : std::string(project);
  return "Make sure project " + projectLabel(project) +
         " exists, has the Gemini for Google Cloud API enabled (`gcloud services enable "
         "cloudaicompanion.googleapis.com --project " + p +
         "`), and that the credentials' principal has the role Gemini for Google Cloud User "
         "(roles/cloudaicompanion.user) and a Gemini Code Assist Standard or Enterprise license";
}

TierChoice chooseOnboardTier(const LoadCodeAssistResult& load, TierPolicy policy,
                             std::string_view project) {
  if (policy == TierPolicy::GeminiCli) {
    for (const auto& t : load.allowedTiers) {
      if (t.isDefault) {
        return {t.id, t.id != "free-tier"};
      }
    }
    return {"legacy-tier", true};
  }
  if (policy == TierPolicy::FreeTier) {
    for (const auto& t : load.allowedTiers) {
      if (t.id == "free-tier") {
        return {t.id, false};
      }
    }
    std::string reasons = ineligibleReasons(load);
    throw Error(LLMP_E_FORBIDDEN, 403,
                "Code Assist does not offer the free tier to this account" +
                    (reasons.empty() ? std::string() : " (ineligible: " + reasons + ")"));
  }
  if (policy == TierPolicy::PaidPlan) {
    const Tier* paid = nullptr;
    for (const auto& t : load.allowedTiers) {
      if (t.id != "free-tier" && (paid == nullptr || t.isDefault)) {
        paid = &t;
      }
    }
    if (paid != nullptr) {
      return {paid->id, paid->userDefinedProject};
    }
    std::string reasons = ineligibleReasons(load);
    throw Error(LLMP_E_FORBIDDEN, 403,
                "Code Assist offers this account no paid tier (only the free tier)" +
                    (reasons.empty() ? std::string() : "; ineligible: " + reasons));
  }
  const Tier* pick = nullptr;
  for (const auto& t : load.allowedTiers) {
    if (t.id.find("enterprise") != std::string::npos) {
      pick = &t;
      break;
    }
  }
  for (const auto& t : load.allowedTiers) {
    if (pick == nullptr && t.id == "standard-tier") {
      pick = &t;
    }
  }
  for (const auto& t : load.allowedTiers) {
    if (pick == nullptr && t.userDefinedProject && t.id != "free-tier") {
      pick = &t;
    }
  }
  if (pick != nullptr) {
    return {pick->id, true};
  }
  std::string offered;
  for (const auto& t : load.allowedTiers) {
    offered += (offered.empty() ? "" : ", ") + t.id;
  }
  std::string reasons = ineligibleReasons(load);
  throw Error(LLMP_E_FORBIDDEN, 403,
              "Code Assist offers neither the standard nor the enterprise tier for project " +
                  projectLabel(project) +
                  (offered.empty() ? std::string(" (no tier is offered)")
                                   : " (offered: " + offered + ")") +
                  (reasons.empty() ? std::string() : "; ineligible: " + reasons) + ". " +
                  projectAdvice(project));
}

Operation parseOperation(const Json& lro) {
  Operation op;
  op.name = stringAt(lro, "name");
  op.done = boolAt(lro, "done");
  if (lro.is_object()) {
    auto resp = lro.find("response");
    if (resp != lro.end() && resp->is_object()) {
      auto proj = resp->find("cloudaicompanionProject");
      if (proj != resp->end()) {
        op.projectId = proj->is_object() ? stringAt(*proj, "id")
                                         : (proj->is_string() ? proj->get<std::string>() : "");
      }
    }
    auto err = lro.find("error");
    if (err != lro.end() && err->is_object()) {
      op.errorMessage = stringAt(*err, "message");
      if (op.errorMessage.empty()) {
        op.errorMessage = "the operation failed";
      }
    }
  }
  return op;
}

SetupResult setupUser(const CallFn& call, std::string_view endpoint, std::string_view version,
                      const SetupOptions& options) {
  const std::string& project = options.project;
  auto log = [&](int32_t level, const std::string& m) {
    if (options.log) {
      options.log(level, m);
    }
  };
  HttpResponse resp =
      call("POST", methodUrl(endpoint, version, "loadCodeAssist"), loadCodeAssistBody(project));
  if (resp.status < 200 || resp.status >= 300) {
    throwSetupError(resp, "loadCodeAssist", project);
  }
  LoadCodeAssistResult load = parseLoadCodeAssist(parseBody(resp, "loadCodeAssist", project));

  SetupResult out;
  if (load.hasCurrentTier) {
    out.tierId = !load.paidTierId.empty()
                     ? load.paidTierId
                     : (!load.currentTier.id.empty() ? load.currentTier.id : "standard-tier");
    // A user's own project is what gets billed, whatever else the server names.
    out.project =
        (options.policy == TierPolicy::UserProject && !project.empty())
            ? project
            : (!load.project.empty() ? load.project : project);
    if (out.project.empty()) {
      std::string reasons = ineligibleReasons(load);
      throw Error(LLMP_E_FORBIDDEN, 403,
                  "Code Assist named no project for this account; set a Google Cloud project" +
                      (reasons.empty() ? std::string() : " (ineligible: " + reasons + ")"));
    }
    log(LLMP_LOG_DEBUG, "Code Assist: already onboarded (tier " + out.tierId + ", project " +
                            out.project + ")");
    return out;
  }

  TierChoice choice = chooseOnboardTier(load, options.policy, project);
  std::string onboardProject = choice.sendProject ? project : std::string();
  log(LLMP_LOG_INFO, "Code Assist: onboarding project " + projectLabel(onboardProject) +
                         " to tier " + choice.tierId);
  resp = call("POST", methodUrl(endpoint, version, "onboardUser"),
              onboardUserBody(choice.tierId, onboardProject));
  if (resp.status < 200 || resp.status >= 300) {
    throwSetupError(resp, "onboardUser", project);
  }
  Operation op = parseOperation(parseBody(resp, "onboardUser", project));
  auto sleep = options.sleep ? options.sleep : [](int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  while (!op.done && op.errorMessage.empty()) {
    if (op.name.empty()) {
      throw Error(LLMP_E_UPSTREAM_HTTP, 502,
                  "Code Assist onboardUser for project " + projectLabel(project) +
                      " returned an unfinished operation without a name");
    }
    if (out.polls >= options.maxPolls) {
      throw Error(LLMP_E_TIMEOUT, 504,
                  "Code Assist onboarding of project " + projectLabel(project) +
                      " did not finish after " + std::to_string(out.polls) + " polls");
    }
    sleep(options.pollIntervalMs);
    ++out.polls;
    resp = call("GET", operationUrl(endpoint, version, op.name), std::string());
    if (resp.status < 200 || resp.status >= 300) {
      throwSetupError(resp, "onboarding operation " + op.name, project);
    }
    op = parseOperation(parseBody(resp, "onboarding operation", project));
  }
  if (!op.errorMessage.empty()) {
    throw Error(LLMP_E_FORBIDDEN, 403,
                "Code Assist onboarding of project " + projectLabel(project) + " to tier " +
                    choice.tierId + " failed: " + op.errorMessage + ". " + projectAdvice(project));
  }
  out.tierId = choice.tierId;
  out.onboarded = true;
  out.project = (options.policy == TierPolicy::UserProject && !project.empty())
                    ? project
                    : (!op.projectId.empty() ? op.projectId : project);
  if (out.project.empty()) {
    throw Error(LLMP_E_FORBIDDEN, 403,
                "Code Assist onboarding finished without naming a project; set a Google Cloud "
                "project");
  }
  return out;
}

}  // namespace llmp::code_assist
