// The gemini-cli-acp backend driving the real @google/gemini-cli in ACP mode, through the
// running proxy, with the CLI's model calls going to the fake Gemini upstream.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { startProxy, startFakeGemini } from './lib/harness.mjs';

const cli = join(dirname(fileURLToPath(import.meta.url)), 'node_modules', '@google', 'gemini-cli', 'bundle', 'gemini.js');
let fake;
let proxy;

function cliHome() {
  const home = mkdtempSync(join(tmpdir(), 'llmp-acp-home-'));
  mkdirSync(join(home, '.gemini'));
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify({
    security: { auth: { selectedType: 'gemini-api-key' } },
    general: { maxAttempts: 1, enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false },
  }));
  return home;
}

before(async () => {
  fake = await startFakeGemini();
  const backend = (policy) => `    type: gemini-cli-acp
    gemini_cli_executable: ${cli}
    node_executable: ${process.execPath}
    default_model: gemini-2.5-flash
    permission_policy: ${policy}
    initialize_timeout_seconds: 90
    env:
      HOME: ${cliHome()}
      GOOGLE_GEMINI_BASE_URL: ${fake.url}
      GEMINI_API_KEY: upstream-key
      GEMINI_CLI_TRUST_WORKSPACE: "true"
      NO_BROWSER: "true"
`;
  proxy = await startProxy({
    config: `default_backend: acp\nbackends:\n  acp:\n${backend('read_only')}  acpall:\n${backend('allow_all')}`,
  });
});
after(async () => { await proxy?.close(); await fake?.close(); });
beforeEach(async () => { await fake.reset(); });

const client = (workspace, session) => new OpenAI({
  apiKey: 'unused', baseURL: proxy.url + '/v1', maxRetries: 0, timeout: 120000,
  defaultHeaders: { 'x-llmp-workspace': workspace, 'x-session-id': session },
});
const text = (t) => ({ candidates: [{ content: { role: 'model', parts: [{ text: t }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 }, modelVersion: 'gemini-2.5-flash' });
const call = (name, args) => ({ candidates: [{ content: { role: 'model', parts: [
  { functionCall: { name, args }, thoughtSignature: 'skip_thought_signature_validator' }] }, finishReason: 'STOP', index: 0 }],
modelVersion: 'gemini-2.5-flash' });
const streamRequests = async () => (await fake.requests()).filter((r) => r.path.includes('streamGenerateContent'));

test('a text turn, then a second turn on the same ACP session', async () => {
  const ws = realpathSync(mkdtempSync(join(tmpdir(), 'llmp-acp-ws-')));
  await fake.script([{ match: { path: 'streamGenerateContent' }, chunks: [text('First answer.')] },
    { match: { path: 'streamGenerateContent' }, chunks: [text('Second answer.')] }]);
  const c = client(ws, 'conv-1');
  const first = await c.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'turn one' }] });
  assert.match(first.choices[0].message.content, /First answer\./);
  const stream = c.chat.completions.stream({ model: 'gemini-2.5-flash', messages: [
    { role: 'user', content: 'turn one' }, { role: 'assistant', content: first.choices[0].message.content },
    { role: 'user', content: 'turn two' }] });
  const second = await stream.finalChatCompletion();
  assert.match(second.choices[0].message.content, /Second answer\./);
  // The CLI kept the conversation in its session: its second upstream call carries turn one.
  const reqs = await streamRequests();
  const last = JSON.parse(reqs.at(-1).body);
  const texts = JSON.stringify(last.contents);
  assert.match(texts, /turn one/);
  assert.match(texts, /turn two/);
});

test('read-only tools run; writes are denied by default and allowed by allow_all', async () => {
  const ws = realpathSync(mkdtempSync(join(tmpdir(), 'llmp-acp-ws-')));
  writeFileSync(join(ws, 'notes.txt'), 'buy oat milk');
  await fake.script([{ match: { path: 'streamGenerateContent' }, chunks: [call('read_file', { file_path: 'notes.txt' })] },
    { match: { path: 'streamGenerateContent' }, chunks: [text('Your notes mention oat milk.')] }]);
  const r = await client(ws, 'conv-read').chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'read my notes' }] });
  assert.match(r.choices[0].message.content, /oat milk/);
  const afterRead = JSON.stringify(JSON.parse((await streamRequests()).at(-1).body).contents);
  assert.match(afterRead, /buy oat milk/, `the file content went back to the model: ${afterRead.slice(-1500)}`);

  for (const [backend, shouldExist] of [['acp', false], ['acpall', true]]) {
    await fake.reset();
    const target = join(ws, `out-${backend}.txt`);
    await fake.script([{ match: { path: 'streamGenerateContent' }, chunks: [call('write_file', { file_path: target, content: 'hello' })] },
      { match: { path: 'streamGenerateContent' }, times: -1, chunks: [text('Done with the write attempt.')] }]);
    const w = await client(ws, `conv-write-${backend}`).chat.completions.create({
      model: `${backend}:gemini-2.5-flash`, messages: [{ role: 'user', content: 'write the file' }] });
    assert.ok(w.choices[0].message.content.length > 0);
    assert.equal(existsSync(target), shouldExist, `${backend}: file written = ${existsSync(target)}`);
  }
});

test('a client that disconnects mid-turn cancels it and the CLI serves the next turn', async () => {
  const ws = realpathSync(mkdtempSync(join(tmpdir(), 'llmp-acp-ws-')));
  await fake.script([{ match: { path: 'streamGenerateContent' }, chunks: [text('slow '), text('never seen')], holdAfterChunks: 1 }]);
  const ac = new AbortController();
  const c = client(ws, 'conv-cancel');
  const pending = c.chat.completions.create({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'slow one' }] }, { signal: ac.signal });
  const stream = await pending;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) { ac.abort(); break; }
  }
  await fetch(fake.url + '/__fake/release', { method: 'POST', body: '{"count":1}' });
  await fake.script([{ match: { path: 'streamGenerateContent' }, chunks: [text('Back in business.')] }]);
  const next = await client(ws, 'conv-after-cancel').chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hello again' }] });
  assert.match(next.choices[0].message.content, /Back in business\./);
});

test('a missing CLI executable gives a clear 503, not a hang', async () => {
  const p = await startProxy({ config: 'default_backend: acp\nbackends:\n  acp:\n    type: gemini-cli-acp\n    gemini_cli_executable: /nonexistent/gemini\n' });
  try {
    const c = new OpenAI({ apiKey: 'x', baseURL: p.url + '/v1', maxRetries: 0 });
    await assert.rejects(c.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }),
      (e) => e.status === 503 && /nonexistent/.test(e.message));
  } finally { await p.close(); }
});
