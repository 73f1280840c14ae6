// Starts the real llm-proxy binary (and fake upstreams) for end-to-end tests with official SDKs.
// Everything binds 127.0.0.1 on a free port; nothing leaves the machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const buildDir = resolve(process.env.LLMP_BUILD_DIR ?? join(here, '..', '..', '..', 'build'));
export const proxyBinary = join(buildDir, 'llm-proxy');
export const pluginDir = join(buildDir, 'plugins');

// Spawns a process and resolves once a stdout line matches `ready`; returns the match.
function spawnUntil(cmd, args, { env = {}, ready, timeoutMs = 20000, cwd } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not become ready in ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ child, match: m, output: () => ({ out, err }) });
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code} before it was ready\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}

// Starts llm-proxy with the given YAML config text (port forced to 0) and extra CLI args.
export async function startProxy({ config, args = [], env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'llmp-e2e-'));
  const cfgPath = join(dir, 'config.yaml');
  writeFileSync(cfgPath, config ?? 'default_backend: mock\nbackends:\n  mock:\n    type: mock\n');
  const { child, match, output } = await spawnUntil(
    proxyBinary,
    ['--config', cfgPath, '--port', '0', '--plugin-dir', pluginDir, ...args],
    { env, ready: /listening on (http:\/\/[^ \s]+)/ });
  const url = match[1];
  return { url, child, dir, logs: () => output().err, close: () => stop(child) };
}

// Starts the fake Gemini upstream (tests/fakes) and offers its control endpoints.
export async function startFakeGemini(args = []) {
  const bin = join(buildDir, 'fake-gemini-upstream');
  const { child, match } = await spawnUntil(bin, ['--port', '0', ...args], { ready: /PORT=(\d+)/ });
  const url = `http://127.0.0.1:${match[1]}`;
  const control = async (path, body) => {
    const res = await fetch(url + '/__fake/' + path, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  };
  return {
    url,
    script: (step) => control('script', step),
    requests: () => control('requests'),
    reset: () => control('reset', {}),
    close: () => stop(child),
  };
}
