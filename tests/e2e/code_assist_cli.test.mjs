// The fake Code Assist server (tests/fakes/code_assist) is faithful enough for the real Gemini
// CLI in Code Assist mode to complete a turn against it (the CLI is the reference client).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDir } from './lib/harness.mjs';

const cli = join(dirname(fileURLToPath(import.meta.url)), 'node_modules', '@google', 'gemini-cli', 'bundle', 'gemini.js');
let fake;
let port;

before(async () => {
  fake = spawn(join(buildDir, 'fake-code-assist'), ['--port', '0', '--accept-any-token', '--tier', 'standard'], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise((resolve, reject) => {
    let out = '';
    fake.stdout.on('data', (d) => { out += d; const m = out.match(/PORT=(\d+)/); if (m) resolve(m[1]); });
    fake.on('exit', (c) => reject(new Error(`fake-code-assist exited ${c}`)));
  });
});
after(() => fake?.kill('SIGTERM'));

test('gemini CLI in Code Assist mode completes a turn against the fake', async () => {
  const home = mkdtempSync(join(tmpdir(), 'llmp-gca-home-'));
  mkdirSync(join(home, '.gemini'));
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify({
    general: { maxAttempts: 1, enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false },
  }));
  const workspace = realpathSync(mkdtempSync(join(tmpdir(), 'llmp-gca-ws-')));
  const r = await new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, '-m', 'gemini-2.5-flash', '-p', 'hello code assist'], {
      cwd: workspace,
      env: { PATH: process.env.PATH, HOME: home, GOOGLE_GENAI_USE_GCA: 'true', GOOGLE_CLOUD_ACCESS_TOKEN: 'fake-token',
        GOOGLE_CLOUD_PROJECT: 'proj-1', CODE_ASSIST_ENDPOINT: `http://127.0.0.1:${port}`, GEMINI_CLI_NO_RELAUNCH: 'true',
        GEMINI_CLI_TRUST_WORKSPACE: 'true', NO_BROWSER: 'true', TERM: 'dumb' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /echo: .*hello code assist/s, r.stdout + r.stderr);
  const reqs = await (await fetch(`http://127.0.0.1:${port}/__fake/requests`)).json();
  const paths = reqs.map((q) => q.path);
  assert.ok(paths.some((p) => p.endsWith(':loadCodeAssist')), paths.join(','));
  assert.ok(paths.some((p) => p.endsWith(':streamGenerateContent')), paths.join(','));
});
