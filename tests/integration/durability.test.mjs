// durability.test.mjs: whatever any client saw survives kill -9, and resends never double.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, openWs, allHistory, freshUser, sleep, waitFor,
} from './lib/server.mjs';

let server;
let stream;
const owner = { sub: 'owner', username: 'owner' };
const SENDERS = 5;
const PER_SENDER = 100;  // 500 in all
const senderUsers = Array.from({ length: SENDERS }, (_, k) => freshUser(`burst${k}`));
const content = (k, i) => `burst ${k}-${i}`;
const clientId = (k, i) => `dur-${k}-${i}`;
const seen = new Map();   // message id → content, from message events and acks
let phase1 = null;

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  stream = await createStream(server, owner, { title: 'durability' });
});

test('kill -9 mid-burst: every message any client saw is in the history, once', async () => {
  const viewer = await joinChat(server, stream.id, server.token(freshUser('viewer')));
  const senders = await Promise.all(senderUsers.map((u) => joinChat(server, stream.id, server.token(u))));
  // Each sender keeps up to 4 messages in flight.
  const attempted = senders.map(() => 0);
  const pumps = senders.map(async (s, k) => {
    for (let i = 0; i < PER_SENDER; i++) {
      if (!s.isOpen()) return;
      s.send({ type: 'message', content: content(k, i), client_id: clientId(k, i) });
      attempted[k] = i + 1;
      while (s.isOpen() && i + 1 - (s.counts.ack || 0) >= 4) await sleep(1);
    }
  });
  // Kill once about half the burst has been acknowledged.
  const acked = () => senders.reduce((a, s) => a + (s.counts.ack || 0), 0);
  await waitFor(() => acked() >= 250, { timeoutMs: 30000, intervalMs: 1, what: '250 acks' });
  await server.kill9();
  await Promise.all(pumps);
  await Promise.all([viewer, ...senders].map((c) => c.closed));
  const ackedBeforeKill = acked();
  assert.ok(ackedBeforeKill < SENDERS * PER_SENDER, `the kill landed mid-burst (${ackedBeforeKill} acked)`);

  for (const e of viewer.ofType('message')) seen.set(e.data.id, e.data.content);
  for (const [k, s] of senders.entries()) {
    for (const a of s.ofType('ack')) {
      const i = Number(a.client_id.split('-')[2]);
      assert.equal(a.client_id, clientId(k, i));
      if (seen.has(a.data.id)) assert.equal(seen.get(a.data.id), content(k, i), 'ack and broadcast agree');
      seen.set(a.data.id, content(k, i));
    }
  }
  assert.ok(seen.size >= 250);

  await server.restart();
  const { messages } = await allHistory(server, stream.id, server.token(owner));
  const ids = messages.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicate ids');
  assert.equal(new Set(messages.map((m) => m.content)).size, messages.length, 'no message stored twice');
  const byId = new Map(messages.map((m) => [m.id, m]));
  const lost = [...seen.keys()].filter((id) => !byId.has(id));
  assert.deepEqual(lost, [], `messages seen by a client but lost by the server (${lost.length} of ${seen.size})`);
  for (const [id, text] of seen) assert.equal(byId.get(id).content, text);
  for (let j = 1; j < messages.length; j++) assert.ok(messages[j].created_at > messages[j - 1].created_at);
  phase1 = { attempted, messages };
});

test('after the restart, resending everything with the same client_ids stores each message once', async (t) => {
  if (!phase1) return t.skip('the kill -9 phase failed');
  const before = new Map(phase1.messages.map((m) => [m.content, m]));
  const senders = await Promise.all(senderUsers.map((u) => joinChat(server, stream.id, server.token(u))));
  const acks = await Promise.all(senders.map(async (s, k) => {
    const out = [];
    for (let i = 0; i < PER_SENDER; i++) {
      s.send({ type: 'message', content: content(k, i), client_id: clientId(k, i) });
      out.push(await s.next((e) => e.type === 'ack' && e.client_id === clientId(k, i), 10000));
    }
    return out;
  }));
  // A message stored before the crash is acked with its old id.
  for (const [k, list] of acks.entries()) {
    for (const [i, a] of list.entries()) {
      const old = before.get(content(k, i));
      if (old) assert.equal(a.data.id, old.id, `${clientId(k, i)} was stored before the crash: same id`);
    }
  }
  const { messages } = await allHistory(server, stream.id, server.token(owner));
  assert.equal(messages.length, SENDERS * PER_SENDER, 'exactly 500 messages');
  assert.equal(new Set(messages.map((m) => m.content)).size, SENDERS * PER_SENDER, 'each once');
  for (const id of seen.keys()) assert.ok(messages.some((m) => m.id === id));
  for (const s of senders) await s.close();
});

test('a client that reconnects right after kill -9 gets history including what it was acked', async () => {
  const u = freshUser('last');
  const c = await joinChat(server, stream.id, server.token(u));
  c.send({ type: 'message', content: 'the very last words', client_id: 'last-1' });
  const ack = await c.next('ack');
  await server.kill9();
  await c.closed;
  await server.restart();
  const again = await openWs(server, stream.id, server.token(u));
  const h = await again.next('history');
  assert.equal(h.data.at(-1).id, ack.data.id);
  assert.equal(h.data.at(-1).content, 'the very last words');
  await again.close();
});

test('SIGTERM mid-burst: exit 0, clients get 1001, every acked message is stored', async () => {
  const s = await createStream(server, owner, { title: 'graceful' });
  const senders = await Promise.all([0, 1, 2].map(() => joinChat(server, s.id, server.token(freshUser('term')))));
  const viewer = await joinChat(server, s.id, server.token(freshUser('term-viewer')));
  const pumps = senders.map(async (c, k) => {
    for (let i = 0; i < 200 && c.isOpen(); i++) {
      c.send({ type: 'message', content: `term ${k}-${i}`, client_id: `term-${k}-${i}` });
      while (c.isOpen() && i + 1 - (c.counts.ack || 0) >= 4) await sleep(1);
    }
  });
  await waitFor(() => senders.reduce((a, c) => a + (c.counts.ack || 0), 0) >= 100, { timeoutMs: 20000, what: '100 acks' });
  const exit = await server.stop();
  await Promise.all(pumps);
  assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM exits 0');
  for (const c of [viewer, ...senders]) assert.equal((await c.closed).code, 1001, 'closed with 1001 (going away)');
  const acked = new Map();
  for (const c of senders) for (const a of c.ofType('ack')) acked.set(a.data.id, a);
  for (const e of viewer.ofType('message')) acked.set(e.data.id, e);
  await server.restart();
  const { messages } = await allHistory(server, s.id, server.token(owner));
  const stored = new Set(messages.map((m) => m.id));
  const lost = [...acked.keys()].filter((id) => !stored.has(id));
  assert.deepEqual(lost, [], `acked or broadcast messages lost by a graceful stop: ${lost.length} of ${acked.size}`);
  assert.equal(stored.size, messages.length, 'no duplicates');
});
