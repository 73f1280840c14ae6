// Building blocks for backends that talk to Google's Code Assist API
// (cloudcode-pa.googleapis.com/v1internal, the API Gemini CLI uses with Google credentials):
// URLs, the request envelope around an IR request, unwrapping of {response, traceId} chunks,
// and the setup dance (loadCodeAssist, onboardUser with long-running-operation polling, tier
// choice). Wire facts: shared/protocols/code-assist.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "host.hpp"
#include "json.hpp"

namespace llmp::code_assist {

inline constexpr const char* kDefaultEndpoint = "https://cloudcode-pa.googleapis.com";
inline constexpr const char* kDefaultApiVersion = "v1internal";

// {endpoint}/{version}:{method}, e.g. .../v1internal:generateContent.
std::string methodUrl(std::string_view endpoint, std::string_view version,
                      std::string_view method);
// {endpoint}/{version}/{operationName}, e.g. .../v1internal/operations/abc.
std::string operationUrl(std::string_view endpoint, std::string_view version,
                         std::string_view operationName);

// The host[:port] of an endpoint URL ("https://h:1/v1" -> "h:1"), for messages and logs.
std::string hostPortOf(std::string_view url);

// The bare model id ("models/x" -> "x"). Throws llmp::Error(LLMP_E_INVALID) for an empty id or
// one with characters other than letters, digits, '-', '_', '.'.
std::string bareModel(std::string_view model);

// ---- Generation envelope ----------------------------------------------------------------------

struct Envelope {
  std::string model;         // bare id
  std::string project;       // Code Assist project; omitted when empty
  std::string userPromptId;  // omitted when empty
  std::string sessionId;     // request.session_id; omitted when empty
};

// {"model", "project", "user_prompt_id", "request": {<IR>, "session_id"}}. The IR's members keep
// their order and unknown members pass through; top-level "llmp*" extensions are removed, as are
// thought parts (`thought: true`) of the history, which Code Assist does not take back (a
// thoughtSignature they carried moves to the next part of the same turn). Throws
// llmp::Error(LLMP_E_INVALID, 400) when the IR is not a JSON object.
std::string wrapGenerateRequest(std::string_view ir, const Envelope& envelope);

// {"request": {"model": "models/<m>", "contents": [...]}} (gemini-cli's countTokens form).
std::string wrapCountTokensRequest(std::string_view ir, std::string_view model);

// What one upstream answer / SSE event holds.
struct Unwrapped {
  enum Kind { Response, Error, Malformed } kind = Malformed;
  std::string json;  // Response: the GenerateContentResponse; Error: the {"error":{...}} body
};

// Unwraps a CaGenerateContentResponse: returns its `response` (with `responseId` taken from
// `traceId` when the response has none); an envelope without `response` yields
// {"candidates":[]}. A top-level {"error":...} object is reported as Error; anything that is not
// a JSON object as Malformed. Never throws.
Unwrapped unwrapResponse(std::string_view payload);

// Fresh ids: a UUID v4 (session ids) and "<16 hex>########<n>" (user_prompt_id).
std::string newUuid();
std::string newUserPromptId();

// ---- Setup: loadCodeAssist / onboardUser ----------------------------------------------------

struct Tier {
  std::string id;
  std::string name;
  bool userDefinedProject = false;  // userDefinedCloudaicompanionProject
  bool isDefault = false;
};

struct IneligibleTier {
  std::string tierId;
  std::string reasonCode;
  std::string reasonMessage;
  std::string validationUrl;
};

struct LoadCodeAssistResult {
  bool hasCurrentTier = false;
  Tier currentTier;
  std::string paidTierId;
  std::vector<Tier> allowedTiers;
  std::vector<IneligibleTier> ineligibleTiers;
  std::string project;  // cloudaicompanionProject (string)
};

// Never throws; missing members stay empty.
LoadCodeAssistResult parseLoadCodeAssist(const Json& response);

// {"cloudaicompanionProject": p, "metadata": {ideType, platform, pluginType, duetProject: p}};
// the project members are omitted when project is empty.
std::string loadCodeAssistBody(std::string_view project);
// {"tierId", "cloudaicompanionProject"?, "metadata": {..., "duetProject"?}}.
std::string onboardUserBody(std::string_view tierId, std::string_view project);

enum class TierPolicy {
  // gemini-cli: the tier marked isDefault (else legacy-tier); free tier gets no project.
  GeminiCli,
  // A user's own GCP project: an enterprise tier when offered, else standard-tier, else another
  // tier that takes a user-defined project; never the free tier.
  UserProject,
  // A personal Google account on the free tier: free-tier, without a project (the server
  // provides a managed one). Throws when free-tier is not offered.
  FreeTier,
  // A personal Google account with a paid plan: the default tier unless it is free-tier, else
  // the first non-free tier offered (with the project when the tier needs one).
  PaidPlan,
};

struct TierChoice {
  std::string tierId;
  bool sendProject = false;
};

// Picks the tier to onboard to. Throws llmp::Error(LLMP_E_FORBIDDEN, 403) when the policy finds
// none; the message names the project, the ineligibility reasons and what to enable.
TierChoice chooseOnboardTier(const LoadCodeAssistResult& load, TierPolicy policy,
                             std::string_view project);

struct Operation {
  std::string name;
  bool done = false;
  std::string projectId;     // response.cloudaicompanionProject.id
  std::string errorMessage;  // error.message of a failed operation
};
Operation parseOperation(const Json& lro);

struct SetupOptions {
  std::string project;  // the user's project (may be empty for TierPolicy::GeminiCli)
  TierPolicy policy = TierPolicy::UserProject;
  int64_t pollIntervalMs = 5000;
  int maxPolls = 60;
  std::function<void(int64_t ms)> sleep;                    // default: this_thread::sleep_for
  std::function<void(int32_t level, std::string_view)> log;  // may be empty
};

struct SetupResult {
  std::string project;    // the project to send in generate calls
  std::string tierId;
  bool onboarded = false; // true when this call ran onboardUser
  int polls = 0;          // operation polls needed
};

// One authenticated Code Assist exchange: method "POST" (JSON body) or "GET". Returns the
// response (any HTTP status); throws llmp::Error on transport failure.
using CallFn = std::function<HttpResponse(const std::string& method, const std::string& url,
                                          const std::string& body)>;

// Runs gemini-cli's _doSetupUser: loadCodeAssist, then (when not onboarded) onboardUser and
// polls the operation until done. Throws llmp::Error with a message naming the project: upstream
// HTTP errors are mapped like google_errors.hpp does (a 403 adds what to enable), a missing tier
// is LLMP_E_FORBIDDEN, an operation that never finishes LLMP_E_TIMEOUT.
SetupResult setupUser(const CallFn& call, std::string_view endpoint, std::string_view version,
                      const SetupOptions& options);

// The sentence telling an operator what a project needs for Code Assist.
std::string projectAdvice(std::string_view project);

}  // namespace llmp::code_assist
