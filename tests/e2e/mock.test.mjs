// The offline default: every official SDK against llm-proxy's mock backend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import Anthropic0 from 'anthropic-sdk-0';
import { GoogleGenAI } from '@google/genai';
import { startProxy } from './lib/harness.mjs';

let proxy;
before(async () => { proxy = await startProxy(); });
after(async () => { await proxy?.close(); });

const weather = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

test('healthz answers 200 and unknown paths 404 JSON', async () => {
  const h = await fetch(proxy.url + '/healthz');
  assert.equal(h.status, 200);
  assert.equal((await h.json()).status, 'ok');
  const r = await fetch(proxy.url + '/no/such/path');
  assert.equal(r.status, 404);
  assert.match(r.headers.get('content-type'), /json/);
  assert.ok((await r.json()).error.message);
});

test('openai: text, stream, tools, models', async () => {
  const client = new OpenAI({ apiKey: 'unused', baseURL: proxy.url + '/v1', maxRetries: 0 });
  const r = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'hello there' }] });
  assert.equal(r.choices[0].message.content, 'mock: hello there');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.usage.total_tokens > 0);

  const stream = client.chat.completions.stream({
    model: 'mock:mock-1', messages: [{ role: 'user', content: 'one two three four' }],
    stream_options: { include_usage: true },
  });
  const deltas = [];
  stream.on('content', (d) => deltas.push(d));
  const final = await stream.finalChatCompletion();
  assert.ok(deltas.length >= 2, 'several content deltas');
  assert.equal(final.choices[0].message.content, 'mock: one two three four');
  assert.ok(final.usage && final.usage.completion_tokens > 0, 'usage in the stream');

  const t = await client.chat.completions.create({
    model: 'mock-1', messages: [{ role: 'user', content: 'weather? [[tool]]' }],
    tools: [{ type: 'function', function: weather }],
  });
  assert.equal(t.choices[0].finish_reason, 'tool_calls');
  const call = t.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  const back = await client.chat.completions.create({
    model: 'mock-1',
    messages: [{ role: 'user', content: 'weather? [[tool]]' }, t.choices[0].message,
      { role: 'tool', tool_call_id: call.id, content: '{"temp":18}' }],
    tools: [{ type: 'function', function: weather }],
  });
  assert.match(back.choices[0].message.content, /get_weather returned .*18/);

  const models = await client.models.list();
  assert.ok(models.data.some((m) => m.id === 'mock:mock-1'));
});

test('openai: errors keep their status and shape', async () => {
  const client = new OpenAI({ apiKey: 'unused', baseURL: proxy.url + '/v1', maxRetries: 0 });
  await assert.rejects(
    client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'x [[error:429]]' }] }),
    (e) => e.status === 429);
  await assert.rejects(
    client.chat.completions.create({ model: 'nosuch:model', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 404 && /mock/.test(e.message));
  const bad = await fetch(proxy.url + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
  assert.equal(bad.status, 400);
  assert.ok((await bad.json()).error.message);
});

for (const [label, Sdk] of [['anthropic 1.x', Anthropic], ['anthropic 0.x', Anthropic0]]) {
  test(`${label}: text, stream, tools, count`, async () => {
    const client = new Sdk({ apiKey: 'unused', baseURL: proxy.url, maxRetries: 0 });
    const m = await client.messages.create({ model: 'mock-1', max_tokens: 100, messages: [{ role: 'user', content: 'hi anthropic' }] });
    assert.equal(m.content[0].text, 'mock: hi anthropic');
    assert.equal(m.stop_reason, 'end_turn');

    const stream = client.messages.stream({ model: 'mock-1', max_tokens: 100, messages: [{ role: 'user', content: 'a b c d e' }] });
    const final = await stream.finalMessage();
    assert.equal(final.content[0].text, 'mock: a b c d e');
    assert.ok(final.usage.output_tokens > 0);

    const t = await client.messages.create({
      model: 'mock-1', max_tokens: 100, messages: [{ role: 'user', content: 'go [[tool]]' }],
      tools: [{ name: weather.name, description: weather.description, input_schema: weather.parameters }],
    });
    assert.equal(t.stop_reason, 'tool_use');
    const use = t.content.find((b) => b.type === 'tool_use');
    assert.equal(use.name, 'get_weather');
    const back = await client.messages.create({
      model: 'mock-1', max_tokens: 100,
      messages: [{ role: 'user', content: 'go [[tool]]' }, { role: 'assistant', content: t.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] }],
      tools: [{ name: weather.name, description: weather.description, input_schema: weather.parameters }],
    });
    assert.match(back.content[0].text, /get_weather returned .*sunny/);

    const count = await client.messages.countTokens({ model: 'mock-1', messages: [{ role: 'user', content: 'three words here' }] });
    assert.ok(count.input_tokens >= 3);
  });
}

test('genai: text, stream, count, models, v1 and v1beta', async () => {
  for (const apiVersion of ['v1beta', 'v1']) {
    const ai = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: proxy.url, apiVersion } });
    const r = await ai.models.generateContent({ model: 'mock-1', contents: 'hello gemini' });
    assert.equal(r.text, 'mock: hello gemini');
    const chunks = [];
    for await (const c of await ai.models.generateContentStream({ model: 'mock-1', contents: 'x y z w' })) {
      chunks.push(c.text ?? '');
    }
    assert.ok(chunks.length >= 2);
    assert.equal(chunks.join(''), 'mock: x y z w');
  }
  const ai = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: proxy.url, apiVersion: 'v1beta' } });
  const count = await ai.models.countTokens({ model: 'mock-1', contents: 'four words right here' });
  assert.equal(count.totalTokens, 4);
  const pager = await ai.models.list();
  const names = [];
  for await (const m of pager) names.push(m.name);
  assert.ok(names.includes('models/mock-1'), names.join(','));
  await assert.rejects(ai.models.generateContent({ model: 'mock-1', contents: 'x [[error:503]]' }), (e) => e.status === 503);
});

test('SIGTERM lets an in-flight stream finish, then the proxy exits 0', async () => {
  const slow = await startProxy({ config: 'default_backend: mock\nbackends:\n  mock:\n    type: mock\n    chunk_delay_ms: 150\n' });
  const res = await fetch(slow.url + '/v1beta/models/mock-1:streamGenerateContent?alt=sse', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'one two three four five six' }] }] }),
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const first = await reader.read();
  assert.ok(!first.done);
  const exited = new Promise((r) => slow.child.once('exit', (code) => r(code)));
  slow.child.kill('SIGTERM');
  let text = new TextDecoder().decode(first.value);
  for (let c = await reader.read(); !c.done; c = await reader.read()) text += new TextDecoder().decode(c.value);
  const joined = [...text.matchAll(/^data: (\{.*\})$/gm)].map((m) => JSON.parse(m[1]).candidates[0].content.parts[0].text).join('');
  assert.equal(joined, 'mock: one two three four five six');
  assert.equal(await exited, 0);
  // New connections are refused once it stopped.
  await assert.rejects(fetch(slow.url + '/healthz'));
});
