// showroom.test.mjs: the Showroom-style API of seed 000 (CONTRACT §9) and API
// keys (§3) against the real sorakd: the exact response shape, newest first,
// `since` polling that never misses or repeats, errors, and per-key limits.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, sendAcked, freshUser, api, sleep, TS_MS, ON_POSTGRES,
} from './lib/server.mjs';

let server;
let apiKey;
let stream;

async function makeKey(srv, name = 'tests') {
  const res = await api(srv, 'POST', '/api/v1/admin/api-keys', { headers: srv.admin, body: { name } });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

function feed(srv, params) {
  return api(srv, 'GET', `/api/jkt48/chat-stream-sr?${new URLSearchParams(params)}`);
}

async function sendGift(client, gift_id, quantity, content) {
  const client_id = `g-${Math.random().toString(36).slice(2)}`;
  client.send({ type: 'gift', gift_id, quantity, content, client_id });
  return client.next((e) => (e.type === 'ack' || e.type === 'error') && (e.client_id === client_id || e.type === 'error'));
}

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0', '--api-key-rate-limit', '0'] });
  apiKey = (await makeKey(server)).key;
  stream = await createStream(server, { sub: 'freya', username: 'freya', display_name: 'Freya' }, {
    title: 'Weekend Chat with Freya', room_name: 'Freya JKT48',
    member: { name: 'Freya Jayawardana', nickname: 'Freya', team: 'KIII' },
  });
});

test('chat-stream-sr has exactly the seed shape, newest first, with whole-stream stats', async () => {
  const fan = await joinChat(server, stream.id, server.token({ sub: '12345', username: 'showroom_fan', display_name: 'JKT48 Fan', level: 15 }));
  const premium = await joinChat(server, stream.id, server.token({ sub: '67890', username: 'premium_fan', display_name: 'Premium Fan', level: 25, premium: true }));
  await sendAcked(fan, 'Halo Freya! Semangat live nya!');
  const ack = await sendGift(premium, 'star', 5, '🌟✨');
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  await sendAcked(fan, 'third');

  const res = await feed(server, { room_id: stream.room_id, apikey: apiKey });
  assert.equal(res.status, 200, res.text);
  const d = res.json;
  assert.deepEqual(Object.keys(d), ['stream_info', 'chat_messages', 'stats']);
  assert.deepEqual(Object.keys(d.stream_info), ['room_id', 'room_name', 'title', 'status', 'viewers', 'duration', 'member']);
  assert.equal(d.stream_info.room_id, stream.room_id);
  assert.equal(d.stream_info.room_name, 'Freya JKT48');
  assert.equal(d.stream_info.title, 'Weekend Chat with Freya');
  assert.equal(d.stream_info.status, 'live');
  assert.equal(d.stream_info.viewers, 2);
  assert.match(d.stream_info.duration, /^\d\d:\d\d:\d\d$/);
  assert.deepEqual(d.stream_info.member, { name: 'Freya Jayawardana', nickname: 'Freya', team: 'KIII' });

  assert.deepEqual(d.chat_messages.map((m) => m.message), ['third', '🌟✨', 'Halo Freya! Semangat live nya!']);
  for (const m of d.chat_messages) {
    assert.deepEqual(Object.keys(m), ['id', 'user', 'message', 'timestamp', 'type', 'gifts', 'stars']);
    assert.deepEqual(Object.keys(m.user), ['user_id', 'username', 'display_name', 'avatar', 'level', 'is_premium']);
    assert.match(m.timestamp, TS_MS);
    assert.equal(typeof m.user.level, 'number');
    assert.equal(typeof m.user.is_premium, 'boolean');
  }
  const [chat3, gift, chat1] = d.chat_messages;
  assert.deepEqual(chat1.user, { user_id: '12345', username: 'showroom_fan', display_name: 'JKT48 Fan', avatar: '', level: 15, is_premium: false });
  assert.equal(chat1.type, 'chat');
  assert.equal(chat1.gifts, null);
  assert.equal(chat1.stars, 0);
  assert.equal(gift.type, 'gift');
  assert.deepEqual(gift.gifts, { gift_id: 'star', gift_name: 'Star', quantity: 5, total_stars: 50 });
  assert.equal(gift.stars, 50);
  assert.equal(gift.user.is_premium, true);
  assert.ok(chat3.timestamp > gift.timestamp && gift.timestamp > chat1.timestamp);

  assert.deepEqual(Object.keys(d.stats), ['total_messages', 'unique_users', 'messages_per_minute', 'total_stars', 'gift_count', 'top_gifts']);
  assert.equal(d.stats.total_messages, 3);
  assert.equal(d.stats.unique_users, 2);
  assert.equal(d.stats.total_stars, 50);
  assert.equal(d.stats.gift_count, 1);
  assert.deepEqual(d.stats.top_gifts, ['star']);
  assert.equal(d.stats.messages_per_minute, 3);  // three messages in the first minute

  // limit keeps the newest; stats stay whole-stream.
  const two = await feed(server, { room_id: stream.room_id, apikey: apiKey, limit: 2 });
  assert.deepEqual(two.json.chat_messages.map((m) => m.message), ['third', '🌟✨']);
  assert.equal(two.json.stats.total_messages, 3);
  await fan.close();
  await premium.close();
});

test('gifts over the WebSocket: catalog prices, unknown gifts and bad quantities are refused', async () => {
  const user = await joinChat(server, stream.id, server.token(freshUser('gifter')));
  const unknown = await sendGift(user, 'yacht', 1);
  assert.equal(unknown.type, 'error');
  assert.equal(unknown.code, 'unknown_gift');
  for (const q of [0, 101, -3]) {
    const bad = await sendGift(user, 'heart', q);
    assert.equal(bad.code, 'invalid_quantity', `quantity ${q}`);
  }
  const ok = await sendGift(user, 'heart', 3);
  assert.equal(ok.type, 'ack');
  const msg = await user.next((e) => e.type === 'message' && e.data.id === ok.data.id);
  assert.equal(msg.data.message_type, 'gift');
  assert.deepEqual(msg.data.gift, { gift_id: 'heart', gift_name: 'Heart', quantity: 3, total_stars: 15 });
  assert.equal(msg.data.stars, 15);
  assert.equal(msg.data.content, '');
  const cat = await api(server, 'GET', '/api/v1/gifts');
  assert.equal(cat.status, 200);
  const star = cat.json.gifts.find((g) => g.gift_id === 'star');
  assert.deepEqual(star, { gift_id: 'star', gift_name: 'Star', stars: 10 });
  for (const id of ['heart', 'clap']) assert.ok(cat.json.gifts.some((g) => g.gift_id === id));
  await user.close();
});

test('admin gifts and the gift leaderboard', async () => {
  const s = await createStream(server, freshUser('host'), { title: 'leaderboard' });
  const post = (body) => api(server, 'POST', `/api/v1/admin/streams/${s.id}/gifts`, { headers: server.admin, body });
  const whale = { id: 'whale', username: 'whale', display_name: 'The Whale', avatar_url: 'https://x/w.png', level: 40, premium: true };
  const r1 = await post({ user: whale, gift_id: 'crown', quantity: 2, content: 'for you' });
  assert.equal(r1.status, 201, r1.text);
  assert.equal(r1.json.message_type, 'gift');
  assert.equal(r1.json.stars, 200);
  assert.equal(r1.json.user.display_name, 'The Whale');
  assert.equal(r1.json.content, 'for you');
  assert.equal((await post({ user: { id: 'minnow' }, gift_id: 'clap', quantity: 5 })).status, 201);
  assert.equal((await post({ user: { id: 'mid' }, gift_id: 'star', quantity: 3 })).status, 201);
  assert.equal((await post({ user: { id: 'mid' }, gift_id: 'heart' })).status, 201);
  const bad = await post({ user: { id: 'x' }, gift_id: 'nope' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'unknown_gift');
  const viewerToken = server.token(freshUser('viewer'));
  const asUser = await api(server, 'POST', `/api/v1/admin/streams/${s.id}/gifts`, { token: viewerToken, body: { user: { id: 'x' }, gift_id: 'star' } });
  assert.equal(asUser.status, 403);

  const lb = await api(server, 'GET', `/api/v1/streams/${s.room_id}/gifts/leaderboard`, { token: viewerToken });
  assert.equal(lb.status, 200, lb.text);
  assert.deepEqual(lb.json.leaderboard.map((e) => [e.user.id, e.stars, e.gifts]), [['whale', 200, 1], ['mid', 35, 2], ['minnow', 5, 1]]);
  assert.equal(lb.json.leaderboard[0].user.display_name, 'The Whale');
  const two = await api(server, 'GET', `/api/v1/streams/${s.room_id}/gifts/leaderboard?limit=2`, { token: viewerToken });
  assert.deepEqual(two.json.leaderboard.map((e) => e.user.id), ['whale', 'mid']);
  assert.equal((await api(server, 'GET', `/api/v1/streams/${s.room_id}/gifts/leaderboard?limit=1000`, { token: viewerToken })).json.leaderboard.length, 3);
  for (const bad of ['0', '-5', '5abc', 'x']) {
    const r = await api(server, 'GET', `/api/v1/streams/${s.room_id}/gifts/leaderboard?limit=${bad}`, { token: viewerToken });
    assert.equal(r.status, 400, `limit=${bad}: ${r.text}`);
    assert.equal(r.json.code, 'invalid_limit');
    const st = await api(server, 'GET', `/api/v1/streams/${s.room_id}/stats?top=${bad}`, { token: viewerToken });
    assert.equal(st.status, 400, `top=${bad}: ${st.text}`);
    assert.equal(st.json.code, 'invalid_top');
  }
});

test('errors: missing room_id 400, unknown room 404, missing / wrong / revoked key 401, all JSON', async () => {
  const cases = [
    [{ apikey: apiKey }, 400, 'missing_room_id'],
    [{ room_id: '999999', apikey: apiKey }, 404, 'room_not_found'],
    [{ room_id: stream.room_id }, 401, 'unauthorized'],
    [{ room_id: stream.room_id, apikey: 'sk_wrong' }, 401, 'invalid_api_key'],
    [{ room_id: stream.room_id, apikey: apiKey, since: 'yesterday' }, 400, 'invalid_since'],
    [{ room_id: stream.room_id, apikey: apiKey, limit: '0' }, 400, 'invalid_limit'],
  ];
  for (const [params, status, code] of cases) {
    const res = await feed(server, params);
    assert.equal(res.status, status, `${JSON.stringify(params)}: ${res.text}`);
    assert.match(res.headers.get('content-type'), /application\/json/);
    assert.equal(res.json.code, code);
    assert.equal(typeof res.json.error, 'string');
  }
  for (const path of ['/api/jkt48/live/showroom', '/api/jkt48/recent']) {
    const res = await api(server, 'GET', path);
    assert.equal(res.status, 401);
    assert.equal(res.json.code, 'unauthorized');
  }
  // A revoked key stops working; the list shows it revoked and never the key.
  const made = await makeKey(server, 'short-lived');
  assert.match(made.key, /^sk_[0-9a-f]{40}$/);
  assert.equal((await feed(server, { room_id: stream.room_id, apikey: made.key })).status, 200);
  const del = await api(server, 'DELETE', `/api/v1/admin/api-keys/${made.id}`, { headers: server.admin });
  assert.equal(del.status, 204);
  const after = await feed(server, { room_id: stream.room_id, apikey: made.key });
  assert.equal(after.status, 401);
  assert.equal(after.json.code, 'invalid_api_key');
  assert.equal((await api(server, 'DELETE', `/api/v1/admin/api-keys/${made.id}`, { headers: server.admin })).status, 404);
  const list = await api(server, 'GET', '/api/v1/admin/api-keys', { headers: server.admin });
  assert.equal(list.status, 200);
  const entry = list.json.api_keys.find((k) => k.id === made.id);
  assert.equal(entry.name, 'short-lived');
  assert.match(entry.revoked_at, TS_MS);
  assert.equal(entry.prefix, made.key.slice(0, 7));
  assert.ok(!JSON.stringify(list.json).includes(made.key), 'the key itself is never listed');
  // Only the admin manages keys.
  assert.equal((await api(server, 'GET', '/api/v1/admin/api-keys')).status, 401);
  assert.equal((await api(server, 'GET', '/api/v1/admin/api-keys', { token: server.token(freshUser()) })).status, 403);
});

test('keys are stored hashed: the database file never holds a key',
  { skip: ON_POSTGRES && 'reads the SQLite file in the data directory' }, async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const made = await makeKey(server, 'hash-check');
  await sleep(100);
  for (const f of ['sorak.db', 'sorak.db-wal']) {
    let bytes = '';
    try { bytes = readFileSync(join(server.dataDir, f)).toString('latin1'); } catch { continue; }
    assert.ok(!bytes.includes(made.key.slice(3)), `${f} holds the key`);
  }
});

test('polling as the seed does (since = newest timestamp, limit 10) sees 120 messages exactly once', async () => {
  const s = await createStream(server, freshUser('poll-host'), { title: 'polling' });
  const sender = await joinChat(server, s.id, server.token(freshUser('sender')));
  const seen = new Map();
  let fullBatches = 0;
  // A second back: the stream is new, so nothing older is in it, and its first message may be
  // stamped in the very millisecond this line runs (created_at is the server's receipt time), which
  // `since` (strictly after) would leave out: a client starting at "now" has to allow for that.
  let since = new Date(Date.now() - 1000).toISOString();
  let sending = true;
  const poller = (async () => {
    for (let idle = 0; sending || idle < 3;) {
      const res = await feed(server, { room_id: s.room_id, apikey: apiKey, since, limit: 10 });
      assert.equal(res.status, 200, res.text);
      const msgs = res.json.chat_messages;
      assert.ok(msgs.length <= 10);
      for (let i = 1; i < msgs.length; i++) assert.ok(msgs[i - 1].timestamp > msgs[i].timestamp, 'newest first');
      if (msgs.length > 0) {
        for (const m of msgs) seen.set(m.id, (seen.get(m.id) || 0) + 1);
        if (msgs.length === 10) fullBatches++;
        since = msgs[0].timestamp;
        idle = 0;
      } else if (!sending) {
        idle++;
      }
      await sleep(15);
    }
  })();
  const sent = [];
  for (let i = 0; i < 120; i++) {
    // Bursts: several messages land between two polls, more than `limit` at times.
    const ack = i % 40 < 25 ? sendAcked(sender, `m${i}`) : (sender.send({ type: 'message', content: `m${i}` }), null);
    if (ack) sent.push((await ack).data.id);
    if (i % 17 === 0) await sleep(30);
  }
  const all = await api(server, 'GET', `/api/v1/streams/${s.id}/chat/history?limit=100`, { token: server.token(freshUser()) });
  await sleep(200);
  sending = false;
  await poller;
  const history = [];
  let before = null;
  for (;;) {
    const q = before ? `&before=${before}` : '';
    const page = await api(server, 'GET', `/api/v1/streams/${s.id}/chat/history?limit=100${q}`, { token: server.token(freshUser()) });
    history.unshift(...page.json.messages);
    if (!page.json.has_more) break;
    before = page.json.next_cursor;
  }
  assert.equal(all.status, 200);
  assert.equal(history.length, 120);
  for (const m of history) assert.equal(seen.get(m.id), 1, `message ${m.content} seen ${seen.get(m.id) || 0} times`);
  assert.equal(seen.size, 120);
  assert.ok(fullBatches > 0, 'some polls found more than `limit` new messages (the oldest ones came first)');
  for (const id of sent) assert.ok(seen.has(id));
  await sender.close();
});

test('live/showroom lists live streams; recent lists ended ones with their stats', async () => {
  const s = await createStream(server, freshUser('ender'), { title: 'to be ended', member: { name: 'Zee', nickname: 'Zee', team: 'T' } });
  const live = await api(server, 'GET', `/api/jkt48/live/showroom?apikey=${apiKey}`);
  assert.equal(live.status, 200, live.text);
  const entry = live.json.live_streams.find((x) => x.room_id === s.room_id);
  assert.deepEqual(Object.keys(entry), ['room_id', 'room_name', 'title', 'status', 'viewers', 'started_at', 'member']);
  assert.equal(entry.status, 'live');
  assert.match(entry.started_at, TS_MS);
  assert.deepEqual(entry.member, { name: 'Zee', nickname: 'Zee', team: 'T' });

  const res = await api(server, 'POST', `/api/v1/admin/streams/${s.id}/gifts`, { headers: server.admin, body: { user: { id: 'g' }, gift_id: 'star', quantity: 2 } });
  assert.equal(res.status, 201);
  const ended = await api(server, 'PATCH', `/api/v1/streams/${s.id}`, { headers: server.admin, body: { status: 'ended' } });
  assert.equal(ended.status, 200, ended.text);
  const again = await api(server, 'GET', `/api/jkt48/live/showroom?apikey=${apiKey}`);
  assert.ok(!again.json.live_streams.some((x) => x.room_id === s.room_id));
  const recent = await api(server, 'GET', `/api/jkt48/recent?apikey=${apiKey}&limit=5`);
  assert.equal(recent.status, 200, recent.text);
  assert.ok(recent.json.recent.length <= 5);
  const r = recent.json.recent[0];
  assert.equal(r.room_id, s.room_id);
  assert.equal(r.status, 'ended');
  assert.match(r.ended_at, TS_MS);
  assert.match(r.duration, /^\d\d:\d\d:\d\d$/);
  assert.equal(r.stats.total_stars, 20);
  assert.equal(r.stats.gift_count, 1);
  assert.deepEqual(r.stats.top_gifts, ['star']);
});

test('each key is rate-limited: 429 with Retry-After, other keys unaffected', async () => {
  const srv = await startServer({ args: ['--api-key-rate-limit', '3/60'] });
  const a = (await makeKey(srv, 'a')).key;
  const b = (await makeKey(srv, 'b')).key;
  for (let i = 0; i < 3; i++) assert.equal((await api(srv, 'GET', `/api/jkt48/live/showroom?apikey=${a}`)).status, 200);
  const limited = await api(srv, 'GET', `/api/jkt48/live/showroom?apikey=${a}`);
  assert.equal(limited.status, 429);
  assert.equal(limited.json.code, 'rate_limited');
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  assert.equal((await api(srv, 'GET', `/api/jkt48/live/showroom?apikey=${b}`)).status, 200);
  await srv.stop();
});

test('--gifts replaces the catalog; a bad catalog stops sorakd at start-up', async () => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tempDir } = await import('./lib/server.mjs');
  const dir = tempDir();
  const file = join(dir, 'gifts.json');
  writeFileSync(file, JSON.stringify({ gifts: [{ gift_id: 'star', gift_name: 'Bintang', stars: 7 }, { gift_id: 'lightstick', gift_name: 'Lightstick', stars: 3 }] }));
  const srv = await startServer({ args: ['--gifts', file] });
  const cat = await api(srv, 'GET', '/api/v1/gifts');
  assert.deepEqual(cat.json.gifts, [{ gift_id: 'star', gift_name: 'Bintang', stars: 7 }, { gift_id: 'lightstick', gift_name: 'Lightstick', stars: 3 }]);
  const s = await createStream(srv, freshUser('c'), { title: 'custom' });
  const res = await api(srv, 'POST', `/api/v1/admin/streams/${s.id}/gifts`, { headers: srv.admin, body: { user: { id: 'u' }, gift_id: 'lightstick', quantity: 4 } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.stars, 12);
  await srv.stop();
  const badFile = join(dir, 'bad.json');
  writeFileSync(badFile, JSON.stringify({ gifts: [{ gift_id: 'Star!', gift_name: 'x', stars: 1 }] }));
  await assert.rejects(startServer({ args: ['--gifts', badFile] }), /exited/);
});
