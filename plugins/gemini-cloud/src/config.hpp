// The configuration of one `gemini-cli-cloud-project` backend instance (its YAML subtree, as
// JSON). Keys may sit at the top level of the subtree or under `extra:`; top level wins.
#pragma once

#include <llmp/cpp/adc.hpp>
#include <llmp/cpp/config_reader.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace llmp::plugins::gemini_cloud {

inline constexpr const char* kBackendType = "gemini-cli-cloud-project";

using Timeouts = config::Timeouts;  // 0 = the host's default

struct CloudConfig {
  std::string instance;
  std::string projectId;
  std::string endpoint;    // no trailing '/'
  std::string apiVersion;  // e.g. v1internal
  std::string credentialsFile;  // empty: ADC search
  std::string tokenUri;         // empty: the default / the key file's token_uri
  int64_t refreshMarginMs = 300 * 1000;
  google::MetadataServerOptions metadata;
  Timeouts timeouts;
  std::vector<std::string> models;
  int64_t onboardPollIntervalMs = 5000;
  int onboardMaxPolls = 60;
};

// Environment lookup; returns nullptr when unset.
using EnvFn = config::EnvFn;

// Parses the instance config. Environment: GOOGLE_CLOUD_PROJECT (or GOOGLE_CLOUD_PROJECT_ID)
// when project_id is not set, CODE_ASSIST_ENDPOINT and CODE_ASSIST_API_VERSION replace the
// defaults (the config keys win over both). Throws llmp::Error(LLMP_E_INVALID) with a message
// naming the instance when the config is unusable or no project is given.
CloudConfig parseConfig(std::string_view instance, std::string_view configJson, const EnvFn& env);

}  // namespace llmp::plugins::gemini_cloud
