// The real Gemini CLI (@google/gemini-cli, headless -p) as a client of llm-proxy's Gemini
// front end, with the `gemini` backend pointed at the fake upstream.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProxy, startFakeGemini } from './lib/harness.mjs';

const cli = join(dirname(fileURLToPath(import.meta.url)), 'node_modules', '@google', 'gemini-cli', 'bundle', 'gemini.js');
let fake;
let proxy;

before(async () => {
  fake = await startFakeGemini();
  proxy = await startProxy({
    config: `default_backend: gemini\nbackends:\n  gemini:\n    type: gemini\n    base_url: ${fake.url}\n    api_key: upstream\n`,
  });
});
after(async () => { await proxy?.close(); await fake?.close(); });
beforeEach(async () => { await fake.reset(); });

// Runs `gemini` in a throw-away HOME and workspace; resolves {code, stdout, stderr, workspace}.
function runCli(args, { files = {}, timeoutMs = 150000 } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'llmp-cli-home-'));
  mkdirSync(join(home, '.gemini'));
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify({
    security: { auth: { selectedType: 'gemini-api-key' } },
    general: { maxAttempts: 1, enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false },
  }));
  const workspace = realpathSync(mkdtempSync(join(tmpdir(), 'llmp-cli-ws-')));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(workspace, name), text);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH, HOME: home, GOOGLE_GEMINI_BASE_URL: proxy.url, GEMINI_API_KEY: 'client-key',
        GEMINI_CLI_NO_RELAUNCH: 'true', GEMINI_CLI_TRUST_WORKSPACE: 'true', NO_BROWSER: 'true', TERM: 'dumb',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, workspace }); });
  });
}

const textChunk = (text) => ({ candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3, totalTokenCount: 13 }, modelVersion: 'gemini-2.5-flash' });

test('gemini -m MODEL -p: a plain turn through the proxy', async () => {
  await fake.script({ match: { path: ':streamGenerateContent' }, chunks: [textChunk('Hello from the fake upstream.')] });
  const r = await runCli(['-m', 'gemini-2.5-flash', '-p', 'say hello']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /\[ERROR\]/);
  assert.match(r.stdout, /Hello from the fake upstream\./);
  const reqs = (await fake.requests()).filter((q) => q.path.includes(':streamGenerateContent'));
  assert.ok(reqs.length >= 1);
  const body = JSON.parse(reqs[0].body);
  assert.ok(body.systemInstruction, 'the CLI system instruction reached the upstream');
  assert.ok(body.tools[0].functionDeclarations.some((d) => d.parametersJsonSchema), 'parametersJsonSchema passed through');
});

test('gemini -p without -m: the router call gets JSON and the turn succeeds', async () => {
  await fake.script([
    { match: { path: ':generateContent' }, times: -1, body: textChunk('{"complexity_reasoning":"simple","complexity_score":10,"reasoning":"simple","model_choice":"flash"}') },
    { match: { path: ':streamGenerateContent' }, times: -1, chunks: [textChunk('Auto-routed answer.')] },
  ]);
  const r = await runCli(['-p', 'say hello']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Auto-routed answer\./);
});

test('gemini -p: a tool loop (read_file) through the proxy', async () => {
  const call = (path) => ({ candidates: [{ content: { role: 'model', parts: [
    { functionCall: { name: 'read_file', args: { file_path: path } }, thoughtSignature: 'skip_thought_signature_validator' }] },
  finishReason: 'STOP', index: 0 }], modelVersion: 'gemini-2.5-flash' });
  // The workspace path is only known once the CLI runs, so the tool call names a relative path.
  await fake.script([
    { match: { path: ':streamGenerateContent' }, chunks: [call('notes.txt')] },
    { match: { path: ':streamGenerateContent' }, chunks: [textChunk('The notes say: remember the milk.')] },
  ]);
  const r = await runCli(['-m', 'gemini-2.5-flash', '-p', 'what do my notes say?'], { files: { 'notes.txt': 'remember the milk' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /remember the milk/);
  const reqs = (await fake.requests()).filter((q) => q.path.includes(':streamGenerateContent'));
  assert.ok(reqs.length >= 2, 'the CLI sent the tool result back');
  const last = JSON.parse(reqs.at(-1).body);
  const response = last.contents.flatMap((c) => c.parts).find((p) => p.functionResponse);
  assert.equal(response.functionResponse.name, 'read_file');
  assert.match(JSON.stringify(response.functionResponse.response), /remember the milk/);
});
