// chat.test.mjs: viewers chatting with each other over the real WebSocket.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, sendAcked, allHistory, freshUser, sleep,
  UUID_V7, TS_MS,
} from './lib/server.mjs';

let server;
const owner = { sub: 'owner-1', username: 'owner', display_name: 'The Owner' };

before(async () => {
  // Rate limit off: the ordering test sends many messages quickly.
  server = await startServer({ args: ['--rate-limit', '0'] });
});

function assertMessageShape(m, { stream, user, content }) {
  assert.match(m.id, UUID_V7, 'message id is a UUID v7');
  assert.equal(m.stream_id, stream.id);
  assert.deepEqual(m.user, user);
  assert.equal(m.content, content);
  assert.equal(m.message_type, 'message');
  assert.equal(m.gift, null);
  assert.equal(m.stars, 0);
  assert.equal(m.reply_to, null);
  assert.match(m.created_at, TS_MS, 'created_at is RFC 3339 UTC with milliseconds');
  const age = Date.now() - Date.parse(m.created_at);
  assert.ok(age > -5000 && age < 30000, `created_at ${m.created_at} is close to now`);
}

test('two viewers see each other\'s messages, history first, then viewer_count', async () => {
  const stream = await createStream(server, owner, { title: 'two viewers' });
  const aliceClaims = {
    sub: 'alice-1', username: 'alice', display_name: 'Alice Chen', avatar_url: 'https://example.com/alice.png',
    level: 7, premium: true, badges: ['verified'],
  };
  const bobClaims = { sub: 'bob-1', username: 'bob', display_name: 'Bob', avatar_url: '', level: 0 };
  const alice = await joinChat(server, stream.id, server.token(aliceClaims));
  assert.equal(alice.events[0].type, 'history', 'the first event is history');
  assert.deepEqual(alice.events[0].data, [], 'a new stream has an empty history');
  const aliceCount = await alice.next('viewer_count');
  assert.equal(alice.events.indexOf(aliceCount), 1, 'viewer_count comes right after history');
  assert.equal(typeof aliceCount.data.count, 'number');
  assert.ok(aliceCount.data.count >= 1);

  const bob = await joinChat(server, stream.id, server.token(bobClaims));
  assert.equal(bob.events[0].type, 'history');
  await bob.next('viewer_count');

  bob.send({ type: 'message', content: 'hi alice' });
  const atAlice = await alice.next('message');
  assertMessageShape(atAlice.data, {
    stream, content: 'hi alice',
    user: { id: 'bob-1', username: 'bob', display_name: 'Bob', avatar_url: '', level: 0, is_premium: false, badges: [] },
  });
  const atBob = await bob.next('message');
  assert.deepEqual(atBob.data, atAlice.data, 'the sender sees its own message, identical');

  alice.send({ type: 'message', content: 'hi bob 👋' });
  const atBob2 = await bob.next('message');
  assertMessageShape(atBob2.data, {
    stream, content: 'hi bob 👋',
    user: {
      id: 'alice-1', username: 'alice', display_name: 'Alice Chen', avatar_url: 'https://example.com/alice.png',
      level: 7, is_premium: true, badges: ['verified'],
    },
  });
  assert.deepEqual((await alice.next('message')).data, atBob2.data);

  // A newcomer gets both in its history, oldest first, in the same shape.
  const carol = await joinChat(server, stream.id, server.token(freshUser('carol')));
  assert.deepEqual(carol.history.data, [atAlice.data, atBob2.data]);
  const carolCount = await carol.next('viewer_count');
  assert.equal(carol.events.indexOf(carolCount), 1);
  assert.equal(carolCount.data.count, 3, 'three viewers are connected');

  // The broadcaster's messages carry the broadcaster badge.
  const own = await joinChat(server, stream.id, server.token(owner));
  own.send({ type: 'message', content: 'welcome!' });
  const fromOwner = await carol.next((e) => e.type === 'message' && e.data.content === 'welcome!');
  assert.equal(fromOwner.data.user.id, 'owner-1');
  assert.ok(fromOwner.data.user.badges.includes('broadcaster'), `badges ${JSON.stringify(fromOwner.data.user.badges)}`);
  for (const c of [alice, bob, carol, own]) await c.close();
});

test('created_at is strictly increasing within a stream', async () => {
  const stream = await createStream(server, owner, { title: 'ordering' });
  const viewer = await joinChat(server, stream.id, server.token(freshUser('watcher')));
  const senders = await Promise.all([1, 2, 3].map(() => joinChat(server, stream.id, server.token(freshUser('s')))));
  const N = 30;
  for (let i = 0; i < N; i++) {
    for (const [k, s] of senders.entries()) s.send({ type: 'message', content: `s${k} #${i}` });
  }
  const got = [];
  for (let i = 0; i < N * senders.length; i++) got.push((await viewer.next('message', 10000)).data);
  for (let i = 1; i < got.length; i++) {
    assert.ok(got[i].created_at > got[i - 1].created_at,
      `message ${i} created_at ${got[i].created_at} after ${got[i - 1].created_at}`);
  }
  assert.equal(new Set(got.map((m) => m.id)).size, got.length, 'ids are unique');
  // Each sender's messages arrive in the order it sent them.
  for (const k of [0, 1, 2]) {
    const mine = got.filter((m) => m.content.startsWith(`s${k} `)).map((m) => m.content);
    assert.deepEqual(mine, Array.from({ length: N }, (_, i) => `s${k} #${i}`));
  }
  // REST history holds them in the same order.
  const { messages } = await allHistory(server, stream.id, server.token(owner));
  assert.deepEqual(messages.map((m) => m.id), got.map((m) => m.id));
  for (const c of [viewer, ...senders]) await c.close();
});

test('ping is answered with pong', async () => {
  const stream = await createStream(server, owner, { title: 'ping' });
  const c = await joinChat(server, stream.id, server.token(freshUser()));
  c.send({ type: 'ping' });
  const pong = await c.next('pong');
  assert.deepEqual(Object.keys(pong).filter((k) => k !== 'data'), ['type']);
  c.send({ type: 'ping' });
  c.send({ type: 'ping' });
  await c.next('pong');
  await c.next('pong');
  await c.close();
});

test('reply_to an existing message is carried on the reply', async () => {
  const stream = await createStream(server, owner, { title: 'replies' });
  const a = await joinChat(server, stream.id, server.token(freshUser('a')));
  const b = await joinChat(server, stream.id, server.token(freshUser('b')));
  a.send({ type: 'message', content: 'question?' });
  const q = (await b.next('message')).data;
  b.send({ type: 'message', content: 'answer!', reply_to: q.id });
  const reply = (await a.next((e) => e.type === 'message' && e.data.content === 'answer!')).data;
  assert.equal(reply.reply_to, q.id);
  const { messages } = await allHistory(server, stream.id, server.token(owner));
  assert.equal(messages.find((m) => m.id === reply.id).reply_to, q.id, 'history keeps reply_to');
  await a.close();
  await b.close();
});

test('client_id is acked to the sender alone with the stored id', async () => {
  const stream = await createStream(server, owner, { title: 'acks' });
  const sender = await joinChat(server, stream.id, server.token(freshUser('sender')));
  const other = await joinChat(server, stream.id, server.token(freshUser('other')));
  sender.send({ type: 'message', content: 'with ack', client_id: 'my-local-id-1' });
  const ack = await sender.next('ack');
  assert.equal(ack.client_id, 'my-local-id-1');
  assert.match(ack.data.id, UUID_V7);
  assert.match(ack.data.created_at, TS_MS);
  const msg = (await other.next('message')).data;
  assert.equal(msg.id, ack.data.id, 'the ack names the broadcast message');
  assert.equal(msg.created_at, ack.data.created_at);
  // A message without client_id gets no ack.
  sender.send({ type: 'message', content: 'no ack' });
  await other.next((e) => e.type === 'message' && e.data.content === 'no ack');
  sender.send({ type: 'ping' });
  await sender.next('pong');
  assert.equal(sender.ofType('ack').length, 1, 'only the message with a client_id was acked');
  assert.equal(other.ofType('ack').length, 0, 'other viewers never see the ack');
  await sender.close();
  await other.close();
});

test('a resend with the same client_id on a new connection is acked with the same id and stored once', async () => {
  const stream = await createStream(server, owner, { title: 'resend' });
  const user = freshUser('resender');
  const watcher = await joinChat(server, stream.id, server.token(freshUser('watcher')));
  const first = await joinChat(server, stream.id, server.token(user));
  first.send({ type: 'message', content: 'only once please', client_id: 'resend-42' });
  const ack1 = await first.next('ack');
  await first.close();

  const second = await joinChat(server, stream.id, server.token(user));
  assert.equal(second.history.data.filter((m) => m.content === 'only once please').length, 1);
  second.send({ type: 'message', content: 'only once please', client_id: 'resend-42' });
  const ack2 = await second.next('ack');
  assert.equal(ack2.client_id, 'resend-42');
  assert.deepEqual(ack2.data, ack1.data, 'the resend is acked with the same id and created_at');

  // A different client_id is a different message.
  const ack3 = await sendAcked(second, 'after the resend');
  assert.notEqual(ack3.data.id, ack1.data.id);
  await watcher.next((e) => e.type === 'message' && e.data.id === ack3.data.id);
  const ids = watcher.ofType('message').map((e) => e.data.id);
  assert.deepEqual(ids.filter((id) => id !== ack1.data.id), [ack3.data.id], 'the resend was not broadcast as a new message');

  const { messages } = await allHistory(server, stream.id, server.token(owner));
  assert.equal(messages.filter((m) => m.content === 'only once please').length, 1, 'history holds it once');
  assert.equal(messages.length, 2);
  await second.close();
  await watcher.close();
});

test('a read-only token may read but not send', async () => {
  const stream = await createStream(server, owner, { title: 'read only' });
  const writer = await joinChat(server, stream.id, server.token(freshUser('writer')));
  await sendAcked(writer, 'before the reader came');
  const reader = await joinChat(server, stream.id, server.token(freshUser('reader', { read_only: true })));
  assert.deepEqual(reader.history.data.map((m) => m.content), ['before the reader came']);
  reader.send({ type: 'message', content: 'let me talk', client_id: 'ro-1' });
  const err = await reader.next('error');
  assert.equal(err.code, 'read_only');
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0);
  await sendAcked(writer, 'still live');
  const seen = await reader.next((e) => e.type === 'message' && e.data.content === 'still live');
  assert.ok(seen, 'the read-only viewer keeps receiving messages');
  assert.equal(writer.ofType('message').filter((e) => e.data.content === 'let me talk').length, 0);
  assert.equal(reader.ofType('ack').length, 0, 'a refused message is not acked');
  const { messages } = await allHistory(server, stream.id, server.token(owner));
  assert.deepEqual(messages.map((m) => m.content), ['before the reader came', 'still live']);
  await reader.close();
  await writer.close();
});

test('a message from one stream never reaches viewers of another', async () => {
  const s1 = await createStream(server, owner, { title: 'stream one' });
  const s2 = await createStream(server, owner, { title: 'stream two' });
  const v1 = await joinChat(server, s1.id, server.token(freshUser('v1')));
  const v2 = await joinChat(server, s2.id, server.token(freshUser('v2')));
  const talker = freshUser('talker');
  const t1 = await joinChat(server, s1.id, server.token(talker));
  const t2 = await joinChat(server, s2.id, server.token(talker));
  await sendAcked(t1, 'for stream one only');
  await sendAcked(t2, 'for stream two only');
  await v1.next((e) => e.type === 'message' && e.data.content === 'for stream one only');
  await v2.next((e) => e.type === 'message' && e.data.content === 'for stream two only');
  await sleep(300);
  assert.deepEqual(v1.ofType('message').map((e) => e.data.content), ['for stream one only']);
  assert.deepEqual(v2.ofType('message').map((e) => e.data.content), ['for stream two only']);
  assert.equal(v2.ofType('message')[0].data.stream_id, s2.id);
  const h2 = await allHistory(server, s2.id, server.token(owner));
  assert.deepEqual(h2.messages.map((m) => m.content), ['for stream two only']);
  for (const c of [v1, v2, t1, t2]) await c.close();
});

test('the same client_id from another user or in another stream is a different message', async () => {
  const s1 = await createStream(server, owner, { title: 'cid one' });
  const s2 = await createStream(server, owner, { title: 'cid two' });
  const ann = freshUser('ann');
  const ben = freshUser('ben');
  const a1 = await joinChat(server, s1.id, server.token(ann));
  const b1 = await joinChat(server, s1.id, server.token(ben));
  const a2 = await joinChat(server, s2.id, server.token(ann));
  const ackA = await sendAcked(a1, 'ann says hi', { client_id: 'shared-1' });
  const ackB = await sendAcked(b1, 'ben says hi', { client_id: 'shared-1' });
  const ackA2 = await sendAcked(a2, 'ann elsewhere', { client_id: 'shared-1' });
  assert.notEqual(ackB.data.id, ackA.data.id, 'another user\'s client_id does not collide');
  assert.notEqual(ackA2.data.id, ackA.data.id, 'the same client_id in another stream does not collide');
  const h1 = await allHistory(server, s1.id, server.token(owner));
  assert.deepEqual(h1.messages.map((m) => m.content), ['ann says hi', 'ben says hi']);
  const h2 = await allHistory(server, s2.id, server.token(owner));
  assert.deepEqual(h2.messages.map((m) => m.content), ['ann elsewhere']);
  for (const c of [a1, b1, a2]) await c.close();
});

test('a token cannot grant itself stream badges; only the owner is broadcaster', async () => {
  const stream = await createStream(server, owner, { title: 'badges' });
  const claims = freshUser('sneaky', { badges: ['verified', 'subscriber', 'moderator', 'broadcaster', 'vip', 'admin'] });
  const c = await joinChat(server, stream.id, server.token(claims));
  const ack = await sendAcked(c, 'I am totally a mod');
  const m = await c.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.deepEqual([...m.data.user.badges].sort(), ['subscriber', 'verified']);
  const plain = await joinChat(server, stream.id, server.token(freshUser('plain')));
  const ack2 = await sendAcked(plain, 'no badges');
  const m2 = await plain.next((e) => e.type === 'message' && e.data.id === ack2.data.id);
  assert.deepEqual(m2.data.user.badges, []);
  assert.equal(m2.data.user.is_premium, false);
  assert.equal(m2.data.user.level, 0);
  await c.close();
  await plain.close();
});

test('a message keeps the user snapshot of when it was sent', async () => {
  const stream = await createStream(server, owner, { title: 'snapshots' });
  const sub = `chameleon-${Date.now()}`;
  const before = await joinChat(server, stream.id, server.token({ sub, username: 'cham', display_name: 'Old Name', level: 1 }));
  const ack1 = await sendAcked(before, 'said as Old Name');
  await before.close();
  const after = await joinChat(server, stream.id,
    server.token({ sub, username: 'cham', display_name: 'New Name', level: 9, premium: true }));
  const old = after.history.data.find((m) => m.id === ack1.data.id);
  assert.equal(old.user.display_name, 'Old Name', 'history keeps the old snapshot');
  assert.equal(old.user.level, 1);
  const ack2 = await sendAcked(after, 'said as New Name');
  const m = await after.next((e) => e.type === 'message' && e.data.id === ack2.data.id);
  assert.equal(m.data.user.display_name, 'New Name');
  assert.equal(m.data.user.level, 9);
  assert.equal(m.data.user.is_premium, true);
  await after.close();
});

test('a hundred viewers all receive a message, and the count says so', async () => {
  const stream = await createStream(server, owner, { title: 'crowd' });
  const crowd = [];
  for (let i = 0; i < 100; i += 20) {
    crowd.push(...await Promise.all(Array.from({ length: 20 }, () => joinChat(server, stream.id, server.token(freshUser('fan'))))));
  }
  const last = await joinChat(server, stream.id, server.token(freshUser('late')));
  assert.equal((await last.next('viewer_count')).data.count, 101);
  const ack = await sendAcked(last, 'hello crowd');
  await Promise.all(crowd.map((c) => c.next((e) => e.type === 'message' && e.data.id === ack.data.id, 5000)));
  await Promise.all([...crowd, last].map((c) => c.close()));
});
