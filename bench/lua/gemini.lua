-- Gemini generateContent POST (used for direct, nginx and llm-proxy Gemini->Gemini rows).
-- URL path: /v1beta/models/gemini-2.5-flash:generateContent
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-goog-api-key"] = "bench"
wrk.body = [[{"contents":[{"role":"user","parts":[{"text":"Say hello to the benchmark in one short sentence, please."}]}],"generationConfig":{"temperature":0.2,"maxOutputTokens":64}}]]

done = report.done
