// two_writers.test.mjs: two sorakd on ONE PostgreSQL database, writing to the same stream at
// once. Every send is acked, and the REST history holds every acked message exactly once, in one
// total order (strictly increasing created_at), numbered 1..N by the store without a gap.
//
// PostgreSQL only (ctest integration-pg.two_writers): SQLite is one process's file.
//
// The nodes run with the default --broker memory, so neither hears of the other's messages live,
// and each one's newest REST page comes from its own room's ring: that both nodes answer alike is
// the Redis broker's part (issue 17). Here a node started after the writes, whose room opens from
// the database, checks the store: one order, and the store's sequence 1..N without a gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  ON_POSTGRES, createDatabase, startServer, createStream, joinChat, allHistory, freshUser, sleep, waitFor,
} from './lib/server.mjs';

const NODES = 2;
const SENDERS = 4;        // per node
const PER_SENDER = 100;   // 800 messages in all
const IN_FLIGHT = 4;      // unacked messages each sender keeps going
const owner = { sub: 'owner', username: 'owner' };
const clientId = (n, k, i) => `tw-${n}-${k}-${i}`;
const content = (n, k, i) => `node ${n} sender ${k} message ${i}`;
const skip = !ON_POSTGRES && 'two sorakd share one store only on PostgreSQL (run as ctest integration-pg.two_writers)';

let run = null;  // {db, nodes, stream, acks: Map client_id → ack} once every send is acked

// Starts the nodes on one database with one JWT secret and admin key.
async function startNodes() {
  const db = createDatabase();
  const secret = randomBytes(24).toString('hex');
  const adminKey = 'adm_' + randomBytes(18).toString('hex');
  const nodes = [];
  for (let n = 0; n < NODES; n++) {
    nodes.push(await startServer({ secret, adminKey, args: ['--store', db.url, '--rate-limit', '0'] }));
  }
  return { db, nodes };
}

// Sends PER_SENDER messages with client_ids, IN_FLIGHT at a time; resolves once all are acked.
async function pump(client, n, k) {
  for (let i = 0; i < PER_SENDER; i++) {
    client.send({ type: 'message', content: content(n, k, i), client_id: clientId(n, k, i) });
    while (client.isOpen() && !client.counts.error && i + 1 - (client.counts.ack || 0) >= IN_FLIGHT) await sleep(1);
    if (!client.isOpen()) throw new Error(`sender ${n}/${k} closed after ${i + 1} sends: ${JSON.stringify(client.closeInfo)}`);
  }
  await waitFor(() => (client.counts.ack || 0) >= PER_SENDER || client.ofType('error').length > 0, {
    timeoutMs: 30000, what: () => `sender ${n}/${k}: ${PER_SENDER} acks (has ${client.counts.ack || 0})`,
  });
  assert.deepEqual(client.ofType('error'), [], `sender ${n}/${k} got errors`);
}

// Every acked message exactly once, in strictly increasing created_at; each sender's own
// messages in the order it sent them.
function checkHistory(messages, acks, label) {
  const ids = messages.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, `${label}: no message twice`);
  const byId = new Map(messages.map((m) => [m.id, m]));
  const missing = [...acks.values()].filter((a) => !byId.has(a.data.id));
  assert.deepEqual(missing.map((a) => a.client_id), [], `${label}: acked messages missing from the history`);
  assert.equal(messages.length, acks.size, `${label}: nothing but the acked messages`);
  for (const [cid, a] of acks) {
    const [, n, k, i] = cid.split('-');
    assert.equal(byId.get(a.data.id).content, content(n, k, i), `${label}: ${cid} holds what was sent`);
    assert.equal(byId.get(a.data.id).created_at, a.data.created_at, `${label}: ${cid} has its acked created_at`);
  }
  for (let j = 1; j < messages.length; j++) {
    assert.ok(messages[j].created_at > messages[j - 1].created_at,
      `${label}: created_at strictly increases (${messages[j - 1].created_at} then ${messages[j].created_at} at ${j})`);
  }
  const position = new Map(ids.map((id, j) => [id, j]));
  for (let n = 0; n < NODES; n++) {
    for (let k = 0; k < SENDERS; k++) {
      for (let i = 1; i < PER_SENDER; i++) {
        const prev = position.get(acks.get(clientId(n, k, i - 1)).data.id);
        const cur = position.get(acks.get(clientId(n, k, i)).data.id);
        assert.ok(prev < cur, `${label}: ${clientId(n, k, i - 1)} before ${clientId(n, k, i)}`);
      }
    }
  }
}

test('senders on two nodes of one database, all at once: every send is acked once', { skip }, async () => {
  const { db, nodes } = await startNodes();
  const stream = await createStream(nodes[0], owner, { title: 'two writers' });
  const senders = [];
  for (let n = 0; n < NODES; n++) {
    for (let k = 0; k < SENDERS; k++) {
      senders.push({ n, k, client: await joinChat(nodes[n], stream.id, nodes[n].token(freshUser(`w${n}-${k}`))) });
    }
  }
  await Promise.all(senders.map(({ n, k, client }) => pump(client, n, k)));
  const acks = new Map();
  for (const { client } of senders) {
    for (const a of client.ofType('ack')) {
      assert.ok(!acks.has(a.client_id), `${a.client_id} acked twice`);
      acks.set(a.client_id, a);
    }
  }
  assert.equal(acks.size, NODES * SENDERS * PER_SENDER);
  assert.equal(new Set([...acks.values()].map((a) => a.data.id)).size, acks.size, 'every ack has its own message id');
  for (const { client } of senders) await client.close();
  run = { db, nodes, stream, acks };
});

test('a node started after the writes reads the same history from the database', { skip }, async (t) => {
  if (!run) return t.skip('the writes failed');
  const late = await startServer({ secret: run.nodes[0].secret, adminKey: run.nodes[0].adminKey,
    args: ['--store', run.db.url, '--rate-limit', '0'] });
  const { messages } = await allHistory(late, run.stream.id, late.token(freshUser('reader')), { limit: 100 });
  checkHistory(messages, run.acks, 'a late node');
  // The store's own numbering: 1..N with no gap or repeat, in the order history shows.
  const rows = execFileSync('psql', ['-X', '-A', '-t', '-d', run.db.url, '-c',
    `SELECT id || ' ' || stream_seq FROM messages WHERE stream_id = '${run.stream.id}' ORDER BY stream_seq`],
  { encoding: 'utf8' }).trim().split('\n').map((line) => line.split(' '));
  assert.deepEqual(rows.map(([, seq]) => Number(seq)), messages.map((_, j) => j + 1), 'seq runs 1..N without a gap');
  assert.deepEqual(rows.map(([id]) => id), messages.map((m) => m.id), 'history is in seq order');
  await late.stop();
});
