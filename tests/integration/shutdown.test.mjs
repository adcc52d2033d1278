// shutdown.test.mjs: SIGTERM and SIGINT mid-stream (CONTRACT §13): sorakd
// stops accepting, stores every message it accepted, closes every viewer
// with 1001 and exits 0; after a restart the history holds every message
// that was acked or broadcast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startServer, createStream, joinChat, openWs, freshUser, allHistory, api, sleep, waitFor } from './lib/server.mjs';

async function shutdownMidStream(signal) {
  // The senders offer ~20 k messages/s to 8 connections this process reads; under the sanitizer
  // build the reading can fall more than the default 1 MiB behind, and a viewer cut as a slow
  // consumer (1008) is slow_consumer.test.mjs's subject, not this one's.
  const server = await startServer({ args: ['--rate-limit', '0', '--rate-limit-mod', '0', '--max-queue-bytes', String(64 << 20)] });
  const owner = { sub: 'owner', username: 'owner' };
  const stream = await createStream(server, owner, { title: `shutdown ${signal}` });
  const viewers = await Promise.all(Array.from({ length: 3 }, () => joinChat(server, stream.id, server.token(freshUser('v')))));
  const senders = await Promise.all(Array.from({ length: 5 }, () => joinChat(server, stream.id, server.token(freshUser('s')))));

  // Each sender pushes 20 messages every 5 ms until its connection closes.
  let sent = 0;
  const timers = senders.map((c, k) => setInterval(() => {
    if (!c.isOpen()) return;
    for (let i = 0; i < 20; i++) c.send({ type: 'message', content: `m ${k} ${sent}`, client_id: `c-${k}-${sent++}` });
  }, 5));
  let exit;
  let t0;
  try {
    await waitFor(() => viewers[0].ofType('message').length >= 300, { timeoutMs: 10000, what: 'traffic' });
    t0 = Date.now();
    process.kill(server.pid, signal);
    exit = await server.proc._exited;
  } finally {
    // Also when the wait fails: a running interval would keep the test process alive until
    // ctest's timeout.
    timers.forEach(clearInterval);
  }
  const took = Date.now() - t0;
  assert.deepEqual(exit, { code: 0, signal: null }, `exit status after ${signal}`);
  assert.ok(took < 5000, `stopped promptly (${took} ms)`);

  for (const c of [...viewers, ...senders]) {
    const { code, reason } = await c.closed;
    assert.equal(code, 1001, `close code (${reason})`);
    assert.match(reason, /shutting down/);
  }
  const acked = senders.flatMap((c) => c.ofType('ack').map((a) => a.data.id));
  const broadcast = new Set(viewers.flatMap((c) => c.ofType('message').map((m) => m.data.id)));
  assert.ok(acked.length >= 300, `acks arrived (${acked.length})`);
  const refused = senders.flatMap((c) => c.ofType('error')).map((e) => e.code);
  assert.ok(refused.every((code) => code === 'shutting_down'), `only shutting_down refusals: ${[...new Set(refused)]}`);

  await server.restart();
  const { messages } = await allHistory(server, stream.id, server.token(owner), { limit: 100 });
  const stored = new Set(messages.map((m) => m.id));
  const lostAcked = acked.filter((id) => !stored.has(id));
  const lostSeen = [...broadcast].filter((id) => !stored.has(id));
  assert.equal(lostAcked.length, 0, `acked messages missing after restart: ${lostAcked.length} of ${acked.length}`);
  assert.equal(lostSeen.length, 0, `broadcast messages missing after restart: ${lostSeen.length} of ${broadcast.size}`);
  assert.equal(new Set(messages.map((m) => m.content)).size, messages.length, 'nothing stored twice');
  assert.equal((await api(server, 'GET', '/healthz')).status, 200);
  await server.stop();
  return { sent, acked: acked.length, stored: messages.length };
}

test('SIGTERM mid-stream: every acked or broadcast message survives, viewers get 1001, exit 0', async () => {
  await shutdownMidStream('SIGTERM');
});

test('SIGINT behaves the same', async () => {
  await shutdownMidStream('SIGINT');
});

test('during shutdown /readyz answers 503 and new connections are refused', async () => {
  // A viewer that never answers the close keeps the shutdown in its close
  // wait (bounded) long enough to look at the server from outside.
  const server = await startServer();
  const stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'draining' });
  const stubborn = await openWs(server, stream.id, server.token(freshUser()));
  await stubborn.next('history');
  stubborn.pause();  // reads nothing: its close frame is never answered
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path) => new Promise((resolve, reject) => {
    http.get(`${server.url}${path}`, { agent }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
  assert.equal((await get('/readyz')).status, 200);  // opens the kept-alive connection
  process.kill(server.pid, 'SIGTERM');
  await sleep(300);
  const ready = await get('/readyz');
  assert.equal(ready.status, 503, 'a load balancer takes the node out at once');
  assert.equal(JSON.parse(ready.body).code, 'shutting_down');
  const refused = await new Promise((resolve) => {
    const sock = net.connect(server.port, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve('connected'); });
    sock.once('error', (e) => resolve(e.code));
  });
  assert.equal(refused, 'ECONNREFUSED', 'no new connection is accepted');
  const exit = await server.proc._exited;
  assert.equal(exit.code, 0);
  stubborn.terminate();
  agent.destroy();
});
