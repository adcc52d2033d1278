// bench_smoke.test.mjs: `sorak bench` against the real sorakd at tiny sizes.
//
// Each scenario runs once with --json, and its counts must be exactly right:
// everything sent is delivered to every viewer, nothing is out of order,
// nothing fails. Speed is never asserted: these sizes say nothing about it,
// and the machine is shared. A tiny in-process `ws` broadcast server checks
// the raw WebSocket protocol the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { WebSocketServer, WebSocket } from 'ws';
import { startServer, SORAK, sleep, waitFor } from './lib/server.mjs';

let server;

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0', '--rate-limit-mod', '0'] });
});

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SORAK_')) env[k] = v;
  }
  return env;
}

// Runs `sorak --url URL bench ARGS`; resolves {code, stdout, stderr}.
function bench(args, { url = server.url, timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(SORAK, ['--url', url, 'bench', ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Runs a scenario with --json against the test server; returns the parsed line.
async function benchJson(scenario, args) {
  const r = await bench([scenario, '--secret', server.secret, '--server-pid', String(server.pid), '--json',
    '--label', `smoke-${scenario}`, ...args]);
  assert.equal(r.code, 0, `sorak bench ${scenario} exits 0; stderr: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `--json prints one line, got: ${r.stdout}`);
  const result = JSON.parse(lines[0]);
  assert.equal(result.scenario, scenario);
  assert.equal(result.label, `smoke-${scenario}`);
  assert.equal(result.server.measured, true, 'the server was measured through --server-pid');
  return result;
}

function assertNoErrors(r) {
  assert.equal(r.errors, 0, `no errors: ${JSON.stringify(r.error_kinds)} first: ${r.first_error}`);
  for (const [kind, n] of Object.entries(r.error_kinds)) assert.equal(n, 0, `no ${kind}`);
}

// Each worker sends a flush round as one io_uring submission by default, and
// the bench reads each batch of ready sockets with one; where the kernel
// refuses io_uring, or with --io-uring false, every viewer's frames go out
// with sendmsg and come in with recv instead. Every pairing must deliver
// everything, in order.
for (const [serverRing, benchRing] of [['true', 'true'], ['false', 'false'], ['true', 'false'], ['false', 'true']]) {
  test(`fanout, sorakd --io-uring ${serverRing}, bench --io-uring ${benchRing}: 300 viewers × 4 senders × 200 msg/s × 2 s, all delivered in order`, async () => {
    const own = await startServer({ args: ['--rate-limit', '0', '--rate-limit-mod', '0', '--io-uring', serverRing] });
    try {
      const r = await bench(['fanout', '--secret', own.secret, '--server-pid', String(own.pid), '--json',
        '--viewers', '300', '--senders', '4', '--rate', '200', '--size', '200', '--duration', '2', '--drain', '10',
        '--io-uring', benchRing],
      { url: own.url });
      assert.equal(r.code, 0, `sorak bench fanout exits 0; stderr: ${r.stderr}`);
      const result = JSON.parse(r.stdout.trim());
      assert.equal(result.sent, 400);
      assert.equal(result.expected, 120000);
      assert.equal(result.delivered, 120000, 'every message reached every viewer');
      assertNoErrors(result);
      if (benchRing === 'false') assert.equal(result.io_uring_reads, false, 'recv per socket when asked');
      else assert.equal(typeof result.io_uring_reads, 'boolean');
    } finally {
      await own.stop();
    }
  });
}

test('fanout: 20 viewers × 2 senders × 50 msg/s × 2 s delivers every message to every viewer', async () => {
  const r = await benchJson('fanout', ['--viewers', '20', '--senders', '2', '--rate', '50', '--size', '100',
    '--duration', '2', '--drain', '5']);
  assert.equal(r.protocol, 'sorak');
  assert.equal(r.connections, 22);
  assert.equal(r.connected, 22);
  assert.equal(r.viewers, 20);
  assert.equal(r.senders, 2);
  assert.equal(r.sent, 100);
  assert.equal(r.expected, 2000);
  assert.equal(r.delivered, 2000);
  assert.equal(r.ratio, 1);
  assert.equal(r.latency_ms.count, 2000, 'a latency for every delivery');
  assert.ok(r.latency_ms.p50 <= r.latency_ms.p99 && r.latency_ms.p99 <= r.latency_ms.max);
  assert.ok(r.deliveries_per_s > 0);
  assertNoErrors(r);
});

test('fanout --ws-compression true: every message inflated and counted, fewer bytes per delivery than without', async () => {
  const args = ['--viewers', '20', '--senders', '2', '--rate', '50', '--size', '100', '--duration', '1', '--drain', '5'];
  const plain = await benchJson('fanout', args);
  const zipped = await benchJson('fanout', [...args, '--ws-compression', 'true']);
  for (const r of [plain, zipped]) {
    assert.equal(r.sent, 50);
    assert.equal(r.delivered, 1000);
    assert.equal(r.out_of_order ?? 0, 0);
    assertNoErrors(r);
    assert.ok(r.wire_bytes_per_delivery > 0);
    assert.ok(r.client_cpu_us_per_delivery > 0);
  }
  assert.equal(plain.ws_compression, false);
  assert.equal(plain.compressed_frames, undefined);
  assert.equal(zipped.ws_compression, true);
  assert.ok(zipped.compressed_frames > 0, 'the server sent deflated frames and the bench read them');
  assert.ok(zipped.wire_bytes_per_delivery < plain.wire_bytes_per_delivery,
    `deflated ${zipped.wire_bytes_per_delivery} B < plain ${plain.wire_bytes_per_delivery} B per delivery`);
});

// Issue 19's saturation clause at a tiny size: gifts among the chat lines and deletions by the
// stream's owner over REST; every one is owed to every viewer, and read by each.
test('fanout --gift-share --delete-rate: every gift and every deletion reaches every viewer', async () => {
  const r = await benchJson('fanout', ['--viewers', '20', '--senders', '2', '--rate', '50', '--size', '100',
    '--duration', '2', '--drain', '5', '--gift-share', '0.2', '--delete-rate', '5', '--threads', '2']);
  assert.equal(r.sent, 100);
  assert.equal(r.delivered, 2000, 'gifts are stamped messages too: every one delivered');
  assert.equal(r.gifts.sent, 20, 'a fifth of each sender\'s 50');
  assert.equal(r.gifts.broadcast_seen, 20, 'each gift once, though both senders saw it');
  assert.equal(r.gifts.owed, 20 * 20);
  assert.equal(r.gifts.delivered, r.gifts.owed);
  assert.equal(r.gifts.missing, 0);
  assert.equal(r.gifts.viewers, 20);
  assert.equal(r.gifts.viewers_short, 0);
  assert.equal(r.gifts.read, 20 * 20);
  assert.equal(r.moderation.kind, 'delete_message');
  assert.ok(r.moderation.sent >= 5, `about 5 a second for 2 s: ${JSON.stringify(r.moderation)}`);
  assert.equal(r.moderation.failed, 0);
  assert.equal(r.moderation.owed, r.moderation.sent * 20);
  assert.equal(r.moderation.delivered, r.moderation.owed);
  assert.equal(r.moderation.missing, 0);
  assert.equal(r.moderation.read, r.moderation.sent * 20);
  assertNoErrors(r);
});

test('slow --gift-share --delete-rate: the stalled viewers, read again, have every gift and deletion', async () => {
  const r = await benchJson('slow', ['--viewers', '20', '--senders', '2', '--rate', '100', '--duration', '2',
    '--drain', '2', '--stalled-share', '0.2', '--gift-share', '0.1', '--delete-rate', '5']);
  assert.equal(r.stalled.viewers, 4);
  assert.equal(r.stalled.still_open, 4, 'nothing here fills a queue to its hard limit');
  assert.equal(r.stalled.gifts_owed, 4 * r.gifts.broadcast_seen);
  assert.equal(r.stalled.gifts_missing, 0);
  assert.ok(r.stalled.deletions_owed > 0);
  assert.equal(r.stalled.deletions_owed, 4 * r.moderation.sent);
  assert.equal(r.stalled.deletions_missing, 0);
  assert.equal(r.gifts.owed, 20 * r.gifts.broadcast_seen, 'readers and stalled viewers alike');
  assert.equal(r.gifts.missing, 0);
  assert.equal(r.moderation.missing, 0);
  assertNoErrors(r);
});

test('--gift-share and --delete-rate are sorak events: another protocol is refused, not ignored', async () => {
  const r = await bench(['fanout', '--protocol', 'ws', '--viewers', '2', '--senders', '1', '--rate', '10',
    '--duration', '0.5', '--gift-share', '0.05'], { url: 'ws://127.0.0.1:9/' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /sorak events/);
});

test('fanout with two threads and an existing stream counts the same', async () => {
  const first = await benchJson('fanout', ['--viewers', '10', '--senders', '1', '--rate', '20', '--duration', '1']);
  const r = await benchJson('fanout', ['--viewers', '30', '--senders', '3', '--rate', '60', '--size', '300',
    '--duration', '1', '--threads', '2', '--stream', first.stream]);
  assert.equal(r.stream, first.stream);
  assert.equal(r.sent, 60);
  assert.equal(r.expected, 1800);
  assert.equal(r.delivered, 1800);
  assert.equal(r.foreign_messages, undefined, 'the history of the earlier run is not counted');
  assertNoErrors(r);
});

// Several nodes (sorakd --broker redis://) need PostgreSQL and Redis: make bench's multinode
// section runs them. Here one server named twice stands for two nodes: the dealing, the split of
// the latency and the per-process figures are the generator's own.
test('fanout over two --url and two --server-pid: dealt round-robin, latency split by node, CPU summed', async () => {
  const second = server.url.replace('127.0.0.1', 'localhost');
  const r = await benchJson('fanout', ['--url', `${server.url},${second}`, '--server-pid', String(server.pid),
    '--viewers', '4', '--senders', '2', '--rate', '40', '--duration', '1', '--drain', '5']);
  assert.equal(r.nodes, 2);
  assert.equal(r.sent, 40);
  assert.equal(r.delivered, 160);
  // Viewers on nodes 0 1 0 1, senders on 0 1: each message stays on its node for two viewers.
  assert.equal(r.same_node.count, 80);
  assert.equal(r.cross_node.count, 80);
  assert.equal(r.server_processes.length, 2, 'one entry per --server-pid');
  assert.equal(r.server.cpu_s, r.server_processes[0].cpu_s + r.server_processes[1].cpu_s);
  assert.equal(typeof r.server_cpu_us_per_delivery, 'number');
  assertNoErrors(r);
});

test('fanout over one --url reports no split, and CPU per delivery all the same', async () => {
  const r = await benchJson('fanout', ['--viewers', '4', '--senders', '1', '--rate', '20', '--duration', '1']);
  assert.equal(r.nodes, 1);
  assert.equal(r.same_node, undefined);
  assert.equal(r.server_processes, undefined);
  assert.equal(typeof r.server_cpu_us_per_delivery, 'number');
});

test('idle: every connection opens, stays open, and the server RSS per connection is reported', async () => {
  const r = await benchJson('idle', ['--connections', '50', '--hold', '1']);
  assert.equal(r.connections, 50);
  assert.equal(r.connected, 50);
  assert.equal(r.open_at_end, 50);
  assert.equal(typeof r.server.rss_per_conn_bytes, 'number');
  assert.ok(r.server.rss_mb > 0);
  assertNoErrors(r);
});

test('connect: every upgrade reaches its history event', async () => {
  const r = await benchJson('connect', ['--connections', '100', '--concurrency', '10']);
  assert.equal(r.connected, 100);
  assert.equal(r.connect_latency_ms.count, 100);
  assert.equal(r.latency_ms.count, 100);
  assert.ok(r.upgrades_per_s > 0);
  assertNoErrors(r);
});

test('slow: the stalled viewers are left out of the others\' deliveries and latency', async () => {
  const r = await benchJson('slow', ['--viewers', '20', '--senders', '2', '--rate', '100', '--duration', '2',
    '--drain', '2', '--stalled-share', '0.2']);
  assert.equal(r.connected, 22);
  assert.equal(r.stalled.viewers, 4);
  assert.equal(r.viewers, 16, 'the others');
  assert.equal(r.sent, 200);
  assert.equal(r.expected, 200 * 16);
  assert.equal(r.delivered, 200 * 16);
  assert.equal(r.latency_ms.count, 200 * 16);
  assert.equal(r.stalled.cut + r.stalled.still_open, 4, 'each stalled viewer was cut or is still open');
  // Those still open read what they had missed once they read again.
  if (r.stalled.still_open === 4) assert.equal(r.stalled.read_after_resume, 4 * 200);
  assertNoErrors(r);
});

test('rest history: every keep-alive request is answered 200', async () => {
  const r = await benchJson('rest', ['--kind', 'history', '--requests', '500', '--concurrency', '8',
    '--rooms', '2', '--seed-messages', '12']);
  assert.equal(r.protocol, 'http');
  assert.equal(r.kind, 'history');
  assert.equal(r.rooms, 2);
  assert.equal(r.completed, 500);
  assert.equal(r.ok, 500);
  assert.deepEqual(r.statuses, { 200: 500 });
  assert.equal(r.latency_ms.count, 500);
  assert.ok(r.requests_per_s > 0);
  assertNoErrors(r);
});

test('rest showroom: whatever the server answers is counted, and anything but 2xx is an error', async () => {
  const r = await benchJson('rest', ['--kind', 'showroom', '--requests', '100', '--concurrency', '4',
    '--seed-messages', '0', '--apikey', 'smoke']);
  assert.equal(r.completed, 100);
  const answered = Object.values(r.statuses).reduce((a, b) => a + b, 0);
  assert.equal(answered, 100);
  assert.equal(r.errors, r.completed - r.ok, 'non-2xx answers are the errors');
});

test('ingest: 6 senders over 3 streams, open loop, every message acked and timed', async () => {
  const r = await benchJson('ingest', ['--streams', '3', '--senders', '6', '--rate', '120', '--duration', '1.5',
    '--drain', '10']);
  assert.equal(r.protocol, 'sorak');
  assert.equal(r.loop, 'open');
  assert.equal(r.streams, 3);
  assert.equal(r.senders, 6);
  assert.equal(r.connected, 6);
  assert.equal(r.sent, 180);
  assert.equal(r.acked, r.sent, 'every message acked');
  assert.equal(r.latency_ms.count, 180, 'an ack latency for every message');
  assert.ok(r.latency_ms.p50 <= r.latency_ms.p99 && r.latency_ms.p99 <= r.latency_ms.max);
  assert.ok(r.acked_in_window <= r.acked && r.acked_per_s > 0);
  // Two senders a stream: each reads its own message and the other's.
  assert.equal(r.broadcasts_read, 2 * 180);
  assert.ok(r.commits > 0 && Array.isArray(r.commit_buckets), 'the commit histogram over the window from /metrics');
  assert.equal(r.commit_buckets.at(-1)[0], '+Inf');
  assertNoErrors(r);
});

test('ingest: a closed loop keeps a window in flight and ends with everything acked', async () => {
  const r = await benchJson('ingest', ['--streams', '2', '--senders', '4', '--rate', '0', '--window', '2',
    '--duration', '1', '--drain', '10']);
  assert.equal(r.loop, 'closed');
  assert.equal(r.window, 2);
  assert.ok(r.sent >= 8, `at least one window per sender: ${r.sent}`);
  assert.equal(r.acked, r.sent);
  assert.equal(r.latency_ms.count, r.sent);
  assertNoErrors(r);
});

// Counts only: every gift a sender saw broadcast reaches every viewer that
// was watching, every leave asked for happens, every bot request is answered.
test('platform: Zipf streams, churn, gifts and bots: every gift owed is read, every bot answered', async () => {
  const made = await fetch(`${server.url}/api/v1/admin/api-keys`, {
    method: 'POST',
    headers: { ...server.admin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'bench smoke platform' }),
  });
  assert.equal(made.status, 201);
  const { key } = await made.json();
  const r = await benchJson('platform', ['--streams', '6', '--viewers', '40', '--top', '15', '--rate', '60',
    '--gift-share', '0.2', '--churn', '10', '--bots', '4', '--bot-rate', '8', '--duration', '2', '--drain', '2',
    '--threads', '2', '--apikey', key]);
  assert.equal(r.protocol, 'sorak');
  assert.equal(r.streams, 6);
  assert.equal(r.connected, 40 + 6 + 20, 'the viewers, a sender per stream, and the 20 that joined');
  assert.deepEqual(r.churn, { rate: 10, left: 20, leaves_asked: 20, joined: 20 });
  assert.equal(r.sent, 120);
  assert.equal(r.bands.reduce((n, b) => n + b.streams, 0), 6);
  assert.equal(r.bands.reduce((n, b) => n + b.viewers, 0), 40);
  assert.equal(r.bands.at(-1).band, '11-100', 'the top stream of 15 is in the 11-100 band');
  assert.ok(r.gifts.sent >= 6, `each stream's first message is a gift: ${JSON.stringify(r.gifts)}`);
  assert.equal(r.gifts.broadcast_seen, r.gifts.sent);
  assert.ok(r.gifts.owed > 0);
  assert.equal(r.gifts.delivered, r.gifts.owed);
  assert.equal(r.gifts.missing, 0);
  assert.equal(r.bots.completed, 16);
  assert.deepEqual(r.bots.statuses, { 200: 16 });
  assert.ok(r.delivered > 0 && r.latency_ms.count === r.delivered);
  assert.equal(typeof r.targets.every_non_chat_event_delivered, 'boolean');
  assertNoErrors(r);
});

test('the table comes first, then the JSON line', async () => {
  const r = await bench(['fanout', '--secret', server.secret, '--viewers', '2', '--senders', '1', '--rate', '10',
    '--duration', '0.5', '--label', 'table']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^sorak bench fanout \(sorak\) — table$/);
  assert.ok(lines.some((l) => /^\s+deliveries\s+10 of 10 expected \(ratio 1\.0000\)$/.test(l)), r.stdout);
  assert.equal(JSON.parse(lines.at(-1)).delivered, 10);
});

test('only loopback addresses are accepted', async () => {
  const r = await bench(['fanout', '--secret', 'x'], { url: 'http://10.1.2.3:8080' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /127\.0\.0\.0\/8/);
  const named = await bench(['idle', '--secret', 'x'], { url: 'http://example.org:80' });
  assert.equal(named.code, 1);
});

test('a bad token secret shows as failed connections, not as a crash', async () => {
  const r = await bench(['connect', '--secret', 'not-the-secret', '--connections', '5', '--json',
    '--stream', '01a2133c-0000-7000-8000-000000000000']);
  // The stream lookup needs no credential and fails first: an error exit with the server's code.
  assert.equal(r.code, 1);
  assert.match(r.stderr, /stream_not_found/);
  const created = await benchJson('fanout', ['--viewers', '1', '--senders', '1', '--rate', '1', '--duration', '0.5']);
  const refused = await bench(['connect', '--secret', 'not-the-secret', '--connections', '5', '--json',
    '--stream', created.stream]);
  assert.equal(refused.code, 0, refused.stderr);
  const out = JSON.parse(refused.stdout);
  assert.equal(out.connected, 0);
  assert.equal(out.error_kinds.connect_failed, 5);
  assert.match(out.first_error, /^4001 /);
});

// ---- the raw WebSocket protocol, against a tiny broadcast server ----------------------------

let wss;
let wsUrl;

before(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      for (const peer of wss.clients) {
        if (peer !== ws && peer.readyState === WebSocket.OPEN) peer.send(data, { binary: false });
      }
    });
  });
  await new Promise((r) => wss.once('listening', r));
  wsUrl = `ws://127.0.0.1:${wss.address().port}/`;
});

after(() => new Promise((r) => {
  for (const c of wss.clients) c.terminate();
  wss.close(r);
}));

test('protocol ws: every frame a sender sends reaches every viewer', async () => {
  const r = await bench(['fanout', '--protocol', 'ws', '--viewers', '10', '--senders', '2', '--rate', '40',
    '--duration', '1', '--json'], { url: wsUrl });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.protocol, 'ws');
  assert.equal(out.connected, 12);
  assert.equal(out.sent, 40);
  assert.equal(out.expected, 400);
  assert.equal(out.delivered, 400);
  assert.equal(out.errors, 0);
});

// ---- the floor peer of `make bench` (bench/peers/floor.cpp) ----------------------------------
// `make bench` reads its figures as the machine's bound, so it must relay like any peer: every
// frame to every other client of its room (the upgrade path), none back to its sender, none to
// another room, on both write modes.

const FLOOR = join(dirname(SORAK), 'sorak-floor');

async function startFloor(extra) {
  const port = await new Promise((res, rej) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
    s.once('error', rej);
  });
  const child = spawn(FLOOR, [String(port), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  await waitFor(() => out.includes('listening') || child.exitCode !== null, { what: 'sorak-floor listening' });
  assert.match(out, /sorak-floor listening on ws:\/\/127\.0\.0\.1:\d+\/ with 2 workers/);
  return { child, url: `ws://127.0.0.1:${port}/`, out };
}

function stopFloor(f) {
  return new Promise((r) => {
    if (f.child.exitCode !== null) return r();
    f.child.once('exit', r);
    f.child.kill('SIGTERM');
  });
}

for (const paced of [false, true]) {
  test(`floor${paced ? ' --paced' : ''}: 300 viewers × 4 senders × 100 msg/s get every frame, a sender never its own`, async () => {
    const floor = await startFloor(paced ? ['2', '--paced'] : ['2']);
    try {
      assert.equal(floor.out.includes(', paced'), paced);
      const r = await bench(['fanout', '--protocol', 'ws', '--viewers', '300', '--senders', '4', '--rate', '100',
        '--duration', '1', '--json'], { url: floor.url });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.connected, 304);
      assert.equal(out.sent, 100);
      assert.equal(out.expected, 30000);
      assert.equal(out.delivered, 30000);
      assert.equal(out.errors, 0, JSON.stringify(out.error_kinds));

      const sender = new WebSocket(floor.url);
      const viewer = new WebSocket(floor.url);
      await Promise.all([sender, viewer].map((ws) => new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); })));
      const back = [];
      sender.on('message', (d) => back.push(String(d)));
      const got = new Promise((res) => viewer.once('message', (d) => res(String(d))));
      sender.send('floor-hello');
      assert.equal(await got, 'floor-hello');
      viewer.send('floor-reply');
      await waitFor(() => back.length > 0, { what: 'the reply' });
      assert.deepEqual(back, ['floor-reply'], 'the sender got the reply and not its own frame');
      sender.close();
      viewer.close();
    } finally {
      await stopFloor(floor);
    }
    assert.equal(floor.child.exitCode, 0, 'TERM stops it cleanly');
  });
}

// A room is the upgrade path without its query string. Each room's frames reach its other
// clients, in order; none reaches another room ("/" included), none goes back to its sender.
for (const paced of [false, true]) {
  test(`floor${paced ? ' --paced' : ''}: rooms: a client gets every frame of its room and none of another`, async () => {
    const floor = await startFloor(paced ? ['2', '--paced'] : ['2']);
    const clients = [];
    try {
      const open = (path) => {
        const c = { ws: new WebSocket(floor.url.replace(/\/$/, '') + path), got: [] };
        c.ws.on('message', (d) => c.got.push(String(d)));
        clients.push(c);
        return c;
      };
      const [aSender, aViewer, aQuery] = [open('/room-a'), open('/room-a'), open('/room-a?token=x')];
      const [bSender, bViewer] = [open('/room-b'), open('/room-b')];
      const [rootSender, rootViewer] = [open('/'), open('/')];
      await Promise.all(clients.map(({ ws }) => new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); })));
      const frames = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
      for (const f of frames('a', 20)) aSender.ws.send(f);
      for (const f of frames('b', 30)) bSender.ws.send(f);
      for (const f of frames('root', 5)) rootSender.ws.send(f);
      await waitFor(() => aViewer.got.length >= 20 && aQuery.got.length >= 20 && bViewer.got.length >= 30 &&
        rootViewer.got.length >= 5, { what: 'every room\'s frames' });
      await sleep(300);  // time for a frame of the wrong room to arrive
      assert.deepEqual(aViewer.got, frames('a', 20));
      assert.deepEqual(aQuery.got, frames('a', 20), 'the query string is not part of the room');
      assert.deepEqual(bViewer.got, frames('b', 30));
      assert.deepEqual(rootViewer.got, frames('root', 5));
      for (const sender of [aSender, bSender, rootSender]) assert.deepEqual(sender.got, [], 'a sender gets none of its own');
    } finally {
      for (const { ws } of clients) ws.close();
      await stopFloor(floor);
    }
  });
}

// The platform case against the floor (bench/run.sh compares it with Sorak's): each stream is
// a room /platform/<i>, gifts are frames told by their stamps, churn opens new connections.
test('platform --protocol ws against the floor: rooms per stream, churn, every gift owed is read, no bots', async () => {
  const floor = await startFloor(['2', '--paced']);
  try {
    const size = ['--streams', '6', '--viewers', '40', '--top', '15', '--rate', '60', '--gift-share', '0.2',
      '--threads', '2', '--json'];
    const refused = await bench(['platform', '--protocol', 'ws', ...size], { url: floor.url });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no REST API for the bots: give --bots 0/);

    const run = async (extra) => {
      const r = await bench(['platform', '--protocol', 'ws', ...size, '--bots', '0', '--drain', '2',
        '--server-pid', String(floor.child.pid), ...extra], { url: floor.url });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const r = await run(['--churn', '10', '--duration', '2']);
    assert.equal(r.protocol, 'ws');
    assert.equal(r.connected, 40 + 6 + 20, 'the viewers, a sender per stream, and the 20 that joined');
    assert.deepEqual(r.churn, { rate: 10, left: 20, leaves_asked: 20, joined: 20 });
    assert.equal(r.sent, 120);
    assert.equal(r.bands.reduce((n, b) => n + b.viewers, 0), 40);
    assert.ok(r.bands.every((b) => b.latency_ms.count > 0), 'every band measured');
    assert.ok(r.gifts.sent >= 6, `each stream's first message is a gift: ${JSON.stringify(r.gifts)}`);
    assert.equal(r.gifts.broadcast_seen, r.gifts.sent, 'owed as sent');
    assert.ok(r.gifts.owed > 0);
    assert.equal(r.gifts.delivered, r.gifts.owed);
    assert.equal(r.bots, undefined);
    assert.ok(r.delivered > 0 && r.latency_ms.count === r.delivered);
    assertNoErrors(r);

    // Without churn every gift read is one owed: none came from another stream's room.
    const still = await run(['--churn', '0', '--duration', '1']);
    assert.ok(still.gifts.owed > 0);
    assert.equal(still.gifts.read, still.gifts.owed);
    assert.equal(still.gifts.delivered, still.gifts.owed);
    assertNoErrors(still);
  } finally {
    await stopFloor(floor);
  }
  assert.equal(floor.child.exitCode, 0, 'TERM stops it cleanly');
});
