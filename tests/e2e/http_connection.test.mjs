// HTTP/1.1 connection behaviour of the host's own connection loop: keep-alive reuse, pipelining,
// 100-continue, malformed requests and idle clients, seen from raw sockets and node's http agent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startProxy } from './lib/harness.mjs';

let proxy;
let port;
before(async () => {
  proxy = await startProxy();
  port = Number(new URL(proxy.url).port);
});
after(async () => { await proxy?.close(); });

const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'ping' }] }] });

// Writes raw bytes on a fresh connection and collects everything until the server closes it.
function exchange(chunks, { gapMs = 0, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no close; got: ${received}`)); }, timeoutMs);
    socket.on('data', (d) => { received += d; });
    socket.on('error', reject);
    socket.on('close', () => { clearTimeout(timer); resolve(received); });
    socket.on('connect', async () => {
      for (const c of chunks) {
        socket.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

function post(agent, path, payload) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text, reused: req.reusedSocket, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

test('sequential requests reuse one keep-alive connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await post(agent, '/v1beta/models/mock-1:generateContent', body);
    const second = await post(agent, '/v1beta/models/mock-1:generateContent', body);
    const third = await post(agent, '/v1/chat/completions',
      JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'pong' }] }));
    assert.equal(first.status, 200);
    assert.match(first.text, /mock: ping/);
    assert.equal(first.reused, false);
    assert.equal(second.status, 200);
    assert.equal(second.reused, true, 'the second request must travel on the first connection');
    assert.equal(third.status, 200);
    assert.equal(third.reused, true);
    assert.match(JSON.parse(third.text).choices[0].message.content, /mock: pong/);
    assert.match(first.headers.date, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  } finally {
    agent.destroy();
  }
});

test('pipelined requests are answered in order on one connection', async () => {
  const req = (text, close) => {
    const b = JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }] });
    return `POST /v1beta/models/mock-1:generateContent HTTP/1.1\r\nHost: x\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n` +
      (close ? 'Connection: close\r\n' : '') + `\r\n${b}`;
  };
  const out = await exchange([req('alpha', false) + req('beta', false) + req('gamma', true)]);
  const statuses = out.match(/HTTP\/1\.1 \d+/g);
  assert.deepEqual(statuses, ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200']);
  const order = ['alpha', 'beta', 'gamma'].map((w) => out.indexOf(`mock: ${w}`));
  assert.ok(order.every((i) => i > 0), out);
  assert.ok(order[0] < order[1] && order[1] < order[2], 'answers keep the request order');
});

test('Expect: 100-continue gets 100 before the body is sent, then the answer', async () => {
  const head = `POST /v1beta/models/mock-1:generateContent HTTP/1.1\r\nHost: x\r\n` +
    `Expect: 100-continue\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  const out = await exchange([head, body], { gapMs: 200 });
  assert.match(out, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
  assert.match(out, /mock: ping/);
});

test('a malformed request line gets 400 and the connection is closed', async () => {
  const out = await exchange(['THIS IS NOT HTTP\r\n\r\n']);
  assert.match(out, /^HTTP\/1\.1 400/);
});

test('a client that closes between requests does not disturb the next one', async () => {
  const half = 'POST /v1beta/models/mock-1:generateContent HTTP/1.1\r\nHost: x\r\nContent-Len';
  await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.end(half); });
    s.resume();  // drain the 400 so that 'close' can fire
    s.on('close', resolve);
    s.on('error', resolve);
  });
  const agent = new http.Agent({ keepAlive: false });
  const r = await post(agent, '/v1beta/models/mock-1:generateContent', body);
  assert.equal(r.status, 200);
});

test('a chunked request body is read whole, and the next request on the connection still works', async () => {
  const chunks = [body.slice(0, 10), body.slice(10, 25), body.slice(25)];
  const chunked = chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
  const head = `POST /v1beta/models/mock-1:generateContent HTTP/1.1\r\nHost: x\r\n` +
    `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
  const second = `POST /v1beta/models/mock-1:generateContent HTTP/1.1\r\nHost: x\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`;
  // The chunks arrive in separate packets, and the second request right behind the first body.
  const out = await exchange([head, chunked.slice(0, 7), chunked.slice(7) + second], { gapMs: 50 });
  assert.deepEqual(out.match(/HTTP\/1\.1 \d+/g), ['HTTP/1.1 200', 'HTTP/1.1 200'], out);
  assert.equal(out.split('mock: ping').length - 1, 2, out);
});

test('Content-Length together with Transfer-Encoding is refused with 400 and a close', async () => {
  const out = await exchange([`POST /v1beta/models/mock-1:generateContent HTTP/1.1\r\nHost: x\r\n` +
    `Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`]);
  assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(out, /\r\nConnection: close\r\n/i);
  assert.match(out, /both Transfer-Encoding and Content-Length/);
});

test('a request head over 64 KiB gets 431', async () => {
  const out = await exchange([`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`]);
  assert.match(out, /^HTTP\/1\.1 431 /);
});

test('an HTTP/1.0 request gets an HTTP/1.0 answer with its length, then the close', async () => {
  const out = await exchange([`POST /v1beta/models/mock-1:generateContent HTTP/1.0\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`]);
  assert.match(out, /^HTTP\/1\.0 200 OK\r\n/);
  const [head, payload] = out.split('\r\n\r\n');
  assert.equal(Number(head.match(/\r\ncontent-length: (\d+)/i)[1]), Buffer.byteLength(payload));
  assert.match(payload, /mock: ping/);
});

test('a body over max_body_bytes gets 413 in the API\'s own error shape, unread, and the connection closes', async () => {
  const small = await startProxy({ config: 'default_backend: mock\nmax_body_bytes: 1024\nbackends:\n  mock:\n    type: mock\n' });
  try {
    const big = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'x'.repeat(4096) }] });
    const res = await fetch(`${small.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('connection'), 'close');
    const err = await res.json();
    assert.match(err.error.message, /larger than 1024 bytes/);
    assert.equal(typeof err.error.type, 'string', 'OpenAI error shape');
  } finally {
    await small.close();
  }
});

test('a stream to an HTTP/1.0 client is sent unframed and ends with the close', async () => {
  const out = await exchange([`POST /v1beta/models/mock-1:streamGenerateContent?alt=sse HTTP/1.0\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`]);
  const [head, ...rest] = out.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.0 200 OK\r\n/);
  assert.doesNotMatch(head, /transfer-encoding/i, 'HTTP/1.0 has no chunked framing');
  assert.match(head, /\r\nconnection: close/i);
  const payload = rest.join('\r\n\r\n');
  assert.match(payload, /^data: \{/, 'the first event starts right after the head, with no chunk size line');
  const texts = [...payload.matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]);
  assert.equal(texts.join(''), 'mock: ping');
  assert.match(payload, /"finishReason":"STOP"/, 'the stream is complete before the close');
});

test('broken chunked framing in a request body gets 400 in the API\'s error shape and a close', async () => {
  const out = await exchange([`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n` +
    `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`]);
  assert.match(out, /^HTTP\/1\.1 400 /);
  assert.match(out, /\r\nConnection: close\r\n/i);
  const json = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4));
  assert.match(json.error.message, /chunked framing/);
  assert.equal(typeof json.error.type, 'string', 'OpenAI error shape');
});

test('requests with bare LF line ends are understood', async () => {
  const out = await exchange([`POST /v1beta/models/mock-1:generateContent HTTP/1.1\nHost: x\n` +
    `Content-Type: application/json\nContent-Length: ${Buffer.byteLength(body)}\nConnection: close\n\n${body}`]);
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(out, /mock: ping/);
});
