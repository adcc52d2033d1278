// hostile_connections.test.mjs: 2,000 WebSockets from one address, with the
// per-address caps of CONTRACT §13 off (the default: all are accepted, as
// for viewers behind carrier NAT) and on (--max-connections-per-ip,
// --connect-rate-per-ip: the upgrades over the cap get 429 with a JSON error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createStream, openWs, joinChat, freshUser, sleep } from './lib/server.mjs';
import { assertServesNormally, rawConnect, parseHttp } from './lib/hostile.mjs';

// Opens `n` chat WebSockets from 127.0.0.1, `batch` at a time. → {open, refused}
// where refused holds the errors of the refused upgrades.
async function openMany(server, streamId, n, batch = 200) {
  const token = server.token(freshUser('crowd'));
  const open = [];
  const refused = [];
  for (let i = 0; i < n; i += batch) {
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(batch, n - i) }, () => openWs(server, streamId, token)));
    for (const r of results) (r.status === 'fulfilled' ? open : refused).push(r.status === 'fulfilled' ? r.value : r.reason);
  }
  return { open, refused };
}

async function closeAll(clients) {
  await Promise.all(clients.map((c) => c.terminate()));
}

test('caps off (the default): 2,000 connections from one address are all accepted', async () => {
  const server = await startServer();
  const stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'crowd' });
  const { open, refused } = await openMany(server, stream.id, 2000);
  assert.equal(refused.length, 0, `none refused (first: ${refused[0]?.message})`);
  assert.equal(open.length, 2000);
  await Promise.all(open.map((c) => c.next('history', 15000)));
  await assertServesNormally(server, stream.id);
  await closeAll(open);
  await server.stop();
});

test('--max-connections-per-ip 500: of 2,000 upgrades 500 are accepted, the rest get 429 JSON', async () => {
  const server = await startServer({ args: ['--max-connections-per-ip', '500'] });
  const stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'capped' });
  const { open, refused } = await openMany(server, stream.id, 2000);
  assert.equal(open.length, 500);
  assert.equal(refused.length, 1500);
  for (const e of refused) {
    assert.equal(e.status, 429, e.message);
    const body = JSON.parse(e.body);
    assert.equal(body.code, 'too_many_connections');
    assert.match(body.error, /at most 500/);
  }
  // The accepted ones work; other addresses are not affected.
  await Promise.all(open.map((c) => c.next('history', 15000)));
  await assertServesNormally(server, stream.id, { localAddress: '127.0.0.2' });

  // Closing connections frees places for the address.
  await closeAll(open.slice(0, 100));
  await sleep(300);
  const again = await openMany(server, stream.id, 150);
  assert.equal(again.open.length, 100, 'as many as were closed');
  assert.equal(again.refused.length, 50);

  // When all close, the address starts from zero again.
  await closeAll([...open.slice(100), ...again.open]);
  await sleep(300);
  const fresh = await openMany(server, stream.id, 500);
  assert.equal(fresh.open.length, 500);
  assert.equal(fresh.refused.length, 0);
  await closeAll(fresh.open);
  await assertServesNormally(server, stream.id);
  await server.stop();
});

test('--connect-rate-per-ip 20/2: upgrades past the rate get 429 with Retry-After until the window slides', async () => {
  const server = await startServer({ args: ['--connect-rate-per-ip', '20/2'] });
  const stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'rate' });
  const t0 = Date.now();
  const { open, refused } = await openMany(server, stream.id, 100, 100);
  assert.ok(Date.now() - t0 < 2000, 'the storm fits in the window');
  assert.equal(open.length, 20);
  assert.equal(refused.length, 80);
  for (const e of refused) {
    assert.equal(e.status, 429);
    assert.equal(JSON.parse(e.body).code, 'connect_rate_limited');
  }
  // Closing does not give back rate: the window must slide.
  await closeAll(open);
  const raw = await rawConnect(server);
  raw.sock.write(`GET /api/v1/streams/${stream.id}/chat/ws?token=x HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n` +
    'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  await raw.ended;
  const res = parseHttp(raw.data);
  assert.equal(res.status, 429);
  assert.equal(res.json.code, 'connect_rate_limited');
  const wait = Number(res.headers['retry-after']);
  assert.ok(wait >= 1 && wait <= 2, `Retry-After ${res.headers['retry-after']}`);
  await sleep(2100);
  const later = await joinChat(server, stream.id, server.token(freshUser()));
  await later.close();
  await assertServesNormally(server, stream.id);
  await server.stop();
});

test('a flag value that does not parse stops sorakd with exit code 2', async () => {
  await assert.rejects(startServer({ args: ['--connect-rate-per-ip', 'lots'] }), /exited \(code 2/);
  await assert.rejects(startServer({ args: ['--max-connections-per-ip', '-1'] }), /exited \(code 2/);
});
