// IR <-> ACP translation, the permission policy, config parsing and executable lookup.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "config.hpp"
#include "executable.hpp"
#include "permission_policy.hpp"
#include "turn_mapping.hpp"
#include "workspace.hpp"

namespace llmp::plugins::gemini_acp {
namespace {

Json userText(const std::string& text) {
  return {{"role", "user"}, {"parts", {{{"text", text}}}}};
}
Json modelText(const std::string& text) {
  return {{"role", "model"}, {"parts", {{{"text", text}}}}};
}

TEST(TurnMapping, LastUserTurnBecomesContentBlocks) {
  Json ir = {{"contents",
              {userText("first"), modelText("answer"),
               {{"role", "user"},
                {"parts",
                 {{{"text", "look at this"}},
                  {{"inlineData", {{"mimeType", "image/png"}, {"data", "iVBOR"}}}},
                  {{"inlineData", {{"mimeType", "text/plain"}, {"data", "aGVsbG8gd29ybGQ="}}}},
                  {{"fileData", {{"mimeType", "text/x-c"}, {"fileUri", "file:///src/main.c"}}}},
                  {{"text", "secret thoughts"}, {"thought", true}}}}}}}};
  Json prompt = buildPrompt(ir, false);
  ASSERT_EQ(prompt.size(), 4u);
  EXPECT_EQ(prompt[0], (Json{{"type", "text"}, {"text", "look at this"}}));
  EXPECT_EQ(prompt[1], (Json{{"type", "image"}, {"mimeType", "image/png"}, {"data", "iVBOR"}}));
  EXPECT_EQ(prompt[2]["type"], "resource");
  EXPECT_EQ(prompt[2]["resource"]["text"], "hello world");
  EXPECT_EQ(prompt[2]["resource"]["mimeType"], "text/plain");
  EXPECT_EQ(prompt[3]["type"], "resource_link");
  EXPECT_EQ(prompt[3]["uri"], "file:///src/main.c");
  EXPECT_EQ(prompt[3]["name"], "main.c");
}

TEST(TurnMapping, ReplayCarriesSystemInstructionAndEarlierTurns) {
  Json ir = {{"systemInstruction", {{"parts", {{{"text", "Be terse."}}}}}},
             {"contents", {userText("What is 2+2?"), modelText("4"), userText("And 3+3?")}}};
  Json prompt = buildPrompt(ir, true);
  ASSERT_EQ(prompt.size(), 2u);
  std::string history = prompt[0]["text"];
  EXPECT_NE(history.find("Be terse."), std::string::npos);
  EXPECT_NE(history.find("[user]\nWhat is 2+2?"), std::string::npos);
  EXPECT_NE(history.find("[assistant]\n4"), std::string::npos);
  EXPECT_EQ(history.find("And 3+3?"), std::string::npos) << "the new turn is its own block";
  EXPECT_EQ(prompt[1]["text"], "And 3+3?");

  // A first turn without system instruction has nothing to replay.
  Json single = {{"contents", {userText("hi")}}};
  EXPECT_EQ(buildPrompt(single, true), (Json{{{"type", "text"}, {"text", "hi"}}}));
}

TEST(TurnMapping, ConversationMustEndWithAUserTurn) {
  EXPECT_THROW(validateConversation(Json{{"contents", Json::array()}}), Error);
  EXPECT_THROW(validateConversation(Json{{"contents", {userText("a"), modelText("b")}}}), Error);
  EXPECT_THROW(validateConversation(Json{{"contents", {{{"role", "user"}, {"parts", Json::array()}}}}}),
               Error);
  EXPECT_NO_THROW(validateConversation(Json{{"contents", {userText("a")}}}));
}

TEST(TurnMapping, FingerprintFollowsTheFirstUserTurn) {
  Json a = {{"contents", {userText("hello"), modelText("x"), userText("more")}}};
  Json b = {{"contents", {userText("hello")}}};
  Json c = {{"contents", {userText("other")}}};
  EXPECT_EQ(conversationFingerprint(a), conversationFingerprint(b));
  EXPECT_NE(conversationFingerprint(a), conversationFingerprint(c));
}

TEST(TurnMapping, ModelPrefixesAreStripped) {
  EXPECT_EQ(normalizeModel("google/gemini-2.5-pro"), "gemini-2.5-pro");
  EXPECT_EQ(normalizeModel("models/gemini-2.5-flash"), "gemini-2.5-flash");
  EXPECT_EQ(normalizeModel("gemini-2.5-pro"), "gemini-2.5-pro");
}

TEST(TurnMapping, UpdatesMapToTextThoughtsAndProgress) {
  UpdateMapper mapper;
  MappedUpdate text = mapper.map(
      {{"sessionUpdate", "agent_message_chunk"}, {"content", {{"type", "text"}, {"text", "Hi"}}}});
  EXPECT_EQ(text.kind, MappedUpdate::Kind::Text);
  EXPECT_EQ(text.text, "Hi");
  MappedUpdate thought = mapper.map(
      {{"sessionUpdate", "agent_thought_chunk"}, {"content", {{"type", "text"}, {"text", "hmm"}}}});
  EXPECT_EQ(thought.kind, MappedUpdate::Kind::Thought);
  MappedUpdate call = mapper.map({{"sessionUpdate", "tool_call"}, {"toolCallId", "t1"},
                                  {"title", "Read a.py"}, {"kind", "read"}, {"status", "in_progress"}});
  EXPECT_EQ(call.kind, MappedUpdate::Kind::Progress);
  EXPECT_NE(call.text.find("Read a.py"), std::string::npos);
  MappedUpdate pending =
      mapper.map({{"sessionUpdate", "tool_call_update"}, {"toolCallId", "t1"}, {"status", "in_progress"}});
  EXPECT_EQ(pending.kind, MappedUpdate::Kind::None);
  MappedUpdate done =
      mapper.map({{"sessionUpdate", "tool_call_update"}, {"toolCallId", "t1"}, {"status", "completed"}});
  EXPECT_EQ(done.kind, MappedUpdate::Kind::Progress);
  EXPECT_NE(done.text.find("Read a.py"), std::string::npos) << "title remembered from tool_call";
  EXPECT_EQ(mapper.map({{"sessionUpdate", "available_commands_update"}}).kind, MappedUpdate::Kind::None);
}

TEST(TurnMapping, StopReasonsAndUsage) {
  EXPECT_EQ(finishReasonFor("end_turn"), "STOP");
  EXPECT_EQ(finishReasonFor("max_tokens"), "MAX_TOKENS");
  EXPECT_EQ(finishReasonFor("cancelled"), "OTHER");
  EXPECT_EQ(finishReasonFor("refusal"), "OTHER");
  Json usage = usageFromPromptResult(
      {{"stopReason", "end_turn"},
       {"_meta", {{"quota", {{"token_count", {{"input_tokens", 1200}, {"output_tokens", 85}}}}}}}});
  EXPECT_EQ(usage, (Json{{"promptTokenCount", 1200}, {"candidatesTokenCount", 85}, {"totalTokenCount", 1285}}));
  EXPECT_TRUE(usageFromPromptResult({{"stopReason", "end_turn"}}).is_null());
}

TEST(TurnMapping, HttpStatusCodesFromTheAgentKeepTheirMeaning) {
  RpcOutcome rateLimited;
  rateLimited.kind = RpcOutcome::Kind::Error;
  rateLimited.code = 429;
  rateLimited.message = "Rate limit exceeded. Try again later.";
  Error e = errorFromRpc(rateLimited, "turn");
  EXPECT_EQ(e.code(), LLMP_E_RATE_LIMITED);
  EXPECT_EQ(e.httpStatus(), 429);

  RpcOutcome badRequest = rateLimited;
  badRequest.code = 400;
  EXPECT_EQ(errorFromRpc(badRequest, "turn").httpStatus(), 400);

  RpcOutcome auth = rateLimited;
  auth.code = -32000;
  EXPECT_EQ(errorFromRpc(auth, "turn").code(), LLMP_E_AUTH);

  RpcOutcome internal = rateLimited;
  internal.code = -32603;
  EXPECT_EQ(errorFromRpc(internal, "turn").httpStatus(), 502);
}

TEST(TurnMapping, AppendPartMergesSameKind) {
  Json parts = Json::array();
  appendPart(parts, "a", true);
  appendPart(parts, "b", true);
  appendPart(parts, "c", false);
  appendPart(parts, "d", false);
  EXPECT_EQ(parts, (Json{{{"text", "ab"}, {"thought", true}}, {{"text", "cd"}}}));
}

Json permissionParams(const std::string& kind) {
  return {{"sessionId", "s"},
          {"toolCall", {{"toolCallId", "x-1"}, {"title", "do it"}, {"kind", kind}, {"status", "pending"}}},
          {"options",
           {{{"optionId", "proceed_always"}, {"kind", "allow_always"}},
            {{"optionId", "proceed_once"}, {"kind", "allow_once"}},
            {{"optionId", "cancel"}, {"kind", "reject_once"}}}}};
}

TEST(PermissionPolicyTest, ReadOnlyKindsAllowedOthersRejected) {
  for (const char* kind : {"read", "search", "fetch", "think"}) {
    PermissionDecision d = decidePermission(permissionParams(kind), PermissionPolicy::ReadOnly);
    EXPECT_TRUE(d.allow) << kind;
    EXPECT_EQ(d.result["outcome"]["optionId"], "proceed_once") << kind;
  }
  for (const char* kind : {"edit", "delete", "move", "execute", "other"}) {
    PermissionDecision d = decidePermission(permissionParams(kind), PermissionPolicy::ReadOnly);
    EXPECT_FALSE(d.allow) << kind;
    EXPECT_EQ(d.result["outcome"]["optionId"], "cancel") << kind;
  }
}

TEST(PermissionPolicyTest, AllowAllAndDenyAll) {
  EXPECT_EQ(decidePermission(permissionParams("execute"), PermissionPolicy::AllowAll)
                .result["outcome"]["optionId"],
            "proceed_once");
  EXPECT_EQ(decidePermission(permissionParams("read"), PermissionPolicy::DenyAll)
                .result["outcome"]["optionId"],
            "cancel");
}

TEST(PermissionPolicyTest, PicksByKindNotIdAndCancelsWithoutAMatch) {
  Json read = permissionParams("read");
  read["options"] = {{{"optionId", "always-yes"}, {"kind", "allow_always"}},
                     {{"optionId", "never"}, {"kind", "reject_always"}}};
  EXPECT_EQ(decidePermission(read, PermissionPolicy::ReadOnly).result["outcome"]["optionId"],
            "always-yes");
  // An edit with no reject option: answering "cancelled" grants nothing.
  Json edit = permissionParams("edit");
  edit["options"] = {{{"optionId", "yes"}, {"kind", "allow_once"}}};
  PermissionDecision d = decidePermission(edit, PermissionPolicy::ReadOnly);
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.result, (Json{{"outcome", {{"outcome", "cancelled"}}}}));
}

TEST(ConfigTest, ReadsExtraFirstThenTopLevel) {
  Json config = {{"type", "gemini-cli-acp"},
                 {"max_processes", 9},
                 {"permission_policy", "deny_all"},
                 {"extra",
                  {{"gemini_cli_executable", "/opt/gemini"},
                   {"permission_policy", "allow_all"},
                   {"idle_timeout_seconds", "120"},
                   {"env", {{"GEMINI_API_KEY", "k"}}}}}};
  BackendConfig c = parseConfig(config);
  EXPECT_EQ(c.executable, "/opt/gemini");
  EXPECT_EQ(c.permissionPolicy, PermissionPolicy::AllowAll);
  EXPECT_EQ(c.maxProcesses, 9u);
  EXPECT_EQ(c.idleTimeoutMs, 120000);
  EXPECT_EQ(c.env.at("GEMINI_API_KEY"), "k");

  BackendConfig defaults = parseConfig(Json::object());
  EXPECT_EQ(defaults.idleTimeoutMs, 3600000);
  EXPECT_EQ(defaults.maxProcesses, 4u);
  EXPECT_EQ(defaults.permissionPolicy, PermissionPolicy::ReadOnly);
}

TEST(ConfigTest, BadValuesNameTheKey) {
  try {
    parseConfig({{"extra", {{"permission_policy", "sometimes"}}}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("permission_policy"), std::string::npos);
  }
  EXPECT_THROW(parseConfig({{"max_processes", 0}}), Error);
  EXPECT_THROW(parseConfig({{"idle_timeout_seconds", -1}}), Error);
  EXPECT_THROW(parseConfig({{"extra", {{"env", {{"A=B", "x"}}}}}}), Error);
}

TEST(ConfigTest, UnknownKeysAreReported) {
  Json config = {{"type", "gemini-cli-acp"},
                 {"permision_policy", "allow_all"},
                 {"extra", {{"project_dir", "/tmp"}, {"idle_timeout", 5}}}};
  EXPECT_EQ(unknownConfigKeys(config),
            (std::vector<std::string>{"permision_policy", "extra.idle_timeout"}));
}

TEST(ExecutableTest, FindsGeminiOnPathAndRunsJsThroughNode) {
  char dirTemplate[] = "/tmp/llmp-acp-path-XXXXXX";
  std::string dir = ::mkdtemp(dirTemplate);
  std::string exe = dir + "/gemini.cmd";
  std::ofstream(exe) << "#!/bin/sh\n";
  ::chmod(exe.c_str(), 0755);
  ResolvedExecutable found = resolveExecutable("", "/nonexistent:" + dir);
  EXPECT_TRUE(found.found);
  EXPECT_EQ(found.path, exe);

  ResolvedExecutable missing = resolveExecutable("", "/nonexistent");
  EXPECT_FALSE(missing.found);
  EXPECT_NE(missing.error.find("gemini_cli_executable"), std::string::npos);
  EXPECT_FALSE(resolveExecutable("/no/such/gemini", "").found);

  EXPECT_EQ(buildArgv("/x/gemini.js", "node", "--acp", "gemini-2.5-pro", {"--debug"}),
            (std::vector<std::string>{"node", "/x/gemini.js", "--acp", "-m", "gemini-2.5-pro", "--debug"}));
  EXPECT_EQ(buildArgv("/usr/bin/gemini", "node", "--experimental-acp", "", {}),
            (std::vector<std::string>{"/usr/bin/gemini", "--experimental-acp"}));
  ::unlink(exe.c_str());
  ::rmdir(dir.c_str());
}

TEST(WorkspaceTest, MetadataThenHeaderThenProjectDir) {
  EXPECT_EQ(resolveWorkspace({{"workspace", "/tmp"}}, "/"), "/tmp");
  EXPECT_EQ(resolveWorkspace({{"headers", {{"X-LLMP-Workspace", "/tmp"}}}}, "/"), "/tmp");
  EXPECT_EQ(resolveWorkspace(Json::object(), "/tmp"), "/tmp");
  EXPECT_EQ(resolveWorkspace(Json::object(), ""), currentDirectory());
  EXPECT_THROW(resolveWorkspace({{"workspace", "relative/dir"}}, ""), Error);
  EXPECT_THROW(resolveWorkspace({{"workspace", "/no/such/dir/anywhere"}}, ""), Error);
}

}  // namespace
}  // namespace llmp::plugins::gemini_acp
