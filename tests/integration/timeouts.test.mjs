// timeouts.test.mjs: keep-alive pings, idle cut-off and viewer counts, with short intervals.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createStream, joinChat, openWs, freshUser, sleep } from './lib/server.mjs';

let server;
let stream;

before(async () => {
  server = await startServer({
    args: ['--ping-interval-ms', '300', '--idle-timeout-ms', '1500', '--viewer-count-interval-ms', '200'],
  });
  stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'timeouts' });
});

test('the server sends WebSocket pings every ping interval', async () => {
  const c = await joinChat(server, stream.id, server.token(freshUser()));
  const start = c.pings;
  await sleep(1300);
  const got = c.pings - start;
  assert.ok(got >= 3 && got <= 6, `about 4 pings in 1.3 s at 300 ms, got ${got}`);
  await c.close();
});

test('a client that answers nothing is closed (1001) after the idle timeout', async () => {
  const t0 = Date.now();
  const c = await openWs(server, stream.id, server.token(freshUser('silent')), { wsOptions: { autoPong: false } });
  const { code } = await c.closed;
  const took = Date.now() - t0;
  assert.equal(code, 1001);
  assert.ok(took >= 1200, `not before the idle timeout (${took} ms)`);
  assert.ok(took <= 2500, `closed within ~2 s (${took} ms)`);
  assert.ok(c.pings >= 2, 'it was pinged meanwhile');
});

test('a client that answers pings stays connected', async () => {
  const c = await joinChat(server, stream.id, server.token(freshUser('ponger')));  // ws answers pings itself
  await sleep(3200);
  assert.ok(c.isOpen(), `still open after 3.2 s (close: ${JSON.stringify(c.closeInfo)})`);
  c.send({ type: 'ping' });
  await c.next('pong');
  await c.close();
});

test('a client that sends {"type":"ping"} but no pongs stays connected', async () => {
  const c = await openWs(server, stream.id, server.token(freshUser('app-pinger')), { wsOptions: { autoPong: false } });
  const timer = setInterval(() => { if (c.isOpen()) c.send({ type: 'ping' }); }, 500);
  try {
    await sleep(3200);
    assert.ok(c.isOpen(), `still open after 3.2 s (close: ${JSON.stringify(c.closeInfo)})`);
    assert.ok(c.ofType('pong').length >= 5);
  } finally {
    clearInterval(timer);
  }
  await c.close();
});

test('viewer_count follows viewers joining and leaving, only when it changes', async () => {
  const s = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'counting' });
  const a = await joinChat(server, s.id, server.token(freshUser('a')));
  assert.deepEqual((await a.next('viewer_count')).data, { count: 1 });

  const b = await joinChat(server, s.id, server.token(freshUser('b')));
  assert.deepEqual((await b.next('viewer_count')).data, { count: 2 }, 'the newcomer sees 2');
  const t0 = Date.now();
  const up = await a.next('viewer_count', 1500);
  assert.deepEqual(up.data, { count: 2 });
  assert.ok(up._at - t0 < 1000, `the first viewer learns of the second soon (${up._at - t0} ms)`);

  // Nothing changes for 1 s (five intervals): no repeated counts.
  await sleep(1000);
  assert.equal(a.ofType('viewer_count').length, 2, `no repeats: ${JSON.stringify(a.ofType('viewer_count'))}`);

  const t1 = Date.now();
  await b.close();
  const down = await a.next('viewer_count', 1500);
  assert.deepEqual(down.data, { count: 1 });
  assert.ok(down._at - t1 < 1000, `the leave is seen soon (${down._at - t1} ms)`);

  // A refused (4001) connection is not a viewer.
  const bad = await openWs(server, s.id, 'garbage');
  await bad.closed;
  await sleep(600);
  assert.deepEqual(a.ofType('viewer_count').map((e) => e.data.count), [1, 2, 1]);
  await a.close();
});
