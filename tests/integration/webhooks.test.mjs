// webhooks.test.mjs: webhooks against the real server (CONTRACT §12): the admin
// registers a receiver and gets a secret; a receiver started here gets every
// event once (message, gift, deletion, moderation, stream, poll), each signed
// with HMAC-SHA256 and carrying its delivery id; with the receiver stopped for
// 30 s the chat's delivery p99 does not change and the events arrive once it is
// back; the delivery log tells what happened; URLs are checked.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { spawn } from 'node:child_process';
import { startServer, createStream, joinChat, api, freshUser, sendAcked, sleep, waitFor, UUID_V7, TS_MS, SORAK } from './lib/server.mjs';

let server;
const owner = { sub: 'hook-owner', username: 'owner', display_name: 'Owner' };

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0', '--webhook-allow-private', '--webhook-timeout-ms', '2000'] });
});

const tok = (claims) => server.token(claims);
const admin = (method, path, body) => api(server, method, path, { headers: server.admin, body });

// A webhook receiver on 127.0.0.1: records every POST (headers, raw body) and
// answers `status` (204 by default). stop() closes it, start() listens again on
// the same port.
async function receiver({ status = 204 } = {}) {
  const r = { got: [], status, port: 0, server: null, sockets: new Set() };
  r.start = () => new Promise((res, rej) => {
    r.server = createServer((req, resp) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        r.got.push({ headers: req.headers, raw, body: JSON.parse(raw), at: Date.now(), method: req.method, url: req.url });
        resp.writeHead(r.status).end();
      });
    });
    r.server.on('connection', (s) => { r.sockets.add(s); s.on('close', () => r.sockets.delete(s)); });
    r.server.once('error', rej);
    r.server.listen(r.port, '127.0.0.1', () => { r.port = r.server.address().port; res(); });
  });
  r.stop = () => new Promise((res) => {
    for (const s of r.sockets) s.destroy();
    r.server.close(() => res());
  });
  r.url = (path = '/hook') => `http://127.0.0.1:${r.port}${path}`;
  await r.start();
  return r;
}

// The signature header checked as a receiver would: HMAC-SHA256(secret, "t.body").
function assertSigned(delivery, secret) {
  const header = delivery.headers['x-sorak-signature'];
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  assert.ok(m, `signature header ${header}`);
  assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 300, 'the timestamp is now');
  const want = createHmac('sha256', secret).update(`${m[1]}.${delivery.raw}`).digest();
  assert.ok(timingSafeEqual(Buffer.from(m[2], 'hex'), want), 'the signature is valid');
  assert.equal(delivery.headers['x-sorak-delivery'], delivery.body.id);
  assert.equal(delivery.headers['x-sorak-event'], delivery.body.event);
  assert.equal(delivery.headers['content-type'], 'application/json');
  assert.equal(delivery.method, 'POST');
}

function assertOncePerDelivery(got) {
  const ids = got.map((d) => d.body.id);
  assert.equal(new Set(ids).size, ids.length, 'no delivery arrives twice');
}

test('the admin registers, lists, reads and removes webhooks; bad ones are refused clearly', async () => {
  const r = await receiver();
  const s = await createStream(server, owner, { title: 'hook admin' });
  const anon = await api(server, 'POST', '/api/v1/admin/webhooks', { body: { url: r.url(), events: ['message'] } });
  assert.equal(anon.status, 401);
  const user = await api(server, 'POST', '/api/v1/admin/webhooks', { token: tok(owner), body: { url: r.url(), events: ['message'] } });
  assert.equal(user.status, 403, 'a user token is not the admin key');
  for (const [body, code] of [
    [{ url: 'ftp://example.org/x', events: ['message'] }, 'invalid_url'],
    [{ url: 'example.org/hook', events: ['message'] }, 'invalid_url'],
    [{ url: 'http://user:pw@example.org/', events: ['message'] }, 'invalid_url'],
    [{ url: r.url(), events: [] }, 'invalid_field'],
    [{ url: r.url(), events: ['messages'] }, 'invalid_field'],
    [{ url: r.url(), events: ['gift', 'gift'] }, 'invalid_field'],
    [{ url: r.url(), events: 'message' }, 'invalid_field'],
    [{ events: ['message'] }, 'invalid_field'],
    [{ url: r.url(), events: ['message'], stream_id: 42 }, 'invalid_field'],
  ]) {
    const res = await admin('POST', '/api/v1/admin/webhooks', body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal(res.json.code, code, JSON.stringify(body));
    assert.ok(res.json.error.length > 0);
  }
  const unknownStream = await admin('POST', '/api/v1/admin/webhooks', { url: r.url(), events: ['message'], stream_id: '0190c8c8-0000-7000-8000-000000000000' });
  assert.equal(unknownStream.status, 404);
  assert.equal(unknownStream.json.code, 'stream_not_found');

  const made = await admin('POST', '/api/v1/admin/webhooks', { url: r.url('/a?b=c'), events: ['message', 'poll'], stream_id: s.id });
  assert.equal(made.status, 201, made.text);
  assert.match(made.json.id, UUID_V7);
  assert.equal(made.json.url, r.url('/a?b=c'));
  assert.deepEqual(made.json.events, ['message', 'poll']);
  assert.equal(made.json.stream_id, s.id);
  assert.match(made.json.created_at, TS_MS);
  assert.match(made.json.secret, /^whsec_[0-9a-f]{64}$/);
  const list = await admin('GET', '/api/v1/admin/webhooks');
  assert.equal(list.status, 200);
  const mine = list.json.webhooks.find((w) => w.id === made.json.id);
  assert.deepEqual(mine, { id: made.json.id, url: r.url('/a?b=c'), events: ['message', 'poll'], stream_id: s.id, created_at: made.json.created_at });
  const one = await admin('GET', `/api/v1/admin/webhooks/${made.json.id}`);
  assert.equal(one.status, 200);
  assert.equal(one.json.secret, undefined, 'the secret is shown once');
  const log = await admin('GET', `/api/v1/admin/webhooks/${made.json.id}/deliveries`);
  assert.deepEqual(log.json, { deliveries: [] });
  assert.equal((await admin('GET', `/api/v1/admin/webhooks/${made.json.id}/deliveries?limit=0`)).json.code, 'invalid_limit');
  assert.equal((await admin('DELETE', `/api/v1/admin/webhooks/${made.json.id}`)).status, 204);
  const gone = await admin('DELETE', `/api/v1/admin/webhooks/${made.json.id}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.json.code, 'webhook_not_found');
  assert.equal((await admin('GET', `/api/v1/admin/webhooks/${made.json.id}/deliveries`)).json.code, 'webhook_not_found');
  await r.stop();
});

test('private and loopback receivers are refused unless the server allows them', async () => {
  const strict = await startServer();
  try {
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:8080/', 'http://10.0.0.7/', 'http://192.168.1.2/',
      'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/', 'http://[fd00::5]/']) {
      const res = await api(strict, 'POST', '/api/v1/admin/webhooks', { headers: strict.admin, body: { url, events: ['message'] } });
      assert.equal(res.status, 400, url);
      assert.equal(res.json.code, 'private_url', url);
      assert.match(res.json.error, /--webhook-allow-private/);
    }
    const pub = await api(strict, 'POST', '/api/v1/admin/webhooks', { headers: strict.admin, body: { url: 'https://hooks.example.com/sorak', events: ['gift'] } });
    assert.equal(pub.status, 201, pub.text);
  } finally {
    await strict.stop();
  }
});

test('a receiver gets every kind of event once, signed, with its delivery id; the log says delivered', async () => {
  const r = await receiver();
  const giftsOnly = await receiver();
  const s = await createStream(server, owner, { title: 'hook events' });
  const other = await createStream(server, owner, { title: 'another stream' });
  const all = await admin('POST', '/api/v1/admin/webhooks',
    { url: r.url(), events: ['message', 'gift', 'deletion', 'moderation', 'stream', 'poll'], stream_id: s.id });
  assert.equal(all.status, 201, all.text);
  const gifts = await admin('POST', '/api/v1/admin/webhooks', { url: giftsOnly.url(), events: ['gift'] });
  assert.equal(gifts.status, 201, gifts.text);

  const fan = freshUser('fan');
  const ch = await joinChat(server, s.id, tok(fan));
  const boss = await joinChat(server, s.id, tok(owner));
  const sent = [];
  for (let i = 0; i < 40; i++) sent.push((await sendAcked(ch, `hello ${i}`)).data.id);
  const elsewhere = await joinChat(server, other.id, tok(fan));
  await sendAcked(elsewhere, 'not for this webhook');
  ch.send({ type: 'gift', gift_id: 'star', quantity: 2, client_id: 'g-1' });
  const giftAck = await ch.next((e) => e.type === 'ack' && e.client_id === 'g-1');
  elsewhere.send({ type: 'gift', gift_id: 'star', quantity: 1, client_id: 'g-2' });
  const giftElsewhere = await elsewhere.next((e) => e.type === 'ack' && e.client_id === 'g-2');
  const path = (rest) => `/api/v1/streams/${s.id}${rest}`;
  assert.equal((await api(server, 'DELETE', path(`/chat/messages/${sent[3]}`), { token: tok(owner) })).status, 204);
  const timeout = await api(server, 'POST', path('/timeouts'), { token: tok(owner), body: { user_id: 'troll-1', duration_seconds: 60, reason: 'spam' } });
  assert.ok(timeout.status < 300, timeout.text);
  const pin = await api(server, 'POST', path('/chat/pin'), { token: tok(owner), body: { message_id: sent[5] } });
  assert.ok(pin.status < 300, pin.text);
  const poll = await api(server, 'POST', path('/polls'), { token: tok(owner), body: { question: 'Encore?', options: ['yes', 'no'], duration_seconds: 60 } });
  assert.equal(poll.status, 201, poll.text);
  const ended = await api(server, 'PATCH', `/api/v1/streams/${s.id}`, { token: tok(owner), body: { status: 'ended' } });
  assert.equal(ended.status, 200, ended.text);

  const byType = (t) => r.got.filter((d) => d.body.type === t);
  await waitFor(() => byType('message').length >= 40 && byType('gift').length >= 1 && byType('message_deleted').length >= 1 &&
    byType('timeout').length >= 1 && byType('pinned').length >= 1 && byType('poll').length >= 1 &&
    byType('stream_status').length >= 1 && giftsOnly.got.length >= 2, { timeoutMs: 15000, what: 'every event at the receiver' });
  await sleep(1500);  // anything twice would have come by now
  for (const d of r.got) {
    assertSigned(d, all.json.secret);
    assert.equal(d.url, '/hook');
    assert.equal(d.headers['user-agent'], 'sorak-webhooks/1');
    assert.equal(d.body.stream_id, s.id, 'only the stream the webhook names');
    assert.match(d.body.occurred_at, TS_MS);
  }
  assertOncePerDelivery(r.got);
  const messages = byType('message');
  assert.deepEqual(messages.map((d) => d.body.data.id).sort(), [...sent].sort(), 'each message once');
  const m0 = messages.find((d) => d.body.data.id === sent[0]).body;
  assert.equal(m0.event, 'message');
  assert.equal(m0.data.content, 'hello 0');
  const gift = byType('gift')[0].body;
  assert.equal(gift.event, 'gift');
  assert.equal(gift.data.id, giftAck.data.id);
  assert.equal(byType('message_deleted')[0].body.event, 'deletion');
  assert.equal(byType('message_deleted')[0].body.data.message_id, sent[3]);
  const t = byType('timeout')[0].body;
  assert.equal(t.event, 'moderation');
  assert.equal(t.data.user_id, 'troll-1');
  assert.equal(byType('pinned')[0].body.event, 'moderation');
  const p = byType('poll')[0].body;
  assert.equal(p.event, 'poll');
  assert.equal(p.data.question, 'Encore?');
  const st = byType('stream_status')[0].body;
  assert.equal(st.event, 'stream');
  assert.equal(st.data.status, 'ended');
  // The gift-only webhook: both streams' gifts, nothing else, signed with its own secret.
  for (const d of giftsOnly.got) assertSigned(d, gifts.json.secret);
  assert.deepEqual(giftsOnly.got.map((d) => d.body.event), giftsOnly.got.map(() => 'gift'));
  assert.deepEqual(giftsOnly.got.map((d) => d.body.data.id).sort(), [giftAck.data.id, giftElsewhere.data.id].sort());

  await waitFor(async () => {
    const log = await admin('GET', `/api/v1/admin/webhooks/${all.json.id}/deliveries?limit=200`);
    return log.json.deliveries.length === r.got.length && log.json.deliveries.every((d) => d.status === 'delivered');
  }, { timeoutMs: 5000, what: 'the delivery log to record every delivery' });
  const log = (await admin('GET', `/api/v1/admin/webhooks/${all.json.id}/deliveries?limit=200`)).json.deliveries;
  const first = log.find((d) => d.id === messages[0].body.id);
  assert.equal(first.status, 'delivered');
  assert.equal(first.attempts, 1);
  assert.equal(first.response_status, 204);
  assert.equal(first.error, null);
  assert.equal(first.event, 'message');
  assert.match(first.delivered_at, TS_MS);
  assert.deepEqual(first.payload, messages[0].body);
  const ids = log.map((d) => d.id);
  assert.deepEqual(ids, [...ids].sort().reverse(), 'newest first');
  for (const c of [ch, boss, elsewhere]) c.close();
  await r.stop();
  await giftsOnly.stop();
});

// p99 of send → receive at another viewer, messages paced `gapMs` apart, for
// `count` messages or until `untilMs` (a Date.now() deadline) passes.
async function chatP99(sender, viewer, { count = Infinity, untilMs = Infinity, gapMs, tag }) {
  const lat = [];
  for (let i = 0; i < count && Date.now() < untilMs; i++) {
    const content = `${tag} ${i}`;
    const t0 = performance.now();
    const seen = viewer.next((e) => e.type === 'message' && e.data.content === content, 5000);
    sender.send({ type: 'message', content });
    await seen;
    lat.push(performance.now() - t0);
    await sleep(gapMs);
  }
  lat.sort((a, b) => a - b);
  return { p99: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))], sent: lat.length };
}

test('with the receiver stopped for 30 s chat keeps its pace, and every event arrives once it is back', async () => {
  const r = await receiver({ status: 200 });
  const s = await createStream(server, owner, { title: 'hook outage' });
  const hook = await admin('POST', '/api/v1/admin/webhooks', { url: r.url(), events: ['message'], stream_id: s.id });
  assert.equal(hook.status, 201, hook.text);
  const sender = await joinChat(server, s.id, tok(freshUser('talker')));
  const viewer = await joinChat(server, s.id, tok(freshUser('watcher')));
  const warm = await chatP99(sender, viewer, { count: 20, gapMs: 10, tag: 'warm' });
  const up = await chatP99(sender, viewer, { count: 300, gapMs: 25, tag: 'up' });

  await r.stop();
  const stoppedAt = Date.now();
  // Chat all through the outage, until shortly before the receiver returns.
  const down = await chatP99(sender, viewer, { untilMs: stoppedAt + 28000, gapMs: 25, tag: 'down' });
  await sleep(Math.max(0, 30000 - (Date.now() - stoppedAt)));
  assert.equal(r.got.filter((d) => d.body.data.content.startsWith('down')).length, 0);
  // The log shows the failures meanwhile.
  const mid = (await admin('GET', `/api/v1/admin/webhooks/${hook.json.id}/deliveries?limit=200`)).json.deliveries;
  const failing = mid.filter((d) => d.status === 'pending' && d.error);
  assert.ok(failing.length >= 1, 'pending deliveries that say why');
  assert.match(failing[0].error, /connect.*refused/i);
  assert.match(failing[0].next_attempt_at, TS_MS);
  await r.start();
  const backAt = Date.now();

  await waitFor(() => r.got.filter((d) => d.body.data.content.startsWith('down')).length >= down.sent,
    { timeoutMs: 70000, intervalMs: 200, what: 'the events sent while the receiver was down' });
  const arrivedAfter = Date.now() - backAt;
  await sleep(1500);
  assertOncePerDelivery(r.got);
  for (const d of r.got) assertSigned(d, hook.json.secret);
  const contents = r.got.map((d) => d.body.data.content);
  for (const [tag, n] of [['warm', warm.sent], ['up', up.sent], ['down', down.sent]])
    for (let i = 0; i < n; i++) assert.equal(contents.filter((c) => c === `${tag} ${i}`).length, 1, `${tag} ${i} once`);
  // Chat's pace while the receiver was down: the same, within the noise of this machine.
  assert.ok(down.p99 <= Math.max(up.p99 * 2, up.p99 + 15),
    `p99 with the receiver down ${down.p99.toFixed(1)} ms, up ${up.p99.toFixed(1)} ms`);
  await waitFor(async () => (await admin('GET', `/api/v1/admin/webhooks/${hook.json.id}/deliveries?limit=200`)).json.deliveries
    .every((d) => d.status === 'delivered'), { timeoutMs: 5000, what: 'every delivery logged as delivered' });
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /^sorak_webhook_failed_attempts_total [1-9]/m);
  assert.match(metrics, /^sorak_webhook_deliveries_total [1-9]/m);
  assert.match(metrics, /^sorak_webhook_dropped_total 0$/m);
  console.log(`chat p99 receiver up ${up.p99.toFixed(1)} ms (${up.sent} msgs), down ${down.p99.toFixed(1)} ms ` +
    `(${down.sent} msgs); backlog delivered ${arrivedAfter} ms after the receiver came back`);
  sender.close();
  viewer.close();
  await r.stop();
});

test('a receiver that never answers times out, and other webhooks are not held up by it', async () => {
  // Accepts connections and reads requests, never answers.
  const silent = createServer(() => {});
  await new Promise((res) => silent.listen(0, '127.0.0.1', res));
  const healthy = await receiver();
  const s = await createStream(server, owner, { title: 'hook silent' });
  const stuck = await admin('POST', '/api/v1/admin/webhooks', { url: `http://127.0.0.1:${silent.address().port}/`, events: ['message'], stream_id: s.id });
  const fine = await admin('POST', '/api/v1/admin/webhooks', { url: healthy.url(), events: ['message'], stream_id: s.id });
  const ch = await joinChat(server, s.id, tok(freshUser()));
  for (let i = 0; i < 10; i++) await sendAcked(ch, `beside a silent one ${i}`);
  await waitFor(() => healthy.got.length >= 10, { timeoutMs: 3000, what: 'the healthy receiver to get all ten at once' });
  let d;
  await waitFor(async () => {
    const log = (await admin('GET', `/api/v1/admin/webhooks/${stuck.json.id}/deliveries`)).json.deliveries;
    d = log.find((x) => x.attempts >= 1);
    return Boolean(d);
  }, { timeoutMs: 8000, what: 'a timed-out attempt in the log (--webhook-timeout-ms 2000)' });
  assert.equal(d.status, 'pending');
  assert.match(d.error, /^timeout/);
  assert.equal(d.response_status, null);
  ch.close();
  await healthy.stop();
  silent.closeAllConnections();
  silent.close();
});

test('a receiver that answers 500 is retried with backoff and the log says why', async () => {
  const r = await receiver({ status: 500 });
  const s = await createStream(server, owner, { title: 'hook 500' });
  const hook = await admin('POST', '/api/v1/admin/webhooks', { url: r.url(), events: ['message'], stream_id: s.id });
  const ch = await joinChat(server, s.id, tok(freshUser()));
  try {
    await sendAcked(ch, 'will fail at first');
    // Waits of 1 s, 2 s, 4 s, each seen up to a second later (due retries are claimed once a second).
    await waitFor(() => r.got.length >= 4, { timeoutMs: 20000, what: 'four attempts' });
    const gaps = r.got.slice(1, 4).map((d, i) => d.at - r.got[i].at);
    assert.ok(gaps[0] >= 900 && gaps[1] >= 1900 && gaps[2] >= 3900, `each wait at least its step: ${gaps.join(', ')} ms`);
    assert.ok(gaps[2] > gaps[1] && gaps[2] > gaps[0] * 1.4, `the waits grow: ${gaps.join(', ')} ms`);
    assert.equal(new Set(r.got.map((d) => d.body.id)).size, 1, 'the same delivery id on every retry');
    // The log is written just after each attempt.
    let d;
    await waitFor(async () => {
      [d] = (await admin('GET', `/api/v1/admin/webhooks/${hook.json.id}/deliveries`)).json.deliveries;
      return d.attempts >= 3;
    }, { timeoutMs: 5000, what: 'three attempts in the log' });
    assert.equal(d.status, 'pending');
    assert.equal(d.response_status, 500);
    assert.equal(d.error, 'HTTP 500');
    assert.ok(d.attempts >= 3);
    r.status = 204;
    await waitFor(async () => (await admin('GET', `/api/v1/admin/webhooks/${hook.json.id}/deliveries`)).json.deliveries[0].status === 'delivered',
      { timeoutMs: 20000, what: 'delivered once the receiver answers 2xx' });
  } finally {  // a failure above must not leave the receiver holding the test file open
    ch.close();
    await r.stop();
  }
});

function sorak(args, { env = {} } = {}) {
  const base = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SORAK_')) base[k] = v;
  const child = spawn(SORAK, args, { env: { ...base, SORAK_URL: server.url, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { run.stdout += d; });
  child.stderr.on('data', (d) => { run.stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  return new Promise((res) => child.once('close', (code) => { clearTimeout(timer); res({ ...run, code }); }));
}

test('sorak webhooks add prints the secret once; list, deliveries and remove work from the terminal', async () => {
  const r = await receiver();
  const s = await createStream(server, owner, { title: 'hook cli' });
  const env = { SORAK_ADMIN_KEY: server.adminKey };
  const added = await sorak(['webhooks', 'add', r.url('/cli'), '--events', 'message,gift', '--stream', s.id], { env });
  assert.equal(added.code, 0, added.stderr);
  const secret = added.stdout.trim();
  assert.match(secret, /^whsec_[0-9a-f]{64}$/);
  assert.match(added.stderr, /shown only now/);
  const list = await sorak(['webhooks', 'list'], { env });
  assert.equal(list.code, 0, list.stderr);
  const row = list.stdout.split('\n').find((l) => l.endsWith(r.url('/cli')));
  assert.ok(row && row.includes(s.id) && row.includes('message,gift'), list.stdout);
  assert.ok(!list.stdout.includes(secret), 'never the secret');
  const id = row.split(/\s+/)[0];
  const ch = await joinChat(server, s.id, tok(freshUser()));
  await sendAcked(ch, 'from the terminal test');
  await waitFor(() => r.got.length >= 1, { what: 'the delivery' });
  assertSigned(r.got[0], secret);
  await waitFor(async () => (await sorak(['webhooks', 'deliveries', id], { env })).stdout.includes('delivered'), { what: 'the log' });
  const log = await sorak(['webhooks', 'deliveries', id, '--limit', '5'], { env });
  const line = log.stdout.split('\n').find((l) => l.includes(r.got[0].body.id));
  assert.ok(line && /message\s+delivered\s+1\s+204/.test(line), log.stdout);
  const bad = await sorak(['webhooks', 'add', 'ftp://x/', '--events', 'message'], { env });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid_url|http/);
  const removed = await sorak(['webhooks', 'remove', id], { env });
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal((await admin('GET', `/api/v1/admin/webhooks/${id}`)).status, 404);
  const noAdmin = await sorak(['webhooks', 'list']);
  assert.equal(noAdmin.code, 1);
  assert.match(noAdmin.stderr, /admin key/);
  ch.close();
  await r.stop();
});
