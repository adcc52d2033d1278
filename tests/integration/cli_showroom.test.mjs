// cli_showroom.test.mjs: `sorak apikey`, `sorak poll`, `sorak stats` and
// `sorak history --format csv` against the real sorakd.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, createStream, joinChat, sendAcked, api, sleep, freshUser, SORAK } from './lib/server.mjs';

let server;
let helloAck;
let stream;
let fan;

function sorak(args, { env = {}, timeoutMs = 60000 } = {}) {
  const base = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SORAK_')) base[k] = v;
  const child = spawn(SORAK, args, { env: { ...base, SORAK_URL: server.url, TZ: 'UTC', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { run.stdout += d; });
  child.stderr.on('data', (d) => { run.stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((res) => child.once('close', (code) => { clearTimeout(timer); res({ ...run, code }); }));
}

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  stream = await createStream(server, { sub: 'host', username: 'host' }, { title: 'cli showroom' });
  fan = await joinChat(server, stream.id, server.token({ sub: 'fan', username: 'fan', display_name: 'Fan, "the" one', level: 4 }));
  helloAck = await sendAcked(fan, 'hello');
  fan.send({ type: 'gift', gift_id: 'star', quantity: 2, client_id: 'g1' });
  await fan.next((e) => e.type === 'ack' && e.client_id === 'g1');
});

test('sorak apikey create prints the key once; list shows it; revoke stops it', async () => {
  const admin = { SORAK_ADMIN_KEY: server.adminKey };
  const made = await sorak(['apikey', 'create', 'dashboard'], { env: admin });
  assert.equal(made.code, 0, made.stderr);
  const key = made.stdout.trim();
  assert.match(key, /^sk_[0-9a-f]{40}$/);
  const feed = () => api(server, 'GET', `/api/jkt48/chat-stream-sr?room_id=${stream.room_id}&apikey=${key}`);
  assert.equal((await feed()).status, 200);
  const list = await sorak(['apikey', 'list'], { env: admin });
  assert.equal(list.code, 0, list.stderr);
  const row = list.stdout.split('\n').find((l) => l.endsWith('dashboard'));
  assert.ok(row && row.includes('active') && row.includes(key.slice(0, 7)), list.stdout);
  assert.ok(!list.stdout.includes(key));
  const id = row.split(/\s+/)[0];
  const revoked = await sorak(['apikey', 'revoke', id], { env: admin });
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((await feed()).status, 401);
  const again = await sorak(['apikey', 'list'], { env: admin });
  assert.ok(again.stdout.split('\n').find((l) => l.endsWith('dashboard')).includes('revoked'));
  const noAdmin = await sorak(['apikey', 'list']);
  assert.equal(noAdmin.code, 1);
  assert.match(noAdmin.stderr, /admin key/);
});

test('sorak poll prints every new message once, oldest first, catching up past --limit', async () => {
  const key = (await api(server, 'POST', '/api/v1/admin/api-keys', { headers: server.admin, body: { name: 'poll' } })).json.key;
  // Just before 'hello' (from its ack), however long the earlier tests took.
  const since = new Date(Date.parse(helloAck.data.created_at) - 1).toISOString();
  const polling = sorak(['poll', stream.room_id, '--since', since, '--limit', '3', '--interval', '0.2', '--duration', '3', '--utc'],
    { env: { SORAK_API_KEY: key } });
  await sleep(500);
  for (let i = 0; i < 7; i++) await sendAcked(fan, `poll ${i}`);
  const r = await polling;
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const want = ['hello', ...Array.from({ length: 7 }, (_, i) => `poll ${i}`)];
  const chat = lines.filter((l) => l.startsWith('💬')).map((l) => l.split(': ').slice(1).join(': '));
  assert.deepEqual(chat, want, r.stdout);
  assert.equal(lines.filter((l) => /^🎁 \[\d\d:\d\d:\d\d\] Lv\.4 Fan, "the" one sent 2x Star \(20 stars\)$/.test(l)).length, 1, r.stdout);
  const bad = await sorak(['poll', stream.room_id, '--duration', '1'], { env: { SORAK_API_KEY: 'sk_bad' } });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid_api_key/);
});

test('sorak stats prints totals, a sparkline, top gifters and the gift table', async () => {
  const r = await sorak(['stats', stream.room_id, '--token', server.token(freshUser())]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, new RegExp(`^Room ${stream.room_id} \\(live, \\d\\d:\\d\\d:\\d\\d\\)$`, 'm'));
  assert.match(out, /^ {2}messages +\d+ \(\d+ chat, 1 gift\) from 1 user$/m);
  assert.match(out, /^ {2}stars +20$/m);
  assert.match(out, /^ {2}timeline +[▁▂▃▄▅▆▇█]+ /m);
  assert.match(out, /^Top gifters\n {2}1\. Fan, "the" one +20 stars, 1 gift$/m);
  assert.match(out, /^Gifts\n {2}Gift +Count +Total stars\n {2}Star +2 +20$/m);
});

test('sorak history --format csv exports every message with a header', async () => {
  const r = await sorak(['history', stream.id, '--format', 'csv', '--token', server.token(freshUser())]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'id,created_at,message_type,user_id,username,display_name,content,gift_id,quantity,stars,reply_to');
  const gift = lines.find((l) => l.includes(',gift,'));
  assert.match(gift, /^[0-9a-f-]{36},\S+Z,gift,fan,fan,"Fan, ""the"" one",,star,2,20,$/);
  assert.ok(lines.some((l) => l.endsWith(',message,fan,fan,"Fan, ""the"" one",hello,,,0,')), r.stdout);
  const { messages } = await (async () => {
    const res = await api(server, 'GET', `/api/v1/streams/${stream.id}/chat/history?limit=100`, { token: server.token(freshUser()) });
    return res.json;
  })();
  assert.equal(lines.length, messages.length + 1);
});
