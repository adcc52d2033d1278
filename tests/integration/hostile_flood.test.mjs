// hostile_flood.test.mjs: clients sending far past the chat rate limit
// (20 per 30 s by default). The limit holds, refusals are `rate_limited`
// error events, a connection that keeps flooding is closed with 1008, and
// everyone else chats at normal speed throughout.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createStream, joinChat, freshUser, waitFor, sleep } from './lib/server.mjs';
import { assertServesNormally } from './lib/hostile.mjs';

let server;
let stream;

before(async () => {
  server = await startServer();
  stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'flood' });
});

test('2,000 messages at once: 20 go out, the rest are refused, and the flooder is cut with 1008', async () => {
  const watcher = await joinChat(server, stream.id, server.token(freshUser('watcher')));
  const flooder = await joinChat(server, stream.id, server.token(freshUser('flooder')));
  for (let i = 0; i < 2000; i++) flooder.send({ type: 'message', content: `flood ${i}` });
  const { code, reason } = await flooder.closed;
  assert.equal(code, 1008);
  assert.match(reason, /flood/);
  const errors = flooder.ofType('error');
  assert.ok(errors.length >= 10, `refusals were reported first (${errors.length})`);
  for (const e of errors) {
    assert.equal(e.code, 'rate_limited');
    assert.ok(e.retry_after_ms > 0 && e.retry_after_ms <= 30000, `retry_after_ms ${e.retry_after_ms}`);
  }
  await sleep(300);
  const seen = watcher.ofType('message').filter((m) => m.data.content.startsWith('flood '));
  assert.equal(seen.length, 20, 'exactly the rate limit reached the room');
  assert.deepEqual(seen.map((m) => m.data.content), Array.from({ length: 20 }, (_, i) => `flood ${i}`));
  await watcher.close();
  await assertServesNormally(server, stream.id);
});

test('one user flooding from 20 connections at once still gets 20 messages out in total', async () => {
  const watcher = await joinChat(server, stream.id, server.token(freshUser('watcher2')));
  const user = freshUser('multi');
  const conns = await Promise.all(Array.from({ length: 20 }, () => joinChat(server, stream.id, server.token(user))));
  for (let i = 0; i < 200; i++) for (const [k, c] of conns.entries()) c.send({ type: 'message', content: `multi ${k}.${i}` });
  await Promise.all(conns.map((c) => c.closed));
  for (const c of conns) assert.equal(c.closeInfo.code, 1008);
  await sleep(300);
  const seen = watcher.ofType('message').filter((m) => m.data.content.startsWith('multi '));
  assert.equal(seen.length, 20);
  await watcher.close();
  await assertServesNormally(server, stream.id);
});

test('a cut flooder may reconnect and read, and is still limited', async () => {
  const user = freshUser('returning');
  const watcher = await joinChat(server, stream.id, server.token(freshUser('watcher3')));
  const c = await joinChat(server, stream.id, server.token(user));
  for (let i = 0; i < 100; i++) c.send({ type: 'message', content: `again ${i}` });
  assert.equal((await c.closed).code, 1008);
  await watcher.next((e) => e.type === 'message' && e.data.content === 'again 19');  // stored and broadcast
  await watcher.close();
  const back = await joinChat(server, stream.id, server.token(user));
  assert.ok(back.history.data.some((m) => m.data === undefined && m.content === 'again 19'));
  back.send({ type: 'message', content: 'one more' });
  const err = await back.next('error');
  assert.equal(err.code, 'rate_limited');
  assert.ok(back.isOpen(), 'a single refusal does not close');
  await back.close();
});

test('a flood of pings and malformed frames is answered without hurting anyone', async () => {
  const watcher = await joinChat(server, stream.id, server.token(freshUser('w3')));
  const noisy = await joinChat(server, stream.id, server.token(freshUser('noisy')));
  for (let i = 0; i < 5000; i++) noisy.send({ type: 'ping' });
  for (let i = 0; i < 1000; i++) noisy.sendRaw('{ not json');
  await waitFor(() => noisy.ofType('pong').length === 5000 && noisy.ofType('error').length === 1000,
    { timeoutMs: 10000, what: () => `5000 pongs and 1000 errors, got ${noisy.ofType('pong').length}/${noisy.ofType('error').length}` });
  assert.ok(noisy.isOpen());
  await assertServesNormally(server, stream.id);
  await noisy.close();
  await watcher.close();
});
