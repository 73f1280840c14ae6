// The antigravity-oauth backend through the running proxy: the debug gate, the token from a
// test-made Antigravity state database (SQLite, written by fake-antigravity --write-state-db),
// host fallback on 429, Gemini and Claude models with text, streaming and tool-call round trips
// from the OpenAI and Anthropic SDKs (Claude's signed thinking must survive the round trip: the
// fake upstream refuses a tool result whose call lost its signed thinking), an expired token
// (refused, and refreshed when the OAuth client is configured) and a missing database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startProxy, buildDir, pluginDir } from './lib/harness.mjs';

const FLAG = '--enable-antigravity-oauth-backend-debugging-override';
const fakeBin = join(buildDir, 'fake-antigravity');
// A build with -DLLMP_WITH_ANTIGRAVITY=OFF has neither the plugin nor the fake.
const skip = !existsSync(join(pluginDir, 'libllmp_antigravity.so')) && 'built without LLMP_WITH_ANTIGRAVITY';
const dir = mkdtempSync(join(tmpdir(), 'llmp-ag-e2e-'));
const now = Math.floor(Date.now() / 1000);
const validDb = join(dir, 'valid', 'state.vscdb');
const expiredDb = join(dir, 'expired', 'state.vscdb');
const missingDb = join(dir, 'missing', 'state.vscdb');

const fakes = [];
let first; // answers 429 when told to
let second;
let proxy;
let gated;

function writeDb(path, format, access, refresh, expiry) {
  execFileSync('mkdir', ['-p', join(path, '..')]);
  execFileSync(fakeBin, ['--write-state-db', path, '--format', format, '--access-token', access,
    '--refresh-token', refresh, '--expiry-seconds', String(expiry)]);
}

async function startFake() {
  const child = spawn(fakeBin, ['--port', '0', '--token', 'ya29.e2e-valid',
    '--client-id', 'test-client', '--client-secret', 'test-secret', '--refresh-token', '1//e2e-refresh'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  fakes.push(child);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = out.match(/PORT=(\d+)/); if (m) resolve(m[1]); });
    child.on('exit', (c) => reject(new Error(`fake-antigravity exited ${c}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const control = async (path, body) => {
    const res = await fetch(`${url}/__fake/${path}`, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  };
  return { url, requests: () => control('requests'), fail: (f) => control('fail', f), reset: () => control('reset', {}) };
}

before(async () => {
  if (skip) return;
  writeDb(validDb, 'unified', 'ya29.e2e-valid', '1//e2e-refresh', now + 3600);
  writeDb(expiredDb, 'jetski', 'ya29.e2e-old', '1//e2e-refresh', now - 600);
  first = await startFake();
  second = await startFake();
  const config = `default_backend: ag
backends:
  ag:
    type: antigravity-oauth
    state_db: ${validDb}
    hosts: [${first.url}, ${second.url}]
  expired:
    type: antigravity-oauth
    state_db: ${expiredDb}
    base_url: ${second.url}
  refreshing:
    type: antigravity-oauth
    state_db: ${expiredDb}
    base_url: ${second.url}
    client_id: test-client
    client_secret: test-secret
    token_uri: ${second.url}/token
  envdb:
    type: antigravity-oauth
    base_url: ${second.url}
  missing:
    type: antigravity-oauth
    state_db: ${missingDb}
    base_url: ${second.url}
`;
  proxy = await startProxy({ config, args: [FLAG], env: { ANTIGRAVITY_STATE_DB: validDb } });
  gated = await startProxy({ config });
});

after(async () => {
  await proxy?.close();
  await gated?.close();
  for (const f of fakes) f.kill('SIGTERM');
});

const openai = () => new OpenAI({ apiKey: 'unused', baseURL: proxy.url + '/v1', maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: 'unused', baseURL: proxy.url, maxRetries: 0 });
const weatherTool = { name: 'get_weather', description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

test('without the override flag the backend answers 403 naming the flag', { skip }, async () => {
  const oa = new OpenAI({ apiKey: 'unused', baseURL: gated.url + '/v1', maxRetries: 0 });
  await assert.rejects(oa.chat.completions.create({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e.status === 403 && e.message.includes(FLAG));
  const an = new Anthropic({ apiKey: 'unused', baseURL: gated.url, maxRetries: 0 });
  await assert.rejects(an.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e.status === 403 && e.error?.error?.type === 'permission_error' && e.message.includes(FLAG));
});

test('the token comes from the state database and the body carries the Antigravity fields', { skip }, async () => {
  await first.reset();
  const r = await openai().chat.completions.create({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'hello there' }] });
  assert.match(r.choices[0].message.content, /Hello from gemini-3-flash: hello there/);
  const gen = (await first.requests()).find((q) => q.kind === 'generateContent');
  assert.equal(gen.headers.authorization, 'Bearer ya29.e2e-valid');
  assert.match(gen.headers['user-agent'], /^antigravity\//);
  const body = JSON.parse(gen.body);
  assert.equal(body.userAgent, 'antigravity');
  assert.equal(body.requestType, 'agent');
  assert.match(body.requestId, /^agent-[0-9a-f-]{36}$/);
  assert.match(body.request.sessionId, /^-\d+$/);
  assert.equal(body.project, 'fake-project-1');
  // ANTIGRAVITY_STATE_DB is where a backend without state_db looks.
  const e = await openai().chat.completions.create({ model: 'envdb:gemini-3-flash', messages: [{ role: 'user', content: 'env' }] });
  assert.match(e.choices[0].message.content, /env/);
  assert.ok(!proxy.logs().includes('ya29.e2e-valid'), 'no token in the log');
});

test('a 429 from the first host falls back to the next host', { skip }, async () => {
  await first.reset();
  await second.reset();
  await first.fail({ method: 'generateContent', status: 429, times: 1, message: 'Resource has been exhausted' });
  const m = await anthropic().messages.create({ model: 'gemini-3-flash', max_tokens: 100, messages: [{ role: 'user', content: 'fallback please' }] });
  assert.match(m.content.find((b) => b.type === 'text').text, /fallback please/);
  assert.equal((await first.requests()).filter((q) => q.kind === 'generateContent').length, 1);
  assert.equal((await second.requests()).filter((q) => q.kind === 'generateContent').length, 1);
  // Streams fall back too.
  await first.fail({ method: 'streamGenerateContent', status: 429, times: 1 });
  const s = openai().chat.completions.stream({ model: 'gemini-3-flash', messages: [{ role: 'user', content: 'stream fallback' }] });
  assert.match((await s.finalChatCompletion()).choices[0].message.content, /stream fallback/);
});

for (const model of ['gemini-3-flash', 'claude-sonnet-4-5']) {
  test(`${model}: text and streaming from the OpenAI and Anthropic SDKs`, { skip }, async () => {
    const r = await openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'plain text' }] });
    assert.match(r.choices[0].message.content, /plain text/);
    const s = openai().chat.completions.stream({ model, messages: [{ role: 'user', content: 'streamed text' }], stream_options: { include_usage: true } });
    const final = await s.finalChatCompletion();
    assert.match(final.choices[0].message.content, /streamed text/);
    const m = await anthropic().messages.create({ model, max_tokens: 200, messages: [{ role: 'user', content: 'anthropic text' }] });
    assert.match(m.content.find((b) => b.type === 'text').text, /anthropic text/);
    const st = anthropic().messages.stream({ model, max_tokens: 200, messages: [{ role: 'user', content: 'anthropic stream' }] });
    const fm = await st.finalMessage();
    assert.match(fm.content.find((b) => b.type === 'text').text, /anthropic stream/);
    assert.equal(fm.stop_reason, 'end_turn');
  });

  test(`${model}: tool-call round trip from the OpenAI SDK`, { skip }, async () => {
    const tools = [{ type: 'function', function: weatherTool }];
    const messages = [{ role: 'user', content: 'weather in Paris?' }];
    // Claude with reasoning: the thinking variant, whose signed thinking must come back.
    const extra = model.startsWith('claude') ? { reasoning_effort: 'low' } : {};
    const first1 = await openai().chat.completions.create({ model, messages, tools, ...extra });
    const call = first1.choices[0].message.tool_calls?.[0];
    assert.ok(call, JSON.stringify(first1));
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    messages.push(first1.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny' });
    const second1 = await openai().chat.completions.create({ model, messages, tools, ...extra });
    assert.match(second1.choices[0].message.content, /The tool said .*sunny/);
    // Streaming turn with the same history.
    const s = openai().chat.completions.stream({ model, messages, tools, ...extra });
    assert.match((await s.finalChatCompletion()).choices[0].message.content, /sunny/);
  });

  test(`${model}: tool-call round trip from the Anthropic SDK`, { skip }, async () => {
    const tools = [{ name: weatherTool.name, description: weatherTool.description, input_schema: weatherTool.parameters }];
    const thinking = model.startsWith('claude') ? { thinking: { type: 'enabled', budget_tokens: 2048 } } : {};
    const messages = [{ role: 'user', content: 'weather in Paris?' }];
    const st = anthropic().messages.stream({ model, max_tokens: 4096, messages, tools, ...thinking });
    const m1 = await st.finalMessage();
    assert.equal(m1.stop_reason, 'tool_use');
    const use = m1.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(use.input, { city: 'Paris' });
    if (model.startsWith('claude')) {
      const t = m1.content.find((b) => b.type === 'thinking');
      assert.ok(t && t.thinking.length > 0 && t.signature.startsWith('csig-'), JSON.stringify(m1.content));
      assert.match(use.id, /^toolu_fake_/);
    }
    messages.push({ role: 'assistant', content: m1.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] });
    const m2 = await anthropic().messages.create({ model, max_tokens: 4096, messages, tools, ...thinking });
    assert.match(m2.content.find((b) => b.type === 'text').text, /The tool said .*sunny/);
  });
}

test('Claude requests use the endpoint names and the VALIDATED calling mode', { skip }, async () => {
  await first.reset();
  await anthropic().messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 4096,
    thinking: { type: 'enabled', budget_tokens: 2048 },
    tools: [{ name: 'get_weather', input_schema: weatherTool.parameters }],
    messages: [{ role: 'user', content: 'weather?' }] });
  const body = JSON.parse((await first.requests()).find((q) => q.kind === 'generateContent').body);
  assert.equal(body.model, 'claude-sonnet-4-5-thinking');
  assert.equal(body.request.toolConfig.functionCallingConfig.mode, 'VALIDATED');
  assert.ok(body.request.tools[0].functionDeclarations[0].parameters);
  assert.equal(body.request.generationConfig.thinkingConfig.thinkingBudget, 2048);
  // An opus request goes to the only variant offered.
  await first.reset();
  await openai().chat.completions.create({ model: 'claude-opus-4-5', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(JSON.parse((await first.requests()).find((q) => q.kind === 'generateContent').body).model, 'claude-opus-4-5-thinking');
});

test('models are listed through fetchAvailableModels', { skip }, async () => {
  const list = await openai().models.list();
  const ids = list.data.map((m) => m.id);
  assert.ok(ids.some((id) => id.endsWith('claude-sonnet-4-5-thinking')), ids.join(','));
  assert.ok(!ids.some((id) => id.endsWith('chat_20706')), 'internal ids are skipped');
  const count = await fetch(proxy.url + '/v1beta/models/gemini-3-flash:countTokens', { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'one two three' }] }] }) });
  assert.equal(count.status, 200);
  assert.equal((await count.json()).totalTokens, 3);
});

test('an expired token is refused with a clear error, and refreshed when the client is configured', { skip }, async () => {
  await assert.rejects(openai().chat.completions.create({ model: 'expired:gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e.status === 401 && /expired at/.test(e.message) && /client_id/.test(e.message));
  await assert.rejects(anthropic().messages.create({ model: 'expired:claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e.status === 401 && e.error?.error?.type === 'authentication_error' && /expired/.test(e.message));
  const r = await openai().chat.completions.create({ model: 'refreshing:gemini-3-flash', messages: [{ role: 'user', content: 'refreshed' }] });
  assert.match(r.choices[0].message.content, /refreshed/);
  // (The model listing may already have refreshed it: the token is cached per backend.)
  const reqs = await second.requests();
  const token = reqs.filter((q) => q.kind === 'token');
  assert.equal(token.length, 1);
  assert.match(token[0].body, /grant_type=refresh_token/);
  const gen = reqs.filter((q) => q.kind === 'generateContent').pop();
  assert.match(gen.headers.authorization, /^Bearer ya29\.fake-refreshed-/);
  assert.ok(!proxy.logs().includes('1//e2e-refresh') && !proxy.logs().includes('test-secret'), 'no secret in the log');
});

test('a missing database is a clear authentication error naming the path', { skip }, async () => {
  await assert.rejects(openai().chat.completions.create({ model: 'missing:gemini-3-flash', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e.status === 401 && e.message.includes(missingDb) && /does not exist/.test(e.message));
});
