// The official SDKs through llm-proxy to the `gemini` backend, pointed at the fake Gemini
// upstream (tests/fakes). Checks what reaches the upstream and what comes back to the client.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { startProxy, startFakeGemini } from './lib/harness.mjs';

const UPSTREAM_KEY = 'upstream-secret-key-123';
let fake;
let proxy;

before(async () => {
  fake = await startFakeGemini();
  // The backend caches the upstream's model list, so the list is set before the proxy starts.
  await fetch(fake.url + '/__fake/models', { method: 'POST', body: JSON.stringify({ models: ['gemini-2.5-pro', 'gemini-2.5-flash'] }) });
  proxy = await startProxy({
    config: `default_backend: gemini
max_silent_wait_seconds: 0
backends:
  gemini:
    type: gemini
    base_url: ${fake.url}
    api_key: ${UPSTREAM_KEY}
${['rl1', 'rl2', 'rl3'].map((n) => `  ${n}:\n    type: gemini\n    base_url: ${fake.url}\n    api_key: ${UPSTREAM_KEY}\n`).join('')}`,
  });
});
after(async () => { await proxy?.close(); await fake?.close(); });
beforeEach(async () => { await fake.reset(); });

const openai = () => new OpenAI({ apiKey: 'client-key', baseURL: proxy.url + '/v1', maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: 'client-key', baseURL: proxy.url, maxRetries: 0 });
const genai = () => new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: proxy.url, apiVersion: 'v1beta' } });

const lastRequest = async (pathPart = ':') => {
  const all = (await fake.requests()).filter((r) => r.path.includes(pathPart));
  assert.ok(all.length > 0, `no upstream request matching ${pathPart}`);
  return { ...all.at(-1), json: JSON.parse(all.at(-1).body || '{}') };
};
const chunk = (parts, extra = {}) => ({
  candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }],
  modelVersion: 'gemini-2.5-flash',
});

test('gemini client: the upstream gets the configured key and every field untouched', async () => {
  const body = {
    contents: [
      { role: 'user', parts: [{ text: 'weather?' }] },
      { role: 'model', parts: [{ functionCall: { id: 'fc-1', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnLTE=' }] },
      { role: 'user', parts: [{ functionResponse: { id: 'fc-1', name: 'get_weather', response: { result: 'sunny' } } }] },
    ],
    tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: { type: 'object', additionalProperties: false } }] }, { googleSearch: {} }, { codeExecution: {} }],
    generationConfig: { thinkingConfig: { thinkingLevel: 'high', includeThoughts: true }, responseJsonSchema: { type: 'object' } },
    futureTopLevelField: { anything: [1, 2, 3] },
  };
  await fake.script({ status: 200, body: { ...chunk([{ text: 'ok', thoughtSignature: 'c2lnLTI=' }], { finishReason: 'STOP' }), futureResponseField: { x: 1 } } });
  const res = await fetch(proxy.url + '/v1beta/models/gemini-2.5-flash:generateContent', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'client-key' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const back = await res.json();
  assert.deepEqual(back.futureResponseField, { x: 1 });
  assert.equal(back.candidates[0].content.parts[0].thoughtSignature, 'c2lnLTI=');
  const up = await lastRequest(':generateContent');
  assert.equal(up.path, '/v1beta/models/gemini-2.5-flash:generateContent');
  assert.deepEqual(up.json, body);
  const key = Object.entries(up.headers).find(([k]) => k.toLowerCase() === 'x-goog-api-key')?.[1]
    ?? up.headers.find?.(([k]) => k.toLowerCase() === 'x-goog-api-key')?.[1];
  assert.equal(key, UPSTREAM_KEY);
  assert.ok(!proxy.logs().includes(UPSTREAM_KEY), 'the upstream key never appears in the log');
});

test('gemini client: the first streamed chunk arrives before the upstream sends the rest', async () => {
  await fake.script({ chunks: [chunk([{ text: 'first ' }]), chunk([{ text: 'second' }], { finishReason: 'STOP' })], holdAfterChunks: 1 });
  const stream = await genai().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'go' });
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.value.text, 'first ');
  await fetch(fake.url + '/__fake/release', { method: 'POST', body: '{"count":1}' });
  const rest = [];
  for (let n = await it.next(); !n.done; n = await it.next()) rest.push(n.value.text);
  assert.deepEqual(rest, ['second']);
});

test('gemini client: CRLF-framed upstream SSE is re-framed for the client', async () => {
  await fake.script({ chunks: [chunk([{ text: 'a' }]), chunk([{ text: 'b' }], { finishReason: 'STOP' })], framing: 'crlf' });
  const parts = [];
  for await (const c of await genai().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'go' })) parts.push(c.text);
  assert.deepEqual(parts, ['a', 'b']);
});

test('openai client: generation parameters reach the upstream as Gemini fields', async () => {
  await openai().chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }],
    temperature: 0.4, top_p: 0.9, max_tokens: 123, stop: ['END'], n: 1, seed: 42,
    presence_penalty: 0.5, frequency_penalty: 0.25, logprobs: true, top_logprobs: 3,
    reasoning_effort: 'low',
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } } },
    gemini_safety_settings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    gemini_cached_content: 'cachedContents/abc',
  });
  const { json } = await lastRequest(':generateContent');
  const gc = json.generationConfig;
  assert.equal(gc.temperature, 0.4);
  assert.equal(gc.topP, 0.9);
  assert.equal(gc.maxOutputTokens, 123);
  assert.deepEqual(gc.stopSequences, ['END']);
  assert.equal(gc.seed, 42);
  assert.equal(gc.presencePenalty, 0.5);
  assert.equal(gc.frequencyPenalty, 0.25);
  assert.equal(gc.responseLogprobs, true);
  assert.equal(gc.logprobs, 3);
  assert.equal(gc.thinkingConfig.thinkingBudget, 1024);
  assert.equal(gc.responseMimeType, 'application/json');
  assert.equal(gc.responseSchema.additionalProperties, undefined, 'schema sanitized');
  assert.deepEqual(json.safetySettings, [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }]);
  assert.equal(json.cachedContent, 'cachedContents/abc');
  assert.equal(json.systemInstruction.parts[0].text, 'be brief');
});

test('openai client: temperature is clamped for the 1.5 family', async () => {
  await openai().chat.completions.create({ model: 'gemini-1.5-flash', messages: [{ role: 'user', content: 'hi' }], temperature: 1.8 });
  assert.equal((await lastRequest(':generateContent')).json.generationConfig.temperature, 1);
});

test('openai client: parallel tool calls stream with distinct indices and thought signatures round-trip', async () => {
  await fake.script({
    chunks: [
      chunk([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2lnLXBhcmlz' },
        { functionCall: { name: 'get_weather', args: { city: 'Rome' } } }], { finishReason: 'STOP' }),
    ],
  });
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const messages = [{ role: 'user', content: 'weather in Paris and Rome?' }];
  const stream = openai().chat.completions.stream({ model: 'gemini-3-pro-preview', messages, tools });
  const final = await stream.finalChatCompletion();
  const calls = final.choices[0].message.tool_calls;
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  assert.equal(calls.length, 2);
  assert.notEqual(calls[0].id, calls[1].id);
  assert.deepEqual(JSON.parse(calls[1].function.arguments), { city: 'Rome' });

  // A client that keeps only the standard fields still gets the signature restored.
  const stripped = { role: 'assistant', content: null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: c.function })) };
  await openai().chat.completions.create({
    model: 'gemini-3-pro-preview', tools,
    messages: [...messages, stripped,
      { role: 'tool', tool_call_id: calls[0].id, content: '18C' },
      { role: 'tool', tool_call_id: calls[1].id, content: '{"temp":"22C"}' }],
  });
  const { json } = await lastRequest(':generateContent');
  const modelTurn = json.contents.find((c) => c.role === 'model');
  assert.equal(modelTurn.parts[0].thoughtSignature, 'c2lnLXBhcmlz');
  const responses = json.contents.at(-1).parts.map((p) => p.functionResponse);
  assert.deepEqual(responses.map((r) => r.name), ['get_weather', 'get_weather']);
  assert.deepEqual(responses[1].response, { temp: '22C' });
});

test('openai client: images become inlineData', async () => {
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  await openai().chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: [
    { type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }] });
  const part = (await lastRequest(':generateContent')).json.contents[0].parts.find((p) => p.inlineData);
  assert.deepEqual(part.inlineData, { mimeType: 'image/png', data: png });
});

test('openai client: MALFORMED_FUNCTION_CALL is a visible error, not an empty answer', async () => {
  await fake.script({ status: 200, body: chunk([], { finishReason: 'MALFORMED_FUNCTION_CALL' }) });
  await assert.rejects(openai().chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status >= 500 && /malformed/i.test(e.message));
});

test('anthropic client: parameters, images, tools and thinking reach the upstream', async () => {
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  await anthropic().messages.create({
    model: 'gemini-2.5-flash', max_tokens: 2048, system: 'sys', stop_sequences: ['STOP'],
    temperature: 0.3, top_p: 0.8, top_k: 20, thinking: { type: 'enabled', budget_tokens: 1024 },
    tools: [{ name: 'get_weather', input_schema: { type: 'object', $schema: 'x', properties: { city: { type: ['string', 'null'] } } } }],
    tool_choice: { type: 'tool', name: 'get_weather' },
    messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }] }],
  });
  const { json } = await lastRequest(':generateContent');
  assert.equal(json.systemInstruction.parts[0].text, 'sys');
  assert.equal(json.generationConfig.maxOutputTokens, 2048);
  assert.deepEqual(json.generationConfig.stopSequences, ['STOP']);
  assert.equal(json.generationConfig.topK, 20);
  assert.equal(json.generationConfig.thinkingConfig.thinkingBudget, 1024);
  assert.equal(json.toolConfig.functionCallingConfig.mode, 'ANY');
  assert.deepEqual(json.toolConfig.functionCallingConfig.allowedFunctionNames, ['get_weather']);
  const params = json.tools[0].functionDeclarations[0].parameters;
  assert.equal(params.$schema, undefined);
  assert.equal(json.contents[0].parts[1].inlineData.data, png);
});

test('anthropic client: a tool-use turn keeps its thought signature across the round trip', async () => {
  await fake.script({ chunks: [
    chunk([{ text: 'thinking about it', thought: true }]),
    chunk([{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } }, thoughtSignature: 'c2lnLW9zbG8=' }], { finishReason: 'STOP' }),
  ] });
  const tools = [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
  const messages = [{ role: 'user', content: 'weather in Oslo?' }];
  const first = await anthropic().messages.stream({ model: 'gemini-3-pro-preview', max_tokens: 1000, tools, messages }).finalMessage();
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find((b) => b.type === 'tool_use');
  assert.deepEqual(use.input, { city: 'Oslo' });
  await anthropic().messages.create({ model: 'gemini-3-pro-preview', max_tokens: 1000, tools, messages: [...messages,
    { role: 'assistant', content: first.content },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'cold' }] }] });
  const { json } = await lastRequest(':generateContent');
  const call = json.contents.find((c) => c.role === 'model').parts.find((p) => p.functionCall);
  assert.equal(call.thoughtSignature, 'c2lnLW9zbG8=');
  assert.equal(json.contents.at(-1).parts[0].functionResponse.name, 'get_weather');
});

test('upstream errors keep their meaning in every client shape', async () => {
  // 429 with RetryInfo. The backend then rests its key and the router the backend/model pair
  // for 7 s, so each client gets a backend instance of its own (rl1..rl3).
  await fake.script({ status: 429, error: { message: 'quota exceeded', retryDelay: '7s' }, times: 3 });
  await assert.rejects(openai().chat.completions.create({ model: 'rl1:gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 429 && e.headers.get('retry-after') === '7');
  await assert.rejects(anthropic().messages.create({ model: 'rl2:gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 429 && e.error?.error?.type === 'rate_limit_error');
  await assert.rejects(genai().models.generateContent({ model: 'rl3:gemini-2.5-flash', contents: 'x' }),
    (e) => e.status === 429 && /RetryInfo/.test(e.message));
  // 404 passes through, 500 becomes 502, 503 stays 503 (Anthropic: 529 overloaded)
  for (const [up, oa, an] of [[404, 404, 404], [500, 502, 502], [503, 503, 529], [400, 400, 400], [403, 403, 403]]) {
    await fake.reset();
    await fake.script({ status: up, error: { message: `upstream said ${up}` }, times: 2 });
    await assert.rejects(openai().chat.completions.create({ model: `m-${up}`, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === oa, `openai for ${up}`);
    await assert.rejects(anthropic().messages.create({ model: `m-${up}`, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === an, `anthropic for ${up}`);
  }
});

test('a connection closed mid-stream ends the client stream with an error', async () => {
  await fake.script({ chunks: [chunk([{ text: 'partial ' }]), chunk([{ text: 'never' }])], closeAfterChunks: 1 });
  const stream = openai().chat.completions.stream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] });
  await assert.rejects(stream.finalChatCompletion());
  await fake.script({ chunks: [chunk([{ text: 'partial ' }]), chunk([{ text: 'never' }])], closeAfterChunks: 1 });
  await assert.rejects(anthropic().messages.stream({ model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).finalMessage());
});

test('model lists show the upstream models in each API shape', async () => {
  const oa = await openai().models.list();
  assert.ok(oa.data.some((m) => m.id === 'gemini:gemini-2.5-pro'));
  const an = await anthropic().models.list();
  assert.ok(an.data.some((m) => m.id.endsWith('gemini-2.5-flash')));
  const names = [];
  for await (const m of await genai().models.list()) names.push(m.name);
  assert.ok(names.includes('models/gemini-2.5-pro'));
});
