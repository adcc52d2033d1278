// room_open.test.mjs: opening a long stream's room does not cost a busy room beside it anything
// (the small version of `make bench`'s room-open case, docs/bench.md).
//
// A stream with 50 000 messages is seeded (sorak-seed) before sorakd starts, so its room is not
// open. While a busy room (50 viewers, 5 senders, 100 msg/s) runs for 4 s, a first viewer joins
// the long stream. Every message sent to the busy room must be acked and reach every busy viewer
// exactly once, in the room's order; the joiner must get the seeded stream's newest messages as its
// `history` within a bound. The delivery latency in the busy room is logged, not asserted: the
// bench measures that on a quiet machine.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, openWs, freshUser, tempDir, sleep, waitFor,
} from './lib/server.mjs';
import { seedStore } from './lib/seed.mjs';

const SEEDED = 50_000;
const VIEWERS = 50;
const SENDERS = 5;
const RATE = 100;          // messages per second, over all senders
const SEND_MS = 4000;
const JOIN_AT_MS = 1500;   // the long stream's first viewer joins this far into the run
const HISTORY_BOUND_MS = 5000;

let server;
let big;

before(async () => {
  const dir = tempDir();
  const seeded = seedStore(dir, ['--messages', String(SEEDED), '--title', 'long stream']);
  [big] = seeded;
  console.log(seeded.summary);
  server = await startServer({
    dataDir: dir,
    // No viewer_count frames and no rate limit: only the messages under test reach the viewers.
    args: ['--rate-limit', '0', '--viewer-count-interval-ms', '60000'],
  });
});

// Sends RATE messages per second, spread over the senders, for SEND_MS; resolves with what it sent
// as {client_id, sender, at}.
async function sendSteadily(senders) {
  const sent = [];
  const start = Date.now();
  const total = Math.round((RATE * SEND_MS) / 1000);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    const sender = senders[i % senders.length];
    const client_id = `busy-${i}`;
    sender.send({ type: 'message', content: `busy ${i}`, client_id });
    sent.push({ client_id, sender, at: Date.now() });
  }
  return sent;
}

// The first viewer of the long stream: how long from the upgrade request to its `history`.
async function joinLongStream() {
  const t0 = performance.now();
  const viewer = await openWs(server, big.stream_id, server.token(freshUser('late')));
  const history = await viewer.next('history', 30_000);
  const ms = performance.now() - t0;
  await viewer.close();
  return { history, ms };
}

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

test('a first viewer opening a 50 000-message stream gets its history, and the busy room beside it loses nothing', async () => {
  const busy = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'busy' });
  const viewers = await Promise.all(Array.from({ length: VIEWERS },
    () => joinChat(server, busy.id, server.token(freshUser('viewer')))));
  const senders = await Promise.all(Array.from({ length: SENDERS },
    () => joinChat(server, busy.id, server.token(freshUser('sender')))));

  const sending = sendSteadily(senders);
  await sleep(JOIN_AT_MS);
  const joined = await joinLongStream();
  const sent = await sending;

  // Every message acked, to its sender.
  const acks = await Promise.all(sent.map(({ client_id, sender }) =>
    sender.next((e) => e.type === 'ack' && e.client_id === client_id, 10_000)));
  const order = acks.map((a) => a.data).sort((a, b) => (a.created_at < b.created_at ? -1 : 1)).map((d) => d.id);
  assert.equal(new Set(order).size, sent.length, 'each message got its own id');

  // Every viewer got every message once, in the room's (created_at) order.
  for (const [k, v] of viewers.entries()) {
    await waitFor(() => v.ofType('message').length >= order.length, {
      timeoutMs: 10_000, what: () => `viewer ${k}: ${v.ofType('message').length} of ${order.length} messages`,
    });
    assert.deepEqual(v.ofType('message').map((e) => e.data.id), order, `viewer ${k} got each message once, in order`);
  }

  // The busy room's delivery latency over the run (logged: the bench is where it is judged).
  const sentAt = new Map(sent.map((s, i) => [`busy ${i}`, s.at]));
  const latencies = viewers.flatMap((v) => v.ofType('message').map((e) => e._at - sentAt.get(e.data.content)))
    .sort((a, b) => a - b);
  console.log(`busy room: ${sent.length} messages × ${VIEWERS} viewers; delivery p50 ${percentile(latencies, 0.5)} ms, ` +
    `p99 ${percentile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms`);
  console.log(`long stream (${SEEDED} messages): first viewer's history after ${joined.ms.toFixed(0)} ms`);

  // The joiner's history is the newest 50 seeded messages, oldest first.
  const history = joined.history.data;
  assert.equal(history.length, 50, 'history on connect holds the newest 50');
  assert.deepEqual(history.map((m) => m.content),
    Array.from({ length: 50 }, (_, i) => `seed message ${SEEDED - 49 + i}`));
  assert.equal(history.at(-1).id, big.last_message_id, 'the newest message is the last one seeded');
  assert.ok(joined.ms <= HISTORY_BOUND_MS, `history within ${HISTORY_BOUND_MS} ms (took ${joined.ms.toFixed(0)} ms)`);

  await Promise.all([...viewers, ...senders].map((c) => c.close()));
});
