// A client that stops reading in the middle of a large stream. Streamed bodies are relayed by
// the proxy's I/O thread, which must never wait for one client: when the client's socket is
// full, the stream goes back to its request's fiber, which waits for room while its event loop
// serves the others, and every byte still arrives in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startProxy, startFakeGemini } from './lib/harness.mjs';

let fake;
let proxy;

before(async () => {
  fake = await startFakeGemini();
  proxy = await startProxy({
    config: `default_backend: gemini
log_level: debug
event_loops: 1
backends:
  gemini:
    type: gemini
    base_url: ${fake.url}
    api_key: upstream-key
`,
  });
});
after(async () => { await proxy?.close(); await fake?.close(); });

const CHUNKS = 400;
const TEXT = 48 * 1024; // 400 x 48 KiB: more than the loopback socket buffers hold

// Reads an SSE response, pausing `pauseMs` after the first bytes; returns the events' texts.
function readStream(path, pauseMs, onFirstData) {
  return new Promise((resolve, reject) => {
    const req = http.request(proxy.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'client-key' },
    }, (res) => {
      let buffered = '';
      const texts = [];
      let paused = false;
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buffered += d;
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0 || (end = buffered.indexOf('\r\n\r\n')) >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + (buffered.startsWith('\r\n\r\n', end) ? 4 : 2));
          const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
          if (data) texts.push(JSON.parse(data).candidates[0].content.parts[0].text);
        }
        if (!paused) {
          paused = true;
          res.pause();
          onFirstData?.();
          setTimeout(() => res.resume(), pauseMs);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode, texts }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'go' }] }] }));
  });
}

test('a client that pauses mid-stream gets every event, in order, and other streams keep flowing', async () => {
  const chunks = [];
  for (let i = 0; i < CHUNKS; i++) {
    const text = `<${i}>` + String.fromCharCode(97 + (i % 26)).repeat(TEXT);
    chunks.push({ candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, ...(i === CHUNKS - 1 ? { finishReason: 'STOP' } : {}) }] });
  }
  await fake.script({ chunks });
  // A second, small stream runs while the first client is paused, on the same event loop
  // (event_loops: 1): neither the relay nor the loop may be stuck.
  let small;
  const slow = readStream('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 1500, () => {
    small = (async () => {
      await fake.script({ chunks: [{ candidates: [{ content: { role: 'model', parts: [{ text: 'quick' }] }, index: 0, finishReason: 'STOP' }] }] });
      const started = Date.now();
      const got = await readStream('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 0);
      return { ...got, ms: Date.now() - started };
    })();
  });
  const big = await slow;
  assert.equal(big.status, 200);
  assert.equal(big.texts.length, CHUNKS);
  big.texts.forEach((t, i) => {
    assert.ok(t.startsWith(`<${i}>`), `event ${i} out of order`);
    assert.equal(t.length, `<${i}>`.length + TEXT, `event ${i} truncated`);
  });
  const quick = await small;
  assert.deepEqual(quick.texts, ['quick']);
  assert.ok(quick.ms < 1500, `the second stream waited for the paused one (${quick.ms} ms)`);
  assert.match(proxy.logs(), /goes on on its request thread/, 'the paused client made the stream go back to its fiber');
});
