// Idle keep-alive connections hold no request thread: they are parked after a second of silence
// and come back to a thread when their client speaks again. With max_threads at its floor (16),
// 48 keep-alive clients that stay connected must neither lock out a new client nor lose their
// own connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startProxy } from './lib/harness.mjs';

let proxy;
let port;
before(async () => {
  proxy = await startProxy({
    config: 'default_backend: mock\nmax_threads: 16\nbackends:\n  mock:\n    type: mock\n',
  });
  port = Number(new URL(proxy.url).port);
});
after(async () => { await proxy?.close(); });

const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'ping' }] }] });
const request = `POST /v1beta/models/mock-1:generateContent HTTP/1.1\r\nHost: x\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

// A raw keep-alive connection that sends one request at a time and reads one whole answer.
function connect() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = '';
    let waiting = null;
    let closed = false;
    const settle = () => {
      if (!waiting) return;
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(buffered.slice(0, end).match(/\r\ncontent-length: (\d+)/i)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      const answer = buffered.slice(0, end + 4 + length);
      buffered = buffered.slice(end + 4 + length);
      const w = waiting;
      waiting = null;
      w.resolve(answer);
    };
    socket.setEncoding('utf8');
    socket.on('data', (d) => { buffered += d; settle(); });
    socket.on('close', () => { closed = true; waiting?.reject(new Error('connection closed')); });
    socket.on('error', (e) => { waiting?.reject(e); });
    socket.on('connect', () => resolve({
      ask: (timeoutMs = 8000) => new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error('no answer')), timeoutMs);
        waiting = {
          resolve: (a) => { clearTimeout(timer); res(a); },
          reject: (e) => { clearTimeout(timer); rej(e); },
        };
        socket.write(request);
      }),
      isClosed: () => closed,
      close: () => socket.destroy(),
    }));
    socket.on('error', reject);
  });
}

test('48 idle keep-alive clients neither lock out a new one nor lose their connections', async () => {
  const clients = [];
  try {
    for (let i = 0; i < 48; i++) {
      clients.push(await connect());
    }
    // Every client gets its first answer, although only 16 threads serve them all.
    const first = await Promise.all(clients.map((c) => c.ask(15000)));
    for (const answer of first) {
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.match(answer, /mock: ping/);
    }
    await new Promise((r) => setTimeout(r, 1500));  // all of them idle: parked

    // A newcomer is served while 48 connections stay open (without parking all 16 threads
    // would wait for their idle clients for 60 s).
    const newcomer = await connect();
    assert.match(await newcomer.ask(), /^HTTP\/1\.1 200 /);
    newcomer.close();

    // And every parked connection still works, on the same socket.
    const second = await Promise.all(clients.map((c) => c.ask(15000)));
    for (const answer of second) {
      assert.match(answer, /^HTTP\/1\.1 200 /);
    }
    assert.equal(clients.filter((c) => c.isClosed()).length, 0);
  } finally {
    clients.forEach((c) => c.close());
  }
});

test('client_timeout_seconds closes an idle keep-alive connection and a head that only trickles in', async () => {
  const strict = await startProxy({
    config: 'default_backend: mock\nclient_timeout_seconds: 1\nbackends:\n  mock:\n    type: mock\n',
  });
  const strictPort = Number(new URL(strict.url).port);
  const closedWithin = (socket, ms) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on('close', () => { clearTimeout(timer); resolve(true); });
  });
  try {
    // Idle after one answer: parked, then closed at its deadline.
    const idle = net.connect(strictPort, '127.0.0.1');
    idle.on('error', () => {});
    let answer = '';
    idle.on('data', (d) => { answer += d; });
    idle.write(request);
    const idleClosed = closedWithin(idle, 6000);
    assert.equal(await idleClosed, true, 'the idle connection was not closed');
    assert.match(answer, /^HTTP\/1\.1 200 /);

    // A head sent one byte every 200 ms would take 8 s; the whole head gets 1 s.
    const slow = net.connect(strictPort, '127.0.0.1');
    slow.on('error', () => {});
    const head = 'POST /v1beta/models/mock-1:generateContent HTTP/1.1\r\nHost: x\r\n';
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < 40 && !slow.destroyed) slow.write(head[sent++ % head.length]);
    }, 200);
    const slowClosed = await closedWithin(slow, 6000);
    clearInterval(trickle);
    assert.equal(slowClosed, true, 'a trickling head kept its connection');
    assert.ok(sent < 40, `the connection closed only after the whole trickle (${sent} bytes)`);
  } finally {
    await strict.close();
  }
});
