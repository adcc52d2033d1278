// recovery.test.mjs: a viewer that reconnects with since= gets exactly what it missed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, openWs, sendAcked, unknownId, freshUser, api, allHistory,
  sleep, waitFor,
} from './lib/server.mjs';

let server;
const owner = { sub: 'owner', username: 'owner' };

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
});

async function sendMany(sender, prefix, n) {
  const acks = [];
  for (let i = 0; i < n; i++) acks.push(await sendAcked(sender, `${prefix} ${i}`));
  return acks;
}

test('reconnecting with since= the last id seen delivers exactly the missed messages', async () => {
  const stream = await createStream(server, owner, { title: 'recover' });
  const sender = await joinChat(server, stream.id, server.token(freshUser('sender')));
  const viewerClaims = freshUser('viewer');
  const viewer = await joinChat(server, stream.id, server.token(viewerClaims));
  await sendMany(sender, 'seen', 5);
  const seen = [];
  for (let i = 0; i < 5; i++) seen.push((await viewer.next('message')).data);
  assert.deepEqual(seen.map((m) => m.content), [0, 1, 2, 3, 4].map((i) => `seen ${i}`));
  await viewer.close();

  const missed = await sendMany(sender, 'missed', 7);
  const back = await joinChat(server, stream.id, server.token(viewerClaims), { since: seen.at(-1).id });
  assert.equal(back.events[0].type, 'history');
  assert.equal(back.history.recovered, true, 'recovered: true');
  assert.deepEqual(back.history.data.map((m) => m.id), missed.map((a) => a.data.id), 'exactly the missed ones, in order');
  assert.deepEqual(back.history.data.map((m) => m.content), [0, 1, 2, 3, 4, 5, 6].map((i) => `missed ${i}`));
  const vc = await back.next('viewer_count');
  assert.equal(back.events.indexOf(vc), 1, 'viewer_count follows the history');

  // Live messages keep flowing after the recovery, without repeats.
  const live = await sendAcked(sender, 'live again');
  const next = await back.next('message');
  assert.equal(next.data.id, live.data.id);

  // since = the very last message: nothing missed, still recovered.
  const upToDate = await joinChat(server, stream.id, server.token(viewerClaims), { since: live.data.id });
  assert.equal(upToDate.history.recovered, true);
  assert.deepEqual(upToDate.history.data, []);

  // since = a message in the middle: everything after it.
  const mid = await joinChat(server, stream.id, server.token(viewerClaims), { since: seen[2].id });
  assert.equal(mid.history.recovered, true);
  assert.deepEqual(mid.history.data.map((m) => m.content),
    ['seen 3', 'seen 4', ...[0, 1, 2, 3, 4, 5, 6].map((i) => `missed ${i}`), 'live again']);
  for (const c of [sender, back, upToDate, mid]) await c.close();
});

test('since= an unknown id falls back to the latest messages with recovered: false', async () => {
  const stream = await createStream(server, owner, { title: 'unknown since' });
  const sender = await joinChat(server, stream.id, server.token(freshUser('sender')));
  const acks = await sendMany(sender, 'm', 60);
  const c = await joinChat(server, stream.id, server.token(freshUser('v')), { since: unknownId() });
  assert.equal(c.history.recovered, false);
  assert.deepEqual(c.history.data.map((m) => m.id), acks.slice(-50).map((a) => a.data.id), 'the latest 50, oldest first');
  await c.next('viewer_count');

  // since= a message of ANOTHER stream is unknown here too.
  const other = await createStream(server, owner, { title: 'other' });
  const o = await joinChat(server, other.id, server.token(freshUser('o')));
  const foreign = await sendAcked(o, 'elsewhere');
  const c2 = await joinChat(server, stream.id, server.token(freshUser('v')), { since: foreign.data.id });
  assert.equal(c2.history.recovered, false);
  assert.equal(c2.history.data.length, 50);
  assert.ok(!c2.history.data.some((m) => m.stream_id !== stream.id));
  for (const x of [sender, c, o, c2]) await x.close();
});

test('more than 1000 missed messages: latest 50 and recovered: false', async () => {
  const stream = await createStream(server, owner, { title: 'too many missed' });
  const senders = await Promise.all([0, 1, 2, 3].map(() => joinChat(server, stream.id, server.token(freshUser('bulk')))));
  const first = await sendAcked(senders[0], 'the last one seen');
  // 1001 messages after it, four senders in parallel.
  const total = 1001;
  const all = [];
  await Promise.all(senders.map(async (s, k) => {
    for (let i = k; i < total; i += senders.length) all.push(await sendAcked(s, `bulk ${i}`, {}, 10000));
  }));
  all.sort((a, b) => (a.data.created_at < b.data.created_at ? -1 : 1));
  const c = await joinChat(server, stream.id, server.token(freshUser('v')), { since: first.data.id });
  assert.equal(c.history.recovered, false);
  assert.deepEqual(c.history.data.map((m) => m.id), all.slice(-50).map((a) => a.data.id));

  // Exactly 1000 missed still recovers. since = the first bulk message → 1000 after it.
  const c2 = await joinChat(server, stream.id, server.token(freshUser('v')), { since: all[0].data.id });
  assert.equal(c2.history.recovered, true);
  assert.equal(c2.history.data.length, 1000);
  assert.deepEqual(c2.history.data.map((m) => m.id), all.slice(1).map((a) => a.data.id));
  for (const x of [...senders, c, c2]) await x.close();
});

test('recovery works across a server restart (rebuilt from the store)', async () => {
  const stream = await createStream(server, owner, { title: 'restart' });
  const senderClaims = freshUser('sender');
  const viewerClaims = freshUser('viewer');
  let sender = await joinChat(server, stream.id, server.token(senderClaims));
  const viewer = await joinChat(server, stream.id, server.token(viewerClaims));
  await sendMany(sender, 'before', 3);
  const seen = [];
  for (let i = 0; i < 3; i++) seen.push((await viewer.next('message')).data);
  await viewer.close();
  const missed = await sendMany(sender, 'missed', 5);

  // A graceful stop: open sockets are closed with 1001 and the process exits 0.
  const exit = await server.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM exits 0');
  const senderClose = await sender.closed;
  assert.equal(senderClose.code, 1001, 'connections are closed with 1001 on shutdown');

  await server.restart();
  const back = await joinChat(server, stream.id, server.token(viewerClaims), { since: seen.at(-1).id });
  assert.equal(back.history.recovered, true);
  assert.deepEqual(back.history.data.map((m) => m.id), missed.map((a) => a.data.id));
  // Plain connect after the restart: the latest messages, in order.
  const plain = await joinChat(server, stream.id, server.token(freshUser('new')));
  assert.deepEqual(plain.history.data.map((m) => m.content),
    ['before 0', 'before 1', 'before 2', ...[0, 1, 2, 3, 4].map((i) => `missed ${i}`)]);
  // Chat continues, with created_at still increasing.
  sender = await joinChat(server, stream.id, server.token(senderClaims));
  const after = await sendAcked(sender, 'after restart');
  assert.ok(after.data.created_at > missed.at(-1).data.created_at);
  const m = await back.next('message');
  assert.equal(m.data.id, after.data.id);
  for (const x of [sender, back, plain]) await x.close();
});

test('a viewer that was never told about a message id can still connect with since= garbage', async () => {
  const stream = await createStream(server, owner, { title: 'garbage since' });
  const c = await openWs(server, stream.id, server.token(freshUser('v')), { since: 'definitely-not-an-id' });
  const h = await c.next('history');
  assert.equal(h.recovered, false);
  assert.ok(Array.isArray(h.data));
  await c.close();
});

test('viewers joining or recovering during a burst miss nothing and see nothing twice', async () => {
  const stream = await createStream(server, owner, { title: 'join during burst' });
  const senders = await Promise.all([0, 1].map(() => joinChat(server, stream.id, server.token(freshUser('burst')))));
  let stop = false;
  let sent = 0;
  const pumps = senders.map(async (s) => {
    let mine = 0;
    while (!stop) {
      s.send({ type: 'message', content: `b ${sent++}`, client_id: `b-${mine++}` });
      while (!stop && mine - (s.counts.ack || 0) >= 3) await sleep(1);
    }
    await waitFor(() => (s.counts.ack || 0) >= mine, { timeoutMs: 10000, what: 'the last acks' });
  });
  await waitFor(() => senders.reduce((a, s) => a + (s.counts.ack || 0), 0) >= 80, { timeoutMs: 10000, what: '80 acks' });
  const viewers = [];
  for (let k = 0; k < 16; k++) {
    const acks = senders[k % 2].ofType('ack');
    const since = k % 2 ? acks[Math.max(0, acks.length - 20)].data.id : undefined;
    const v = await joinChat(server, stream.id, server.token(freshUser('joiner')), { since });
    v.since = since;
    viewers.push(v);
    await sleep(15);
  }
  stop = true;
  await Promise.all(pumps);
  const { messages } = await allHistory(server, stream.id, server.token(owner));
  const order = messages.map((m) => m.id);
  const pos = new Map(order.map((id, i) => [id, i]));
  const last = order.at(-1);
  for (const [k, v] of viewers.entries()) {
    await waitFor(() => v.ofType('message').some((e) => e.data.id === last) || v.history.data.at(-1)?.id === last,
      { timeoutMs: 5000, what: `viewer ${k} to receive the last message` });
    const seq = [...v.history.data.map((m) => m.id), ...v.ofType('message').map((e) => e.data.id)];
    const start = pos.get(seq[0]);
    if (v.since) {
      assert.equal(v.history.recovered, true, `viewer ${k} recovered`);
      assert.equal(start, pos.get(v.since) + 1, `viewer ${k}'s recovery starts right after since=`);
    } else {
      assert.equal(v.history.data.length, 50, `viewer ${k} got the latest 50`);
    }
    assert.deepEqual(seq, order.slice(start, start + seq.length),
      `viewer ${k}: history then live messages are contiguous, in order, without repeats`);
    assert.equal(seq.at(-1), last);
  }
  for (const c of [...senders, ...viewers]) await c.close();
});

test('room ids keep counting after a restart', async () => {
  const before = await api(server, 'GET', '/api/v1/streams');
  const rooms = before.json.streams.map((s) => Number(s.room_id));
  await server.restart();
  const s = await createStream(server, owner, { title: 'after restart' });
  assert.ok(!rooms.includes(Number(s.room_id)), `room_id ${s.room_id} is not reused`);
  assert.equal(Number(s.room_id), Math.max(...rooms) + 1);
  // Streams created before the restart are all still there.
  const after = await api(server, 'GET', '/api/v1/streams');
  assert.equal(after.json.streams.length, before.json.streams.length + 1);
});
