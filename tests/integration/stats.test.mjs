// stats.test.mjs: GET /api/v1/streams/{id}/stats (CONTRACT §10) and the
// Showroom `stats` (§9) on a fixed data set, every figure checked against the
// same figure computed here from the stream's full history.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createStream, joinChat, sendAcked, api, allHistory, freshUser } from './lib/server.mjs';

let server;
let stream;
let apiKey;
const users = [
  { sub: 'ami', username: 'ami', display_name: 'Ami', level: 3 },
  { sub: 'budi', username: 'budi', display_name: 'Budi', level: 9, premium: true },
  { sub: 'citra', username: 'citra', display_name: 'Citra', level: 1 },
];
// [user index, kind, payload]: chat text, or [gift_id, quantity].
const script = [
  [0, 'chat', 'hello'], [1, 'chat', 'hi all'], [1, 'gift', ['star', 3]], [2, 'chat', 'first time here'],
  [0, 'gift', ['heart', 2]], [0, 'chat', 'so fun'], [2, 'gift', ['clap', 10]], [1, 'gift', ['crown', 1]],
  [1, 'chat', 'again'], [0, 'gift', ['star', 1]], [2, 'chat', 'bye'], [0, 'chat', 'encore!'],
];

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  apiKey = (await api(server, 'POST', '/api/v1/admin/api-keys', { headers: server.admin, body: { name: 'stats' } })).json.key;
  stream = await createStream(server, { sub: 'host', username: 'host' }, { title: 'stats fixture' });
  const clients = await Promise.all(users.map((u) => joinChat(server, stream.id, server.token(u))));
  let n = 0;
  for (const [who, kind, payload] of script) {
    if (kind === 'chat') {
      await sendAcked(clients[who], payload);
    } else {
      const client_id = `gift-${++n}`;
      clients[who].send({ type: 'gift', gift_id: payload[0], quantity: payload[1], client_id });
      const ack = await clients[who].next((e) => e.type === 'ack' && e.client_id === client_id);
      assert.ok(ack.data.id);
    }
  }
  // A moderation notice is a message too, but not chat: it must not count.
  const mod = await api(server, 'POST', `/api/v1/streams/${stream.id}/timeouts`, {
    headers: server.admin, body: { user_id: 'citra', duration_seconds: 60, reason: 'test' } });
  assert.equal(mod.status, 201, mod.text);
  await Promise.all(clients.map((c) => c.close()));
  const ended = await api(server, 'PATCH', `/api/v1/streams/${stream.id}`, { headers: server.admin, body: { status: 'ended' } });
  assert.equal(ended.status, 200);
  stream = ended.json;
});

// Every figure, computed from the full history.
function expected(messages) {
  const counted = messages.filter((m) => m.message_type === 'message' || m.message_type === 'gift');
  const gifts = counted.filter((m) => m.message_type === 'gift');
  const byGift = new Map();
  for (const m of gifts) {
    const g = byGift.get(m.gift.gift_id) || { gift_id: m.gift.gift_id, gift_name: m.gift.gift_name, count: 0, messages: 0, total_stars: 0 };
    g.count += m.gift.quantity;
    g.messages += 1;
    g.total_stars += m.stars;
    byGift.set(g.gift_id, g);
  }
  const giftTable = [...byGift.values()].sort((a, b) => b.total_stars - a.total_stars || (a.gift_id < b.gift_id ? -1 : 1));
  const perUser = new Map();
  for (const m of counted) {
    const u = perUser.get(m.user.id) || { id: m.user.id, messages: 0, stars: 0, gifts: 0 };
    u.messages += 1;
    u.stars += m.stars;
    if (m.message_type === 'gift') u.gifts += 1;
    perUser.set(m.user.id, u);
  }
  const minutes = (Date.parse(stream.ended_at) - Date.parse(stream.started_at)) / 60000;
  const perMinute = new Map();
  for (const m of counted) {
    const t = Math.floor(Date.parse(m.created_at) / 60000) * 60000;
    const e = perMinute.get(t) || { messages: 0, stars: 0, gifts: 0 };
    e.messages += 1;
    e.stars += m.stars;
    if (m.message_type === 'gift') e.gifts += 1;
    perMinute.set(t, e);
  }
  return {
    total_messages: counted.length,
    chat_messages: counted.length - gifts.length,
    unique_users: perUser.size,
    total_stars: counted.reduce((s, m) => s + m.stars, 0),
    gift_count: gifts.length,
    top_gifts: giftTable.slice(0, 3).map((g) => g.gift_id),
    messages_per_minute: Math.round((counted.length / Math.max(1, minutes)) * 10) / 10,
    gifts: giftTable,
    top_chatters: [...perUser.values()].sort((a, b) => b.messages - a.messages || (a.id < b.id ? -1 : 1)).map((u) => [u.id, u.messages]),
    top_gifters: [...perUser.values()].filter((u) => u.stars > 0 || u.gifts > 0)
      .sort((a, b) => b.stars - a.stars || (a.id < b.id ? -1 : 1)).map((u) => [u.id, u.stars, u.gifts]),
    perMinute,
  };
}

test('every figure of /stats equals the one computed from the history', async () => {
  const token = server.token(freshUser('reader'));
  const { messages } = await allHistory(server, stream.id, token);
  assert.ok(messages.some((m) => m.message_type === 'moderation'), 'the fixture holds a moderation notice');
  const want = expected(messages);
  assert.equal(want.total_messages, script.length);
  const res = await api(server, 'GET', `/api/v1/streams/${stream.id}/stats`, { token });
  assert.equal(res.status, 200, res.text);
  const got = res.json;
  for (const k of ['total_messages', 'chat_messages', 'unique_users', 'total_stars', 'gift_count', 'messages_per_minute']) {
    assert.equal(got[k], want[k], k);
  }
  assert.deepEqual(got.top_gifts, want.top_gifts);
  assert.deepEqual(got.gifts, want.gifts);
  assert.deepEqual(got.top_chatters.map((e) => [e.user.id, e.messages]), want.top_chatters);
  assert.deepEqual(got.top_gifters.map((e) => [e.user.id, e.stars, e.gifts]), want.top_gifters);
  assert.equal(got.top_chatters[0].user.display_name, 'Ami');
  assert.equal(got.status, 'ended');
  assert.equal(got.stream_id, stream.id);
  assert.equal(got.room_id, stream.room_id);
  assert.ok(got.peak_viewers >= 3, `peak_viewers ${got.peak_viewers}`);
  // The timeline: one entry per minute from start to end, messages per minute as counted here.
  const first = Math.floor(Date.parse(stream.started_at) / 60000) * 60000;
  const last = Math.floor(Date.parse(stream.ended_at) / 60000) * 60000;
  assert.equal(got.timeline.length, (last - first) / 60000 + 1);
  for (const [i, entry] of got.timeline.entries()) {
    const t = first + i * 60000;
    assert.equal(Date.parse(entry.minute), t);
    const w = want.perMinute.get(t) || { messages: 0, stars: 0, gifts: 0 };
    assert.deepEqual([entry.messages, entry.stars, entry.gifts], [w.messages, w.stars, w.gifts], entry.minute);
  }
  assert.equal(got.timeline.reduce((s, e) => s + e.messages, 0), want.total_messages);
  assert.ok(got.timeline.some((e) => e.viewers >= 3), 'the viewers were sampled');

  // The Showroom stats agree, and both survive a restart (rebuilt from the store).
  const feed = await api(server, 'GET', `/api/jkt48/chat-stream-sr?room_id=${stream.room_id}&apikey=${apiKey}`);
  const showroom = feed.json.stats;
  assert.deepEqual(showroom, {
    total_messages: want.total_messages, unique_users: want.unique_users, messages_per_minute: want.messages_per_minute,
    total_stars: want.total_stars, gift_count: want.gift_count, top_gifts: want.top_gifts,
  });
  await server.restart();
  const again = await api(server, 'GET', `/api/v1/streams/${stream.room_id}/stats?apikey=${apiKey}`);
  assert.equal(again.status, 200, again.text);
  for (const k of ['total_messages', 'chat_messages', 'unique_users', 'total_stars', 'gift_count', 'messages_per_minute']) {
    assert.equal(again.json[k], want[k], `${k} after restart`);
  }
  assert.deepEqual(again.json.gifts, want.gifts);
  assert.deepEqual(again.json.timeline.map((e) => e.messages), got.timeline.map((e) => e.messages));
});

test('stats need a credential and a known stream', async () => {
  assert.equal((await api(server, 'GET', `/api/v1/streams/${stream.id}/stats`)).status, 401);
  assert.equal((await api(server, 'GET', `/api/v1/streams/${stream.id}/stats?apikey=sk_nope`)).status, 401);
  const missing = await api(server, 'GET', '/api/v1/streams/987654/stats', { token: server.token(freshUser()) });
  assert.equal(missing.status, 404);
  assert.equal(missing.json.code, 'stream_not_found');
});
