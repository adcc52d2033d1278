// history.test.mjs: REST chat history and its cursor pagination.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, sendAcked, api, allHistory, freshUser, unknownId,
} from './lib/server.mjs';

let server;
let stream;
let reader;
let sent = [];  // acks, in created_at order
const owner = { sub: 'owner', username: 'owner' };

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  stream = await createStream(server, owner, { title: 'history' });
  reader = server.token(freshUser('reader'));
  const senders = await Promise.all([0, 1, 2].map(() => joinChat(server, stream.id, server.token(freshUser('s')))));
  const acks = [];
  await Promise.all(senders.map(async (s, k) => {
    for (let i = k; i < 250; i += 3) acks.push({ i, ack: await sendAcked(s, `msg ${String(i).padStart(3, '0')}`, {}, 10000) });
  }));
  acks.sort((a, b) => (a.ack.data.created_at < b.ack.data.created_at ? -1 : 1));
  sent = acks;
  for (const s of senders) await s.close();
});

const path = (q = '') => `/api/v1/streams/${stream.id}/chat/history${q}`;

test('walking next_cursor over 250 messages yields each exactly once, oldest first', async () => {
  const pages = [];
  let before;
  for (let i = 0; i < 20; i++) {
    const res = await api(server, 'GET', path(before ? `?before=${before}` : ''), { token: reader });
    assert.equal(res.status, 200, res.text);
    pages.push(res.json);
    const ms = res.json.messages;
    for (let j = 1; j < ms.length; j++) {
      assert.ok(ms[j].created_at > ms[j - 1].created_at, `page ${i} is oldest first`);
    }
    if (!res.json.has_more) break;
    assert.equal(res.json.next_cursor, ms[0].id, 'next_cursor is the oldest id in the batch');
    before = res.json.next_cursor;
  }
  assert.deepEqual(pages.map((p) => p.messages.length), [50, 50, 50, 50, 50], 'five full pages, no empty extra page');
  assert.equal(pages.at(-1).has_more, false, 'has_more is false at the beginning');
  for (const p of pages.slice(0, -1)) assert.equal(p.has_more, true);
  const all = [];
  for (let i = pages.length - 1; i >= 0; i--) all.push(...pages[i].messages);
  assert.equal(new Set(all.map((m) => m.id)).size, 250, 'no duplicates');
  assert.deepEqual(all.map((m) => m.id), sent.map((s) => s.ack.data.id), 'every message, oldest first overall');
  for (let j = 1; j < all.length; j++) assert.ok(all[j].created_at > all[j - 1].created_at);
  // The newest page ends with the newest message.
  assert.equal(pages[0].messages.at(-1).id, sent.at(-1).ack.data.id);
});

test('REST history has the same Message shape as the WebSocket', async () => {
  const c = await joinChat(server, stream.id, reader);
  const res = await api(server, 'GET', path('?limit=50'), { token: reader });
  assert.deepEqual(res.json.messages, c.history.data, 'REST page == WebSocket history (latest 50, oldest first)');
  await c.close();
});

test('limit: default 50, above 100 clamps to 100, odd sizes walk correctly', async () => {
  const def = await api(server, 'GET', path(), { token: reader });
  assert.equal(def.json.messages.length, 50);
  const big = await api(server, 'GET', path('?limit=150'), { token: reader });
  assert.equal(big.status, 200, big.text);
  assert.equal(big.json.messages.length, 100, 'limit=150 clamps to 100');
  assert.equal(big.json.has_more, true);
  const one = await api(server, 'GET', path('?limit=1'), { token: reader });
  assert.deepEqual(one.json.messages.map((m) => m.id), [sent.at(-1).ack.data.id]);
  const { messages, pages } = await allHistory(server, stream.id, reader, { limit: 100 });
  assert.deepEqual(pages.map((p) => p.messages.length), [100, 100, 50]);
  assert.deepEqual(messages.map((m) => m.id), sent.map((s) => s.ack.data.id));
  const seven = await allHistory(server, stream.id, reader, { limit: 7 });
  assert.equal(seven.pages.length, 36);
  assert.deepEqual(seven.messages.map((m) => m.id), sent.map((s) => s.ack.data.id));
});

for (const bad of ['0', '-1', 'abc', '', '1.5', '10abc']) {
  test(`limit=${JSON.stringify(bad)} → 400 invalid_limit`, async () => {
    const res = await api(server, 'GET', path(`?limit=${encodeURIComponent(bad)}`), { token: reader });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json?.code, 'invalid_limit');
    assert.equal(typeof res.json.error, 'string');
  });
}

test('an unknown cursor → 400 invalid_cursor', async () => {
  for (const cursor of [unknownId(), 'not-a-cursor']) {
    const res = await api(server, 'GET', path(`?before=${cursor}`), { token: reader });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json?.code, 'invalid_cursor');
  }
  // A message id of another stream is not a cursor here.
  const other = await createStream(server, owner, { title: 'other' });
  const c = await joinChat(server, other.id, server.token(freshUser('o')));
  const foreign = await sendAcked(c, 'elsewhere');
  const res = await api(server, 'GET', path(`?before=${foreign.data.id}`), { token: reader });
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json?.code, 'invalid_cursor');
  await c.close();
});

test('before= the oldest message: empty, has_more false', async () => {
  const res = await api(server, 'GET', path(`?before=${sent[0].ack.data.id}`), { token: reader });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.messages, []);
  assert.equal(res.json.has_more, false);
});

test('an empty stream: no messages, has_more false; an unknown stream: 404', async () => {
  const empty = await createStream(server, owner, { title: 'empty' });
  const res = await api(server, 'GET', `/api/v1/streams/${empty.id}/chat/history`, { token: reader });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.messages, []);
  assert.equal(res.json.has_more, false);
  const missing = await api(server, 'GET', `/api/v1/streams/${unknownId()}/chat/history`, { token: reader });
  assert.equal(missing.status, 404, missing.text);
  assert.equal(missing.json?.code, 'stream_not_found');
});
