-- Anthropic messages POST, translated by llm-proxy to the gemini backend.
-- URL path: /v1/messages
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "bench"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.body = [[{"model":"gemini-2.5-flash","max_tokens":64,"system":"You are terse.","messages":[{"role":"user","content":"Say hello to the benchmark in one short sentence, please."}],"temperature":0.2}]]

done = report.done
