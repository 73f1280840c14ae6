#!/usr/bin/env node
// A scripted stand-in for `gemini --acp`: speaks ACP (ndjson JSON-RPC 2.0) on stdio.
// The last text block of a prompt selects the behaviour:
//   "crash"          exit(3) in the middle of the turn (after one chunk)
//   "read tool"      ask permission for a read-kind tool, answer with the outcome
//   "write tool"     ask permission for an edit-kind tool, answer with the outcome
//   "slow"           stream a chunk every 100 ms until session/cancel arrives
//   "think"          one thought chunk, then text
//   "error 429"      answer the prompt with JSON-RPC error code 429
//   anything else    echo: "session=<id> turn=<n> replay=<yes|no> text=<text>"
// Environment:
//   FAKE_ACP_LOG            append every received message (and the argv at start) as JSON lines
//   FAKE_ACP_REJECT_ACP=1   exit 1 on --acp like an old CLI ("Unknown argument")
//   FAKE_ACP_NOISE=1        print a non-JSON line on stdout before anything else
//   FAKE_ACP_IGNORE_CANCEL=1  never answer a cancelled prompt
'use strict';
const fs = require('fs');
const readline = require('readline');

const logPath = process.env.FAKE_ACP_LOG;
function record(entry) {
  if (logPath) fs.appendFileSync(logPath, JSON.stringify(entry) + '\n');
}
record({ started: process.argv.slice(2), cwd: process.cwd() });

if (process.env.FAKE_ACP_REJECT_ACP === '1' && process.argv.includes('--acp')) {
  process.stderr.write('Unknown argument: acp\n');
  process.exit(1);
}
if (process.env.FAKE_ACP_NOISE === '1') {
  process.stdout.write('this is not json\n');
}

function send(message) {
  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...message }) + '\n');
}
function update(sessionId, upd) {
  send({ method: 'session/update', params: { sessionId, update: upd } });
}

let nextSession = 1;
let nextRequest = 1000;
const sessions = new Map();     // id -> {turns}
const waiting = new Map();      // our request id -> resolve
const cancelled = new Set();    // session ids with a pending cancel

function request(method, params) {
  const id = nextRequest++;
  send({ id, method, params });
  return new Promise((resolve) => waiting.set(id, resolve));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function permissionTurn(id, sessionId, kind, title) {
  const toolCallId = `${kind}_tool-${Date.now()}-1`;
  const answer = await request('session/request_permission', {
    sessionId,
    toolCall: { toolCallId, status: 'pending', title, kind, content: [], locations: [] },
    options: [
      { optionId: 'proceed_always', name: 'Allow for this session', kind: 'allow_always' },
      { optionId: 'proceed_once', name: 'Allow', kind: 'allow_once' },
      { optionId: 'cancel', name: 'Reject', kind: 'reject_once' },
    ],
  });
  const outcome = answer.result && answer.result.outcome;
  const chosen = outcome && outcome.outcome === 'selected' ? outcome.optionId : 'cancelled';
  update(sessionId, { sessionUpdate: 'tool_call_update', toolCallId,
    status: chosen === 'cancel' || chosen === 'cancelled' ? 'failed' : 'completed' });
  update(sessionId, { sessionUpdate: 'agent_message_chunk',
    content: { type: 'text', text: `permission: ${chosen}` } });
  send({ id, result: { stopReason: 'end_turn' } });
}

async function prompt(id, params) {
  const sessionId = params.sessionId;
  const session = sessions.get(sessionId);
  if (!session) {
    send({ id, error: { code: -32602, message: `Session not found: ${sessionId}` } });
    return;
  }
  session.turns += 1;
  const blocks = params.prompt || [];
  const texts = blocks.filter((b) => b.type === 'text').map((b) => b.text);
  const last = texts.length ? texts[texts.length - 1] : '';
  const replay = texts.some((t) => t.includes('<conversation_history>')) ? 'yes' : 'no';

  if (last === 'crash') {
    update(sessionId, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'about to crash' } });
    process.stderr.write('fake agent: crashing on purpose\n');
    setTimeout(() => process.exit(3), 20);
    return;
  }
  if (last === 'read tool') return permissionTurn(id, sessionId, 'read', 'Read a.txt');
  if (last === 'write tool') return permissionTurn(id, sessionId, 'edit', 'Write b.txt');
  if (last === 'error 429') {
    send({ id, error: { code: 429, message: 'Rate limit exceeded. Try again later.' } });
    return;
  }
  if (last === 'slow') {
    for (let i = 0; i < 300; i++) {
      if (cancelled.has(sessionId)) {
        cancelled.delete(sessionId);
        if (process.env.FAKE_ACP_IGNORE_CANCEL === '1') return;
        send({ id, result: { stopReason: 'cancelled' } });
        return;
      }
      update(sessionId, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: `tick ${i} ` } });
      await sleep(100);
    }
    send({ id, result: { stopReason: 'end_turn' } });
    return;
  }
  if (last === 'think') {
    update(sessionId, { sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: '**Plan**\nthinking' } });
  }
  update(sessionId, { sessionUpdate: 'tool_call', toolCallId: 'glob-1', title: 'Find files', kind: 'search', status: 'in_progress' });
  update(sessionId, { sessionUpdate: 'tool_call_update', toolCallId: 'glob-1', status: 'completed' });
  const answer = `session=${sessionId} turn=${session.turns} replay=${replay} text=${last}`;
  update(sessionId, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: answer.slice(0, 10) } });
  update(sessionId, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: answer.slice(10) } });
  send({ id, result: { stopReason: 'end_turn',
    _meta: { quota: { token_count: { input_tokens: 12, output_tokens: 7 } } } } });
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let msg;
  try { msg = JSON.parse(line); } catch (e) {
    send({ id: null, error: { code: -32700, message: 'Parse error' } });
    return;
  }
  record(msg);
  if (msg.method === undefined) {          // a response to one of our requests
    const resolve = waiting.get(msg.id);
    if (resolve) { waiting.delete(msg.id); resolve(msg); }
    return;
  }
  switch (msg.method) {
    case 'initialize':
      send({ id: msg.id, result: { protocolVersion: 1,
        agentInfo: { name: 'fake-gemini', version: '0.0.1' },
        authMethods: [],
        agentCapabilities: { loadSession: false,
          promptCapabilities: { image: true, audio: false, embeddedContext: true } } } });
      break;
    case 'session/new': {
      const sessionId = `sess-${process.pid}-${nextSession++}`;
      sessions.set(sessionId, { turns: 0, cwd: msg.params.cwd });
      send({ id: msg.id, result: { sessionId,
        models: { availableModels: [{ modelId: 'fake-pro', name: 'Fake Pro' },
                                    { modelId: 'fake-flash', name: 'Fake Flash' }],
                  currentModelId: 'fake-pro' } } });
      update(sessionId, { sessionUpdate: 'available_commands_update', availableCommands: [] });
      break;
    }
    case 'session/prompt':
      prompt(msg.id, msg.params);
      break;
    case 'session/cancel':
      cancelled.add(msg.params.sessionId);
      break;
    default:
      if (msg.id !== undefined) send({ id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } });
  }
});
rl.on('close', () => process.exit(0));
