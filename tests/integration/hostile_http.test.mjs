// hostile_http.test.mjs: hostile HTTP clients: 100 KiB header blocks, bytes
// that are not HTTP, and 200 slowloris connections trickling their headers
// byte by byte. Each gets a JSON error or is timed out and closed, and the
// server keeps serving everyone else at normal speed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, createStream, joinChat, freshUser, sendAcked, api, sleep } from './lib/server.mjs';
import { rawConnect, parseHttp, assertServesNormally } from './lib/hostile.mjs';

const HTTP_TIMEOUT_MS = 2000;
let server;
let stream;

before(async () => {
  server = await startServer({ args: ['--http-timeout-ms', String(HTTP_TIMEOUT_MS)] });
  stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'hostile http' });
});

// Sends `bytes`, reads until the server closes; → {res, error, closedAfterMs}.
async function sendRaw(bytes) {
  const c = await rawConnect(server);
  const t0 = Date.now();
  c.sock.write(bytes);
  const { at, error } = await c.ended;
  return { res: parseHttp(c.data), error, closedAfterMs: at - t0 };
}

test('a 100 KiB header block gets 431 with a JSON body and the connection is closed', async () => {
  const big = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`;
  const one = await sendRaw(big);
  assert.ok(one.res, `a response was read before the close (${one.error?.code})`);
  assert.equal(one.res.status, 431);
  assert.equal(one.res.json.code, 'headers_too_large');
  assert.equal(one.res.headers['content-type'], 'application/json');
  assert.ok(one.closedAfterMs < 3000, `closed promptly (${one.closedAfterMs} ms)`);

  // The same size spread over 2,000 small headers, on a WebSocket upgrade.
  const many = Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'b'.repeat(45)}\r\n`).join('');
  const two = await sendRaw(`GET /api/v1/streams/${stream.id}/chat/ws?token=x HTTP/1.1\r\nHost: x\r\n` +
    `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
    `Sec-WebSocket-Version: 13\r\n${many}\r\n`);
  assert.equal(two.res?.status, 431, JSON.stringify(two.res));
  assert.equal(two.res.json.code, 'headers_too_large');

  // A 100 KiB request line.
  const three = await sendRaw(`GET /${'c'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.ok([400, 431].includes(three.res?.status), JSON.stringify(three.res));
  assert.equal(typeof three.res.json.code, 'string');
});

test('bytes that are not HTTP get 400 with a JSON body; the connection is closed', async () => {
  const garbage = await sendRaw(Buffer.concat([Buffer.from('\x16\x03\x01\x02\x00'), randomBytes(2000)]));
  if (garbage.res) {
    assert.equal(garbage.res.status, 400);
    assert.equal(garbage.res.json.code, 'bad_request');
  }
  const line = await sendRaw('HELLO THERE\r\n\r\n');
  assert.equal(line.res?.status, 400);
  assert.equal(line.res.json.code, 'bad_request');
  const badLength = await sendRaw('POST /api/v1/streams HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
  assert.equal(badLength.res?.status, 400);
  const huge = await sendRaw('POST /api/v1/streams HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n');
  assert.equal(huge.res?.status, 413);
  assert.equal(huge.res.json.code, 'payload_too_large');
});

test('200 slowloris connections are timed out, and the server keeps serving meanwhile', async () => {
  const conns = await Promise.all(Array.from({ length: 200 }, () => rawConnect(server)));
  const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\nX-A: ' + 'z'.repeat(200);
  let i = 0;
  const t0 = Date.now();
  const trickle = setInterval(() => {  // one byte per connection every 20 ms, never finishing the headers
    if (i >= request.length) return;
    for (const c of conns) if (!c.sock.destroyed) c.sock.write(request[i]);
    i++;
  }, 20);
  const closedAt = Promise.all(conns.map((c) => c.ended.then(({ at }) => at - c.connectedAt)));
  try {
    // While they trickle, a chat goes on at normal speed.
    await sleep(500);
    const viewer = await joinChat(server, stream.id, server.token(freshUser('v')));
    const sender = await joinChat(server, stream.id, server.token(freshUser('s')));
    for (let k = 0; k < 5; k++) {
      const t = Date.now();
      await sendAcked(sender, `during slowloris ${k}`);
      const got = await viewer.next((e) => e.type === 'message' && e.data.content === `during slowloris ${k}`);
      assert.ok(got._at - t < 1000, `message ${k} took ${got._at - t} ms`);
      assert.equal((await api(server, 'GET', '/healthz')).status, 200);
    }
    await viewer.close();
    await sender.close();

    const times = await closedAt;
    const last = Math.max(...times);
    const first = Math.min(...times);
    assert.ok(first >= HTTP_TIMEOUT_MS - 100, `not cut before the timeout (first after ${first} ms)`);
    assert.ok(last <= HTTP_TIMEOUT_MS + 2000, `all 200 closed by the server soon after the timeout (last after ${last} ms)`);
    for (const c of conns) assert.equal(parseHttp(c.data), null, 'no response to an unfinished request');
    assert.ok(i < request.length, 'they were still trickling when cut');
  } finally {
    clearInterval(trickle);
    for (const c of conns) c.sock.destroy();
  }
  await assertServesNormally(server, stream.id);
});

test('a keep-alive connection that goes quiet, or never sends a byte, is closed at the timeout', async () => {
  const silent = await rawConnect(server);
  const idle = await rawConnect(server);
  const t0 = Date.now();
  idle.sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  const [a, b] = await Promise.all([silent.ended, idle.ended]);
  assert.equal(parseHttp(idle.data)?.status, 200, 'the request was answered');
  // The silent one from its connect, the other from its request.
  for (const [at, from] of [[a.at, silent.connectedAt], [b.at, t0]]) {
    assert.ok(at - from >= HTTP_TIMEOUT_MS - 100 && at - from <= HTTP_TIMEOUT_MS + 1500, `closed after ${at - from} ms`);
  }
});

test('after all of it, a normal client chats at normal speed and /healthz is 200', async () => {
  await assertServesNormally(server, stream.id);
});
