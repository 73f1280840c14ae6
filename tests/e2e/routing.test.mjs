// Host routing through the running proxy: model selectors, URI parameters, aliases from flags,
// environment and YAML, failover chains and routes, retry after a short Retry-After with
// keep-alives, and no retry once output started.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startProxy, startFakeGemini } from './lib/harness.mjs';

let fake;
let proxy;

before(async () => {
  fake = await startFakeGemini();
  const gemini = `    type: gemini\n    base_url: ${fake.url}\n    api_key: k\n    rate_limit_rest_seconds: 1\n`;
  proxy = await startProxy({
    config: `default_backend: mock
keepalive_interval_seconds: 1
max_silent_wait_seconds: 5
backends:
  mock:
    type: mock
  flaky:
${gemini}  gemini2:
${gemini}model_aliases:
  "gpt-4o": "flaky:from-yaml"
  "claude-(.*)": "flaky:yaml-$1"
  "fast-(.*)": "gemini2:gemini-2.5-$1"
failover_routes:
  smart: [flaky:gemini-2.5-pro, mock:mock-1]
model_defaults:
  gemini2:gemini-2.5-flash: {top_p: 0.5, temperature: 1.5}
`,
    args: ['--model-alias', 'gpt-4o=mock:mock-1'],
    env: { MODEL_ALIASES: JSON.stringify({ 'claude-(.*)': 'mock:mock-2' }) },
  });
});
after(async () => { await proxy?.close(); await fake?.close(); });
beforeEach(async () => { await fake.reset(); });

const openai = () => new OpenAI({ apiKey: 'x', baseURL: proxy.url + '/v1', maxRetries: 0 });
const ask = async (model, content = 'ping') =>
  (await openai().chat.completions.create({ model, messages: [{ role: 'user', content }] })).choices[0].message.content;
const upstream = async () => (await fake.requests()).filter((r) => r.path.includes(':'));

test('aliases: flags win over the environment, which wins over YAML; capture groups work', async () => {
  assert.equal(await ask('gpt-4o'), 'mock: ping');            // --model-alias beats YAML
  assert.equal(await ask('claude-sonnet'), 'mock: ping');     // MODEL_ALIASES beats YAML
  assert.match(await ask('fast-flash'), /^echo: /);           // YAML with $1
  assert.equal((await upstream()).at(-1).path, '/v1beta/models/gemini-2.5-flash:generateContent');
});

test('selector parameters beat the body, which beats model_defaults', async () => {
  await openai().chat.completions.create({ model: 'gemini2:gemini-2.5-flash?temperature=0.3&top_k=7',
    messages: [{ role: 'user', content: 'x' }], temperature: 0.9 });
  const gc = JSON.parse((await upstream()).at(-1).body).generationConfig;
  assert.equal(gc.temperature, 0.3);
  assert.equal(gc.topK, 7);
  assert.equal(gc.topP, 0.5);
  await openai().chat.completions.create({ model: 'gemini2:gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }], temperature: 0.9 });
  assert.equal(JSON.parse((await upstream()).at(-1).body).generationConfig.temperature, 0.9);
});

test('a bad parameter is 400 naming it; an unknown backend is 404 naming the configured ones', async () => {
  await assert.rejects(ask('mock:mock-1?temperature=hot'), (e) => e.status === 400 && /temperature/.test(e.message));
  await assert.rejects(ask('mock:mock-1?bogus=1'), (e) => e.status === 400 && /bogus/.test(e.message));
  const anthropic = new Anthropic({ apiKey: 'x', baseURL: proxy.url, maxRetries: 0 });
  await assert.rejects(anthropic.messages.create({ model: 'nowhere:m', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 404 && /flaky/.test(e.message) && /gemini2/.test(e.message));
});

test('failover: a 503 moves to the next hop, for a chain and for a named route', async () => {
  await fake.script({ status: 503, error: { message: 'overloaded' }, times: 2 });
  assert.equal(await ask('flaky:gemini-2.5-pro|mock:mock-1'), 'mock: ping');
  assert.equal(await ask('smart'), 'mock: ping');
  assert.equal((await upstream()).length, 2);
});

test('a short Retry-After is waited out on the same hop, with keep-alives to a streaming client', async () => {
  await fake.script({ status: 429, error: { message: 'slow down', retryDelay: '2s' }, times: 1 });
  const res = await fetch(proxy.url + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gemini2:gemini-2.5-pro|mock:mock-1', stream: true, messages: [{ role: 'user', content: 'wait for it' }] }) });
  const text = await res.text();
  assert.equal(res.status, 200);
  assert.match(text, /^: keepalive/m);
  const content = [...text.matchAll(/^data: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]).choices[0]?.delta?.content ?? '').join('');
  assert.equal(content, 'echo: wait for it');
});

test('once output started an upstream failure ends the stream, with no retry elsewhere', async () => {
  await fake.script({ chunks: [{ candidates: [{ content: { role: 'model', parts: [{ text: 'partial' }] }, index: 0 }] }, { candidates: [] }], closeAfterChunks: 1 });
  const res = await fetch(proxy.url + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'flaky:gemini-2.5-pro|mock:mock-1', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
  const text = await res.text();
  assert.match(text, /partial/);
  assert.match(text, /"error"/);
  assert.doesNotMatch(text, /mock: /);
});
