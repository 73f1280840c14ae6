-- OpenAI chat completions POST, translated by llm-proxy to the gemini backend.
-- URL path: /v1/chat/completions
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
wrk.body = [[{"model":"gemini-2.5-flash","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello to the benchmark in one short sentence, please."}],"temperature":0.2,"max_tokens":64}]]

done = report.done
