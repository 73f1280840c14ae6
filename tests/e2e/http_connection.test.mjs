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
