// seed_example.test.mjs: the JavaScript example of seed 004, run against sorakd.
//
// The seed's code below is verbatim except for three things: the token, the
// stream id and the URL (ws://127.0.0.1:PORT instead of wss://api.ainative.studio).
// The `ws` package stands in for the browser's WebSocket, and the four UI
// functions the example calls record their calls.
// With SORAK_TEST_BEHIND_NGINX=1 (ctest integration-pg.seed_example.nginx) the example talks to
// two nodes behind nginx configured as docs/deployment.md says (lib/cluster.mjs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as WsWebSocket } from 'ws';
import { createStream, joinChat, sendAcked, freshUser, waitFor } from './lib/server.mjs';
import { startTarget, viewersSettled } from './lib/cluster.mjs';

globalThis.WebSocket = WsWebSocket;

const server = await startTarget();
const PORT = server.port;
const demo = await createStream(server, { sub: 'idol', username: 'idol', display_name: 'Idol' }, { title: 'seed example' });
// Two messages already in the chat before the example connects.
const earlier = await joinChat(server, demo.id, server.token(freshUser('early')));
const pre1 = await sendAcked(earlier, 'first!');
const pre2 = await sendAcked(earlier, 'hello from before');
await viewersSettled(server, demo.id, 1);

// The UI functions the example expects the page to define.
const calls = { renderHistory: [], appendMessage: [], updateViewerCount: [], removeMessage: [] };
function renderHistory(messages) { calls.renderHistory.push(messages); }
function appendMessage(message) { calls.appendMessage.push(message); }
function updateViewerCount(count) { calls.updateViewerCount.push(count); }
function removeMessage(id) { calls.removeMessage.push(id); }
// The example's 30 s keep-alive timer must not keep the test process alive.
const timers = [];
const setInterval = (fn, ms) => { const h = globalThis.setInterval(fn, ms); h.unref(); timers.push(h); return h; };
const console = { log: (...a) => calls.log = a };  // the example logs 'Connected to chat'

// ---- seed 004, JavaScript example ---------------------------------------
const token = server.token({ sub: 'fan-1', username: 'fan', display_name: 'A Fan' });
const streamId = demo.id;
const ws = new WebSocket(
  `ws://127.0.0.1:${PORT}/api/v1/streams/${streamId}/chat/ws?token=${token}`
);

ws.addEventListener('open', () => {
  console.log('Connected to chat');
  // Keep connection alive
  setInterval(() => ws.send(JSON.stringify({ type: 'ping' })), 30_000);
});

ws.addEventListener('message', (event) => {
  const msg = JSON.parse(event.data);

  if (msg.type === 'history') {
    // Initial message history
    renderHistory(msg.data);
  } else if (msg.type === 'message') {
    // New message
    appendMessage(msg.data);
  } else if (msg.type === 'viewer_count') {
    updateViewerCount(msg.data.count);
  } else if (msg.type === 'message_deleted') {
    removeMessage(msg.data.message_id);
  }
});

// Send a message
function sendMessage(text) {
  ws.send(JSON.stringify({ type: 'message', content: text }));
}
// ---- end of the seed's code ----------------------------------------------

after(async () => {
  for (const h of timers) clearInterval(h);
  ws.close();
  await earlier.close();
});

test('the seed example renders history, the viewer count, and its own message', async () => {
  await waitFor(() => calls.renderHistory.length > 0, { timeoutMs: 5000, what: 'renderHistory' });
  assert.deepEqual(calls.log, ['Connected to chat']);
  assert.equal(calls.renderHistory.length, 1, 'history is rendered once');
  const rendered = calls.renderHistory[0];
  assert.deepEqual(rendered.map((m) => m.id), [pre1.data.id, pre2.data.id]);
  assert.deepEqual(rendered.map((m) => m.content), ['first!', 'hello from before']);
  for (const m of rendered) {
    assert.equal(m.stream_id, demo.id);
    assert.equal(typeof m.user.username, 'string');
    assert.equal(typeof m.user.display_name, 'string');
    assert.equal(m.message_type, 'message');
    assert.equal(typeof m.created_at, 'string');
  }
  await waitFor(() => calls.updateViewerCount.length > 0, { what: 'updateViewerCount' });
  assert.equal(calls.updateViewerCount[0], 2, 'the example and the earlier sender are watching');

  sendMessage('Great stream!');
  await waitFor(() => calls.appendMessage.length > 0, { what: 'appendMessage' });
  const m = calls.appendMessage[0];
  assert.equal(m.content, 'Great stream!');
  assert.equal(m.user.id, 'fan-1');
  assert.equal(m.user.username, 'fan');
  assert.equal(m.user.display_name, 'A Fan');
  assert.equal(m.stream_id, demo.id);
  // Everyone else saw it too.
  const atEarlier = await earlier.next((e) => e.type === 'message' && e.data.content === 'Great stream!');
  assert.deepEqual(atEarlier.data, m);
  assert.equal(calls.removeMessage.length, 0);
});
