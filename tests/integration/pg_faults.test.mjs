// pg_faults.test.mjs (PostgreSQL only: integration-pg.pg_faults): the database
// goes away under a chatting node and comes back.
//  - stopped and started during a send loop: sends are refused with
//    store_unavailable, /readyz says 503, the node reconnects by itself, chat
//    resumes, and nothing acked is lost;
//  - kill -9 of PostgreSQL mid-burst: every message any client saw acked (or
//    saw broadcast) is in the history afterwards, once.
// sorakd is never restarted here. Each test stops the fixture's PostgreSQL and
// leaves it running again for the files after this one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, allHistory, freshUser, sleep, waitFor, postgresCtl, postgresCheckpoint, ON_POSTGRES,
} from './lib/server.mjs';

const owner = { sub: 'owner', username: 'owner' };
let server;

before(async () => {
  assert.ok(ON_POSTGRES, 'run as integration-pg.pg_faults (SORAK_TEST_STORE=postgres)');
  server = await startServer({ args: ['--rate-limit', '0'] });
});

after(() => {
  // Whatever happened above, the next test file needs its database server.
  postgresCtl('restart');  // fails this file loudly if it cannot: the files after it would fail obscurely
});

async function readyStatus() {
  try {
    const r = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(15000) });
    return { status: r.status, body: await r.json() };
  } catch (e) {
    return { status: 0, body: { error: String(e) } };
  }
}

// Every acked client_id → message id, across the senders.
function ackedIds(clients) {
  const out = new Map();
  for (const c of clients) for (const a of c.ofType('ack')) out.set(a.client_id, a.data.id);
  return out;
}

test('PostgreSQL stopped and started during a send loop: refused with store_unavailable, /readyz 503, chat resumes, nothing acked lost', async () => {
  const stream = await createStream(server, owner, { title: 'pg restart' });
  const unopened = await createStream(server, owner, { title: 'nobody has joined it yet' });
  const viewer = await joinChat(server, stream.id, server.token(freshUser('viewer')));
  const sender = await joinChat(server, stream.id, server.token(freshUser('sender')));
  assert.equal((await readyStatus()).status, 200);

  // One message every 20 ms, each with its own client_id, for as long as the test runs.
  const sent = [];
  let sending = true;
  const loop = (async () => {
    for (let i = 0; sending; i++) {
      const client_id = `loop-${i}`;
      sender.send({ type: 'message', content: `loop ${i}`, client_id });
      sent.push(client_id);
      await sleep(20);
    }
  })();
  await waitFor(() => sender.ofType('ack').length >= 10, { timeoutMs: 10000, what: '10 acks before the stop' });

  postgresCtl('halt');  // stops the server, keeps its data (`stop` would remove a cluster kept under /tmp)
  try {
    // Sends made while it is down are refused, clearly, and the node says it is not ready.
    await waitFor(() => sender.ofType('error').some((e) => e.code === 'store_unavailable'),
      { timeoutMs: 15000, what: () => `a store_unavailable error (got ${sender.summary()})` });
    const down = await readyStatus();
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.body.code, 'store_unavailable');
    const otherCodes = sender.ofType('error').map((e) => e.code).filter((c) => c !== 'store_unavailable');
    assert.deepEqual(otherCodes, [], 'no other error while the store is down');
    // Joining a stream whose room is not open yet needs the store: the client is told to come back
    // (1013, which clients retry), never that the stream does not exist (4004, which they give up on).
    await assert.rejects(joinChat(server, unopened.id, server.token(freshUser('newcomer'))), /\(1013 store_unavailable\)/);
    const ackedWhileDown = sender.ofType('ack').length;
    await sleep(1000);
    assert.ok(sender.ofType('ack').length - ackedWhileDown <= 1, 'nothing is acked while the store is down');
  } finally {
    postgresCtl('restart');
  }

  // It comes back by itself: ready again and sends acked again, same connections.
  await waitFor(async () => (await readyStatus()).status === 200, { timeoutMs: 60000, what: '/readyz 200 again' });
  const acksBefore = sender.ofType('ack').length;
  await waitFor(() => sender.ofType('ack').length >= acksBefore + 10, { timeoutMs: 20000, what: '10 acks after the restart' });
  sending = false;
  await loop;
  assert.ok(sender.isOpen() && viewer.isOpen(), 'the viewers stayed connected');
  const newcomer = await joinChat(server, unopened.id, server.token(freshUser('newcomer')));
  assert.ok(newcomer.isOpen(), 'the stream opens once the store is back');
  await newcomer.close();

  // Resending what was not acked (same client_id) stores it once: the whole loop ends up in history.
  const acked = ackedIds([sender]);
  const missing = sent.filter((id) => !acked.has(id));
  assert.ok(missing.length > 0, 'some sends were refused while the store was down');
  for (const client_id of missing) sender.send({ type: 'message', content: `loop ${client_id.slice(5)}`, client_id });
  await waitFor(() => ackedIds([sender]).size === sent.length,
    { timeoutMs: 20000, what: () => `${sent.length} acks (have ${ackedIds([sender]).size})` });

  await sleep(200);
  const { messages } = await allHistory(server, stream.id, server.token(owner));
  const ids = messages.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no message twice');
  const inHistory = new Set(ids);
  for (const [client_id, id] of ackedIds([sender])) assert.ok(inHistory.has(id), `${client_id} was acked but is not in history`);
  assert.equal(messages.length, sent.length, 'every send of the loop is stored once');
  // The viewer saw only stored messages, in the stored order.
  const live = viewer.ofType('message').map((e) => e.data.id);
  const order = new Map(ids.map((id, i) => [id, i]));
  for (const id of live) assert.ok(order.has(id), 'a broadcast message is in history');
  for (let i = 1; i < live.length; i++) assert.ok(order.get(live[i]) > order.get(live[i - 1]), 'live order = history order');
  await Promise.all([viewer.close(), sender.close()]);
});

test('kill -9 of PostgreSQL mid-burst: every message any client saw acked or broadcast is in history afterwards', async () => {
  postgresCheckpoint();  // the crash recovery below replays this test's writes, not the whole suite's
  const stream = await createStream(server, owner, { title: 'pg kill -9' });
  const viewer = await joinChat(server, stream.id, server.token(freshUser('viewer')));
  const senders = await Promise.all([0, 1, 2, 3].map((k) => joinChat(server, stream.id, server.token(freshUser(`b${k}`)))));
  let sending = true;
  const pumps = senders.map(async (s, k) => {
    for (let i = 0; sending && s.isOpen(); i++) {
      s.send({ type: 'message', content: `burst ${k}-${i}`, client_id: `b-${k}-${i}` });
      // Up to 8 in flight per sender: a burst, not a trickle.
      while (sending && s.isOpen() && i + 1 - s.ofType('ack').length - s.ofType('error').length >= 8) await sleep(1);
    }
  });
  const acked = () => senders.reduce((a, s) => a + s.ofType('ack').length, 0);
  await waitFor(() => acked() >= 300, { timeoutMs: 20000, intervalMs: 1, what: '300 acks' });
  postgresCtl('kill9');
  await sleep(500);
  sending = false;
  await Promise.all(pumps);
  // What the clients saw before and around the crash.
  const seen = new Set(viewer.ofType('message').map((e) => e.data.id));
  for (const id of ackedIds(senders).values()) seen.add(id);
  assert.ok(seen.size >= 300);
  postgresCtl('restart');
  await waitFor(async () => (await readyStatus()).status === 200, { timeoutMs: 90000, what: '/readyz 200 after the crash' });

  const { messages } = await allHistory(server, stream.id, server.token(owner));
  const ids = messages.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no message twice');
  const inHistory = new Set(ids);
  const lost = [...seen].filter((id) => !inHistory.has(id));
  assert.deepEqual(lost, [], `${lost.length} of ${seen.size} messages a client saw are missing after the crash`);
  // And the node goes on: a new message is acked and stored.
  const next = await joinChat(server, stream.id, server.token(freshUser('after')));
  next.send({ type: 'message', content: 'after the crash', client_id: 'after-1' });
  const ack = await next.next((e) => e.type === 'ack' && e.client_id === 'after-1', 20000);
  assert.ok(ack.data.id);
  await Promise.all([viewer, next, ...senders].map((c) => c.close()));
});
