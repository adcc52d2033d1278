// metrics.test.mjs: /metrics (Prometheus text, checked by promtool) and /readyz,
// and the counters moving when chat happens (CONTRACT §13, docs/operations.md).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, createStream, joinChat, sendAcked, freshUser, waitFor, api, tempDir,
} from './lib/server.mjs';

let server;

before(async () => {
  // viewer_count every minute: no count frames join the deliveries under test.
  server = await startServer({ args: ['--rate-limit', '0', '--viewer-count-interval-ms', '60000'] });
});

// GET /metrics → {text, samples: Map("name{labels}" → number), contentType}.
async function scrape(s = server) {
  const res = await fetch(`${s.url}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${JSON.stringify(line)}`);
    samples.set(m[1], Number(m[2]));
  }
  return { text, samples, contentType: res.headers.get('content-type') };
}

const value = (scraped, key) => {
  assert.ok(scraped.samples.has(key), `metric ${key} is present`);
  return scraped.samples.get(key);
};

test('/metrics is valid Prometheus text (promtool check metrics) with every CONTRACT §13 metric', async () => {
  const first = await scrape();
  assert.match(first.contentType, /^text\/plain; version=0\.0\.4/);
  const file = join(tempDir(), 'metrics.txt');
  writeFileSync(file, first.text);
  const check = spawnSync('promtool', ['check', 'metrics'], { input: first.text, encoding: 'utf8' });
  assert.equal(check.error, undefined, `promtool runs (scripts/install-deps.sh --test installs it): ${check.error}`);
  assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}\n(scrape kept in ${file})`);
  for (const [name, type] of [
    ['sorak_websocket_connections', 'gauge'], ['sorak_messages_in_total', 'counter'],
    ['sorak_deliveries_total', 'counter'], ['sorak_slow_consumers_cut_total', 'counter'],
    ['sorak_store_commit_seconds', 'histogram'], ['sorak_broker_lag_seconds', 'histogram'],
    ['sorak_http_requests_total', 'counter'], ['process_resident_memory_bytes', 'gauge'],
    ['process_cpu_seconds_total', 'counter'], ['process_open_fds', 'gauge'],
  ]) {
    assert.match(first.text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} is a ${type}`);
  }
  assert.ok(value(first, 'process_resident_memory_bytes') > 1024 * 1024, 'RSS is real');
  const started = value(first, 'process_start_time_seconds');
  assert.ok(Math.abs(started - Date.now() / 1000) < 600, `process_start_time_seconds ${started} is about now`);
});

test('N messages to V viewers: messages_in +N, deliveries +N×V, connections V, commits and broker lag observed', async () => {
  const stream = await createStream(server, { sub: 'metrics-owner', username: 'owner' }, { title: 'metrics' });
  const idle = await scrape();
  const V = 4;
  const N = 7;
  const viewers = [];
  for (let i = 0; i < V; i++) viewers.push(await joinChat(server, stream.id, server.token(freshUser('m'))));
  const joined = await waitFor(async () => {
    const s = await scrape();
    return value(s, 'sorak_websocket_connections') - value(idle, 'sorak_websocket_connections') === V ? s : null;
  }, { what: `sorak_websocket_connections to rise by ${V}` });
  assert.equal(value(joined, 'sorak_viewers'), V, 'every open connection is a joined viewer');

  const sender = viewers[0];
  for (let i = 0; i < N; i++) await sendAcked(sender, `metrics message ${i}`);
  for (const v of viewers) {
    await waitFor(() => (v.counts.message || 0) >= N, { what: `a viewer to receive ${N} messages` });
  }
  const after = await scrape();
  const delta = (key) => value(after, key) - value(joined, key);
  assert.equal(delta('sorak_messages_in_total'), N, 'messages_in counts each accepted message once');
  assert.equal(delta('sorak_deliveries_total'), N * V, 'deliveries count each message once per viewer');
  assert.equal(value(after, 'sorak_websocket_connections') - value(idle, 'sorak_websocket_connections'), V);
  assert.ok(delta('sorak_store_commit_seconds_count') >= 1, 'the messages were committed');
  // The joins' profile writes may commit in this window too; never one per delivery (N×V).
  assert.ok(delta('sorak_store_commit_seconds_count') <= N + V, 'one observation per group commit');
  assert.equal(delta('sorak_store_commit_seconds_bucket{le="+Inf"}'), delta('sorak_store_commit_seconds_count'));
  assert.ok(delta('sorak_store_commit_seconds_sum') > 0, 'commits take time');
  assert.equal(delta('sorak_broker_lag_seconds_count'), N, 'each message went through the broker once');
  assert.ok(delta('sorak_http_requests_total{code="2xx"}') >= 1, 'the scrape before this one counted');

  await Promise.all(viewers.map((v) => v.close()));
  await waitFor(async () => value(await scrape(), 'sorak_websocket_connections') === value(idle, 'sorak_websocket_connections'),
    { what: 'the connections gauge to fall back once the viewers left' });
});

test('HTTP responses are counted by status class', async () => {
  const before = await scrape();
  assert.equal((await api(server, 'GET', '/api/v1/no-such-thing')).status, 404);
  assert.equal((await api(server, 'GET', '/api/v1/streams/x/chat/history')).status, 401);
  const after = await scrape();
  assert.equal(value(after, 'sorak_http_requests_total{code="4xx"}') - value(before, 'sorak_http_requests_total{code="4xx"}'), 2);
  assert.equal(value(after, 'sorak_http_requests_total{code="2xx"}') - value(before, 'sorak_http_requests_total{code="2xx"}'), 1,
    'the first scrape itself');
});

test('/readyz: 200 {"status":"ready"} while the store answers and the server accepts', async () => {
  const res = await api(server, 'GET', '/readyz');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { status: 'ready' });
  assert.equal(value(await scrape(), 'sorak_ready'), 1);
});

test('a viewer that stops reading is counted in sorak_slow_consumers_cut_total', async () => {
  const small = await startServer({
    args: ['--rate-limit', '0', '--max-queue-bytes', '16384', '--socket-send-buffer', '4096'],
  });
  const stream = await createStream(small, { sub: 'slow-owner', username: 'owner' }, { title: 'slow' });
  const before = value(await scrape(small), 'sorak_slow_consumers_cut_total');
  const paused = await joinChat(small, stream.id, small.token(freshUser('paused')), { query: { lossless: 'true' } });  // cut, not thinned
  const sender = await joinChat(small, stream.id, small.token(freshUser('sender')));
  paused.pause();
  const body = '😀'.repeat(450);  // 1800 bytes, under the 500-character limit
  let cut = 0;
  for (let i = 0; i < 4000 && cut === 0; i++) {
    await sendAcked(sender, `${i} ${body}`);
    if (i % 50 === 49) cut = value(await scrape(small), 'sorak_slow_consumers_cut_total') - before;
  }
  assert.equal(cut || value(await scrape(small), 'sorak_slow_consumers_cut_total') - before, 1,
    'the paused viewer was cut once; the sender, who reads, was not');
  assert.ok(sender.isOpen());
  paused.resume();
  await small.stop();
});
