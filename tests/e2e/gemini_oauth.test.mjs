// The debug-gated gemini-oauth backends through the running proxy: the 403 gate with and without
// each --enable-<type>-backend-debugging-override flag; plan and free with a Gemini CLI
// credentials file the test rewrites mid-run and tokens refreshed before expiry (token endpoint
// and a stand-in Gemini CLI); `llm-proxy accounts ...` end to end, with this test acting as the
// browser in the OAuth callback flow; the account pool's strategies, rotation on 429,
// invalid_grant, and a crash during an account write. Fakes: fake-google-oauth (tests/fakes/
// google_oauth) and fake-code-assist (tests/fakes/code_assist).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, renameSync, readFileSync, statSync, readdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { startProxy, buildDir, proxyBinary, pluginDir } from './lib/harness.mjs';

const CLIENT_ID = 'fake-oauth-client.apps.googleusercontent.com';
const CLIENT_SECRET = 'fake-oauth-client-secret';
const TYPES = ['gemini-oauth-plan', 'gemini-oauth-free', 'gemini-oauth-auto'];
const dir = mkdtempSync(join(tmpdir(), 'llmp-oauth-e2e-'));
// A build with -DLLMP_WITH_GEMINI_OAUTH=OFF has neither the plugin nor its fake.
const skip = !existsSync(join(pluginDir, 'libllmp_gemini_oauth.so')) || !existsSync(join(buildDir, 'fake-google-oauth'))
  ? 'built without LLMP_WITH_GEMINI_OAUTH' : false;
let fakeCa, caUrl, fakeOauth, oauthUrl;

function spawnFake(bin, args) {
  const child = spawn(join(buildDir, bin), ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = out.match(/PORT=(\d+)/); if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` }); });
    child.on('exit', (c) => reject(new Error(`${bin} exited ${c}`)));
  });
}

async function control(base, path, body) {
  const r = await fetch(base + '/__fake/' + path, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const t = await r.text();
  return t ? JSON.parse(t) : null;
}
const caRequests = () => control(caUrl, 'requests');
async function lastBearer() {
  const reqs = await caRequests();
  const gen = reqs.filter((q) => /:(stream)?[gG]enerateContent$/.test(q.path)).at(-1);
  const auth = Object.entries(gen.headers).find(([k]) => k.toLowerCase() === 'authorization')
    ?? gen.headers.find?.(([k]) => k.toLowerCase() === 'authorization');
  return String(Array.isArray(auth) ? auth[1] : auth).replace(/^Bearer /, '');
}
async function emailOf(token) {
  const s = await control(oauthUrl, 'state');
  return s.accessTokens[token];
}

function writeCreds(path, access, expiryMs, refresh = '1//creds-refresh') {
  writeFileSync(path + '.tmp', JSON.stringify({ access_token: access, refresh_token: refresh, token_type: 'Bearer', expiry_date: expiryMs }, null, 2));
  renameSync(path + '.tmp', path);  // as the Gemini CLI replaces it
}

function backendsYaml({ creds, accountsDir, strategy = 'session-affinity', client = false, cli }) {
  const common = `    code_assist_endpoint: ${caUrl}
    token_uri: ${oauthUrl}/token
    auth_uri: ${oauthUrl}/o/oauth2/v2/auth
    userinfo_uri: ${oauthUrl}/oauth2/v2/userinfo
    onboard_poll_interval_ms: 1
`;
  const clientYaml = `    client_id: ${CLIENT_ID}\n    client_secret: ${CLIENT_SECRET}\n`;
  return `default_backend: plan
backends:
  plan:
    type: gemini-oauth-plan
    oauth_creds_path: ${creds}
${common}${client ? clientYaml : ''}${cli ? `    gemini_cli_executable: ${cli}\n` : ''}  free:
    type: gemini-oauth-free
    oauth_creds_path: ${creds}
${common}${cli ? `    gemini_cli_executable: ${cli}\n` : ''}  pool:
    type: gemini-oauth-auto
${common}${clientYaml}    extra:
      accounts_dir: ${accountsDir}
      selection_strategy: ${strategy}
`;
}

// Runs `llm-proxy --config F accounts ...`; onStdout sees the output as it arrives.
function accounts(configPath, args, { env = {}, onStdout } = {}) {
  return new Promise((resolve) => {
    const child = spawn(proxyBinary, ['--config', configPath, '--plugin-dir', pluginDir, 'accounts', ...args],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; onStdout?.(out); });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

// Plays the browser: opens the printed authorization URL, follows the fake's redirect to the
// proxy's loopback callback (optionally with a forged state) and returns that page.
async function actAsBrowser(out, { forgeState = false } = {}) {
  const url = out.match(/(http:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?\S+)/)[1];
  const auth = await fetch(url, { redirect: 'manual' });
  assert.equal(auth.status, 302);
  let location = auth.headers.get('location');
  assert.match(location, /^http:\/\/127\.0\.0\.1:\d+\/oauth2callback\?code=/);
  if (forgeState) location = location.replace(/state=[^&]+/, 'state=forged');
  const page = await fetch(location);
  return { status: page.status, text: await page.text() };
}

async function addAccount(configPath, extraArgs = []) {
  let browser;
  const run = accounts(configPath, ['add', '--no-browser', ...extraArgs], {
    onStdout: (out) => { if (!browser && /oauth2\/v2\/auth\?/.test(out)) browser = actAsBrowser(out); },
  });
  const result = await run;
  return { ...result, page: browser ? await browser : null };
}

const ask = (url, model, headers = {}) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello oauth' }] }),
});

before(async () => {
  if (skip) return;
  ({ child: fakeCa, url: caUrl } = await spawnFake('fake-code-assist', ['--accept-any-token', '--onboard-polls', '1']));
  ({ child: fakeOauth, url: oauthUrl } = await spawnFake('fake-google-oauth', []));
});
after(() => { fakeCa?.kill('SIGTERM'); fakeOauth?.kill('SIGTERM'); });

test('the gate: every type answers 403 naming its flag unless that flag was given', { skip }, async () => {
  const creds = join(dir, 'gate_creds.json');
  writeCreds(creds, 'ya29.gate', Date.now() + 3600e3);
  const accountsDir = join(dir, 'gate-accounts');
  const cfg = join(dir, 'gate.yaml');
  writeFileSync(cfg, backendsYaml({ creds, accountsDir }));
  // One usable account so that an enabled pool answers.
  const { mkdirSync } = await import('node:fs');
  mkdirSync(accountsDir, { recursive: true });
  writeFileSync(join(accountsDir, 'solo.json'), JSON.stringify({ id: 'solo', email: 'solo@example.com', project_id: 'p-solo',
    status: 'active', access_token: 'at-solo', refresh_token: 'rt-solo', expiry_date: Date.now() + 3600e3, updated_at: 1 }), { mode: 0o600 });
  const names = { 'gemini-oauth-plan': 'plan', 'gemini-oauth-free': 'free', 'gemini-oauth-auto': 'pool' };
  for (const enabled of [null, ...TYPES]) {
    const proxy = await startProxy({ config: readFileSync(cfg, 'utf8'), args: enabled ? [`--enable-${enabled}-backend-debugging-override`] : [] });
    try {
      for (const type of TYPES) {
        const r = await ask(proxy.url, `${names[type]}:gemini-2.5-flash`);
        const body = await r.json();
        if (type === enabled) {
          assert.equal(r.status, 200, `${type} enabled: ${JSON.stringify(body)}`);
          assert.match(body.choices[0].message.content, /echo: hello oauth/);
        } else {
          assert.equal(r.status, 403, `${type} with ${enabled ?? 'no flag'}`);
          assert.match(body.error.message, new RegExp(`--enable-${type}-backend-debugging-override`));
        }
      }
      // The Gemini shape too, through the official SDK.
      const ai = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: proxy.url, apiVersion: 'v1beta' } });
      if (enabled !== 'gemini-oauth-plan') {
        await assert.rejects(ai.models.generateContent({ model: 'plan:gemini-2.5-flash', contents: 'hi' }),
          (e) => e.status === 403 && /--enable-gemini-oauth-plan-backend-debugging-override/.test(e.message));
      }
    } finally {
      await proxy.close();
    }
  }
});

test('plan and free: a credentials file rewritten mid-run is used at once, no restart', { skip }, async () => {
  const creds = join(dir, 'live_creds.json');
  writeCreds(creds, 'ya29.e2e-one', Date.now() + 3600e3);
  const proxy = await startProxy({
    config: backendsYaml({ creds, accountsDir: join(dir, 'none') }),
    args: ['--enable-gemini-oauth-plan-backend-debugging-override', '--enable-gemini-oauth-free-backend-debugging-override'],
  });
  try {
    const ai = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: proxy.url, apiVersion: 'v1beta' } });
    const r = await ai.models.generateContent({ model: 'plan:gemini-2.5-flash', contents: 'first' });
    assert.match(r.text, /echo: first/);
    assert.equal(await lastBearer(), 'ya29.e2e-one');

    writeCreds(creds, 'ya29.e2e-two', Date.now() + 3600e3);
    let used = '';
    for (let i = 0; i < 100 && used !== 'ya29.e2e-two'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      const s = await ai.models.generateContentStream({ model: 'free:gemini-2.5-flash', contents: 'second' });
      let text = '';
      for await (const c of s) text += c.text ?? '';
      assert.match(text, /echo/);
      used = await lastBearer();
    }
    assert.equal(used, 'ya29.e2e-two');
    const health = await (await fetch(proxy.url + '/healthz')).text();
    assert.doesNotMatch(health, /ya29\.|creds-refresh/);
    assert.match(health, /"tier"/);
    assert.doesNotMatch(proxy.logs(), /ya29\.e2e|creds-refresh/);
  } finally {
    await proxy.close();
  }
});

test('refresh before expiry: at the token endpoint with a client, else through the Gemini CLI', { skip }, async () => {
  // With a client: the file's token expires within the margin, the proxy refreshes it itself.
  const creds = join(dir, 'expiring_creds.json');
  await control(oauthUrl, 'refresh-token', { refresh_token: '1//creds-refresh', email: 'plan-user@example.com' });
  writeCreds(creds, 'ya29.expiring', Date.now() + 60e3);
  let proxy = await startProxy({
    config: backendsYaml({ creds, accountsDir: join(dir, 'none'), client: true }),
    args: ['--enable-gemini-oauth-plan-backend-debugging-override'],
  });
  try {
    const r = await ask(proxy.url, 'plan:gemini-2.5-flash');
    assert.equal(r.status, 200, await r.text());
    assert.equal(await emailOf(await lastBearer()), 'plan-user@example.com');
  } finally {
    await proxy.close();
  }

  // Without a client: a stand-in `gemini` rewrites the file; the request waits for it.
  const cliCreds = join(dir, 'cli_creds.json');
  writeCreds(cliCreds, 'ya29.expired', Date.now() - 1000);
  const script = join(dir, 'fake-gemini.sh');
  writeFileSync(script, `#!/bin/sh
cat > '${cliCreds}.new' <<EOF
{"access_token":"ya29.cli-refreshed","refresh_token":"1//r","expiry_date":${Date.now() + 3600e3}}
EOF
mv '${cliCreds}.new' '${cliCreds}'
echo OK
`);
  chmodSync(script, 0o755);
  proxy = await startProxy({
    config: backendsYaml({ creds: cliCreds, accountsDir: join(dir, 'none'), cli: script }),
    args: ['--enable-gemini-oauth-free-backend-debugging-override'],
  });
  try {
    const r = await ask(proxy.url, 'free:gemini-2.5-flash');
    assert.equal(r.status, 200, await r.text());
    assert.equal(await lastBearer(), 'ya29.cli-refreshed');
  } finally {
    await proxy.close();
  }
});

test('accounts: add (browser callback), list, update, set-project-id, remove, bad input, crash-safe writes', { skip }, async () => {
  const accountsDir = join(dir, 'accounts');
  const cfg = join(dir, 'accounts.yaml');
  writeFileSync(cfg, backendsYaml({ creds: join(dir, 'unused.json'), accountsDir }));

  await control(oauthUrl, 'next-user', { email: 'ann@example.com' });
  const added = await addAccount(cfg);
  assert.equal(added.code, 0, added.err);
  assert.equal(added.page.status, 200);
  assert.match(added.page.text, /ann@example\.com/);
  assert.match(added.out, /Added account ann-example\.com/);
  assert.equal(statSync(join(accountsDir, 'ann-example.com.json')).mode & 0o777, 0o600);

  await control(oauthUrl, 'next-user', { email: 'bob@example.com' });
  const bob = await addAccount(cfg, ['--skip-validation']);
  assert.equal(bob.code, 0, bob.err);

  // A forged state is refused and nothing is stored.
  await control(oauthUrl, 'next-user', { email: 'mallory@example.com' });
  let forged;
  const bad = await accounts(cfg, ['add', '--no-browser'], {
    onStdout: (out) => { if (!forged && /oauth2\/v2\/auth\?/.test(out)) forged = actAsBrowser(out, { forgeState: true }); },
  });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /state mismatch/);
  assert.equal((await forged).status, 400);

  let list = await accounts(cfg, ['list', '--json']);
  assert.equal(list.code, 0, list.err);
  let parsed = JSON.parse(list.out);
  assert.deepEqual(parsed.map((a) => a.email), ['ann@example.com', 'bob@example.com']);
  assert.equal(parsed[0].project_id, 'fake-managed-project');  // validated through loadCodeAssist
  assert.equal(parsed[1].project_id, '');                      // --skip-validation
  const state = await control(oauthUrl, 'state');
  const text = await accounts(cfg, ['list']);
  for (const token of Object.keys(state.accessTokens)) {
    assert.ok(!list.out.includes(token) && !text.out.includes(token), 'tokens are never printed in full');
  }

  const setp = await accounts(cfg, ['set-project-id', 'bob-example.com', '--project-id', 'proj-bob']);
  assert.equal(setp.code, 0, setp.err);
  const unknown = await accounts(cfg, ['remove', 'nobody']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no account "nobody".*ann-example\.com/);
  const usage = await accounts(cfg, ['set-project-id', 'bob-example.com']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--project-id/);
  const number = await accounts(cfg, ['set-project-id', 'bob-example.com', '--project-id', '123456']);
  assert.equal(number.code, 2);

  // update signs the same account in again (after invalid_grant).
  await control(oauthUrl, 'next-user', { email: 'bob@example.com' });
  let upd;
  const updated = await accounts(cfg, ['update', 'bob-example.com', '--no-browser', '--skip-validation'], {
    onStdout: (out) => { if (!upd && /oauth2\/v2\/auth\?/.test(out)) upd = actAsBrowser(out); },
  });
  assert.equal(updated.code, 0, updated.err);
  assert.match(updated.out, /Updated account bob-example\.com/);
  await upd;

  // A crash between the temporary write and the rename leaves the previous file intact.
  const before = readFileSync(join(accountsDir, 'bob-example.com.json'), 'utf8');
  const crashed = await accounts(cfg, ['set-project-id', 'bob-example.com', '--project-id', 'proj-lost'],
    { env: { LLMP_GEMINI_OAUTH_TEST_CRASH_BEFORE_RENAME: '1' } });
  assert.equal(crashed.code, 70);
  assert.equal(readFileSync(join(accountsDir, 'bob-example.com.json'), 'utf8'), before);
  assert.ok(readdirSync(accountsDir).some((f) => f.startsWith('.bob-example.com.json.tmp')), 'the half-written temporary file is left behind');
  list = await accounts(cfg, ['list', '--json']);
  parsed = JSON.parse(list.out);
  assert.equal(parsed.length, 2);
  assert.equal(parsed[1].project_id, 'proj-bob');

  const removed = await accounts(cfg, ['remove', 'bob-example.com']);
  assert.equal(removed.code, 0, removed.err);
  await control(oauthUrl, 'next-user', { email: 'bob@example.com' });
  assert.equal((await addAccount(cfg, ['--skip-validation', '--project-id', 'proj-bob'])).code, 0);
});

test('the pool through the proxy: strategies, rotation on 429, invalid_grant, health', { skip }, async () => {
  const accountsDir = join(dir, 'accounts');  // ann and bob from the previous test
  const run = async (strategy, fn) => {
    const proxy = await startProxy({
      config: backendsYaml({ creds: join(dir, 'unused.json'), accountsDir, strategy }),
      args: ['--enable-gemini-oauth-auto-backend-debugging-override'],
      env: { DISABLE_GEMINI_OAUTH_FALLBACK: 'true' },
    });
    try { await fn(proxy); } finally { await proxy.close(); }
  };
  const whoAnswers = async (proxy, headers = {}) => {
    const r = await ask(proxy.url, 'pool:gemini-2.5-flash', headers);
    assert.equal(r.status, 200, await r.text());
    return emailOf(await lastBearer());
  };

  await run('round-robin', async (proxy) => {
    const seen = new Set([await whoAnswers(proxy), await whoAnswers(proxy)]);
    assert.deepEqual([...seen].sort(), ['ann@example.com', 'bob@example.com']);
  });
  await run('first-available', async (proxy) => {
    assert.equal(await whoAnswers(proxy), 'ann@example.com');
    assert.equal(await whoAnswers(proxy), 'ann@example.com');
    // 429: ann rests for the retry delay and the same request is answered by bob at once.
    await control(caUrl, 'fail', { method: 'generateContent', status: 429, retryDelay: '45s', reason: 'RATE_LIMIT_EXCEEDED', times: 1 });
    assert.equal(await whoAnswers(proxy), 'bob@example.com');
    assert.equal(await whoAnswers(proxy), 'bob@example.com');
    const health = await (await fetch(proxy.url + '/healthz')).json();
    const pool = health.backends.find((b) => b.name === 'pool').health;
    assert.equal(pool.accounts.resting, 1);
    assert.equal(pool.accounts.valid, 1);
    assert.doesNotMatch(JSON.stringify(health), /fake-at-|fake-rt-/);
  });
  await run('random', async (proxy) => {
    for (let i = 0; i < 4; i++) assert.match(await whoAnswers(proxy), /^(ann|bob)@example\.com$/);
  });
  await run('session-affinity', async (proxy) => {
    const s1 = await whoAnswers(proxy, { 'x-session-id': 'conv-1' });
    const s2 = await whoAnswers(proxy, { 'x-session-id': 'conv-2' });
    assert.notEqual(s1, s2);
    for (let i = 0; i < 3; i++) {
      assert.equal(await whoAnswers(proxy, { 'x-session-id': 'conv-1' }), s1);
      assert.equal(await whoAnswers(proxy, { 'x-session-id': 'conv-2' }), s2);
    }
    // invalid_grant: ann's refresh token is revoked and her access token expires.
    await control(oauthUrl, 'revoke', { email: 'ann@example.com' });
    const file = join(accountsDir, 'ann-example.com.json');
    const acc = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file + '.tmp', JSON.stringify({ ...acc, expiry_date: Date.now() - 1000, updated_at: Date.now() }));
    renameSync(file + '.tmp', file);
    for (let i = 0; i < 3; i++) assert.equal(await whoAnswers(proxy, { 'x-session-id': `after-${i}` }), 'bob@example.com');
    const health = await (await fetch(proxy.url + '/healthz')).json();
    assert.equal(health.backends.find((b) => b.name === 'pool').health.accounts.needsReauth, 1);
  });
  const cfg = join(dir, 'accounts.yaml');
  const list = JSON.parse((await accounts(cfg, ['list', '--json'])).out);
  assert.equal(list.find((a) => a.id === 'ann-example.com').status, 'needs-reauth');
});
