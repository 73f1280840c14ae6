// Proxy-key authentication in every client's shape, and the gemini-cli-cloud-project backend
// (service account -> fake token endpoint -> fake Code Assist) driven by an official SDK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { startProxy, buildDir } from './lib/harness.mjs';

const PROXY_KEY = 'proxy-key-for-tests';
let fakeCa;
let fakeCaPort;
let proxy;
const saFile = join(mkdtempSync(join(tmpdir(), 'llmp-sa-')), 'sa.json');

before(async () => {
  // The fake Code Assist server writes a service-account key file whose token_uri points at it.
  fakeCa = spawn(join(buildDir, 'fake-code-assist'), ['--port', '0', '--write-service-account', saFile, '--project', 'proj-1'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  fakeCaPort = await new Promise((resolve, reject) => {
    let out = '';
    fakeCa.stdout.on('data', (d) => { out += d; const m = out.match(/PORT=(\d+)/); if (m) resolve(m[1]); });
    fakeCa.on('exit', (c) => reject(new Error(`fake-code-assist exited ${c}`)));
  });
  proxy = await startProxy({
    config: `default_backend: cloud
proxy_keys: [${PROXY_KEY}]
backends:
  cloud:
    type: gemini-cli-cloud-project
    project_id: proj-1
    code_assist_endpoint: http://127.0.0.1:${fakeCaPort}
    credentials_file: ${saFile}
  mock:
    type: mock
`,
  });
});
after(async () => { await proxy?.close(); fakeCa?.kill('SIGTERM'); });

test('a request without a valid proxy key gets 401 in its own API shape', async () => {
  const oa = await fetch(proxy.url + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(oa.status, 401);
  assert.equal((await oa.json()).error.type, 'authentication_error');
  const an = await fetch(proxy.url + '/v1/messages', { method: 'POST', headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'wrong' }, body: '{}' });
  assert.equal(an.status, 401);
  const anBody = await an.json();
  assert.equal(anBody.type, 'error');
  assert.equal(anBody.error.type, 'authentication_error');
  const ge = await fetch(proxy.url + '/v1beta/models/x:generateContent?key=wrong', { method: 'POST', body: '{}' });
  assert.equal(ge.status, 401);
  assert.equal((await ge.json()).error.status, 'UNAUTHENTICATED');
  // healthz stays open for probes
  assert.equal((await fetch(proxy.url + '/healthz')).status, 200);
});

test('every accepted way of presenting the key works', async () => {
  const body = JSON.stringify({ model: 'mock:mock-1', messages: [{ role: 'user', content: 'hi' }] });
  for (const headers of [{ authorization: `Bearer ${PROXY_KEY}` }, { 'x-api-key': PROXY_KEY }, { 'x-goog-api-key': PROXY_KEY }]) {
    const r = await fetch(proxy.url + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    assert.equal(r.status, 200, `${JSON.stringify(headers)}: ${await r.text()}`);
  }
  const q = await fetch(proxy.url + `/v1beta/models/mock:mock-1:generateContent?key=${PROXY_KEY}`, {
    method: 'POST', body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) });
  assert.equal(q.status, 200);
});

test('cloud project backend: SDK clients get answers billed through Code Assist', async () => {
  const openai = new OpenAI({ apiKey: PROXY_KEY, baseURL: proxy.url + '/v1', maxRetries: 0 });
  const r = await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hello cloud' }] });
  assert.ok(r.choices[0].message.content.length > 0);
  const stream = openai.chat.completions.stream({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'stream please' }], stream_options: { include_usage: true } });
  const final = await stream.finalChatCompletion();
  assert.ok(final.choices[0].message.content.length > 0);

  const anthropic = new Anthropic({ apiKey: PROXY_KEY, baseURL: proxy.url, maxRetries: 0 });
  const m = await anthropic.messages.create({ model: 'gemini-2.5-flash', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(m.type, 'message');

  const ai = new GoogleGenAI({ apiKey: PROXY_KEY, httpOptions: { baseUrl: proxy.url, apiVersion: 'v1beta' } });
  const g = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
  assert.ok(g.text.length > 0);
  const count = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'a b c' });
  assert.ok(count.totalTokens > 0);

  // What reached the fake Code Assist: the wrapper with the project, and a Bearer token.
  const reqs = await (await fetch(`http://127.0.0.1:${fakeCaPort}/__fake/requests`)).json();
  const gen = reqs.find((q) => q.path.endsWith(':generateContent'));
  const body = JSON.parse(gen.body);
  assert.equal(body.project, 'proj-1');
  assert.equal(body.model, 'gemini-2.5-flash');
  assert.ok(body.request.contents);
  assert.ok(!proxy.logs().match(/ya29|BEGIN PRIVATE KEY/), 'no token or key in the log');
});
