// seed000.test.mjs: the example programs of seed 000 ("Showroom Chat Stream")
// run unchanged against sorakd. tests/seed000/ holds them as the seed prints
// them; here only API_KEY, BASE_URL and the room id "123456" are replaced
// before each runs: the Python functions with Debian's python3 and
// python3-requests, the JavaScript functions with Node's fetch, and the Go
// program with Debian's golang-go (standard library, no network).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStream, joinChat, sendAcked, api, sleep, tempDir } from './lib/server.mjs';
import { startTarget, viewersSettled } from './lib/cluster.mjs';

const seedDir = resolve(dirname(fileURLToPath(import.meta.url)), '../seed000');
const PYTHON = process.env.SORAK_TEST_PYTHON || '/usr/bin/python3';
const GO = process.env.SORAK_TEST_GO || 'go';
// Go's own build cache (GOCACHE, else its default): compiling net/http and the rest of the
// standard library into an empty cache took 15 s of this test on two shared cores, and it is
// keyed by content, so sharing it with every other run (build and build-asan alike) is safe.
const GOCACHE = process.env.GOCACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'go-build');

let server;
let stream;
let apiKey;
let fan;
let premium;
const work = tempDir();
const fixture = [];  // {kind, text | gift, timestamp}

// The seed's file with only the three values replaced.
function derive(name, roomId) {
  const text = readFileSync(join(seedDir, name), 'utf8');
  const out = text
    .replaceAll('YOUR_API_KEY', apiKey)
    .replaceAll('https://v2.jkt48connect.my.id', server.url)
    .replaceAll('"123456"', `"${roomId}"`);
  assert.notEqual(out, text);
  return out;
}

function run(cmd, args, { env = {}, cwd = work, timeoutMs = 120000 } = {}) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, TZ: 'UTC', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => { clearTimeout(timer); rej(new Error(`cannot run ${cmd}: ${e.message}`)); });
    child.once('close', (code) => { clearTimeout(timer); res({ code, stdout, stderr }); });
  });
}

const hhmmss = (ts) => ts.slice(11, 19);  // UTC, as Python's and Go's formatting print it here

before(async () => {
  server = await startTarget({ args: ['--rate-limit', '0'] });
  apiKey = (await api(server, 'POST', '/api/v1/admin/api-keys', { headers: server.admin, body: { name: 'seed000' } })).json.key;
  stream = await createStream(server, { sub: 'freya', username: 'freya' }, {
    title: 'Weekend Chat with Freya', room_name: 'Freya JKT48',
    member: { name: 'Freya Jayawardana', nickname: 'Freya', team: 'KIII' },
  });
  fan = await joinChat(server, stream.id, server.token({ sub: '12345', username: 'showroom_fan', display_name: 'JKT48 Fan', level: 15 }));
  premium = await joinChat(server, stream.id, server.token({ sub: '67890', username: 'premium_fan', display_name: 'Premium Fan', level: 25, premium: true }));
  await viewersSettled(server, stream.id, 2);
  const a = await sendAcked(fan, 'Halo Freya! Semangat live nya!');
  fixture.push({ line: (t) => `💬 [${t}] Lv.15 JKT48 Fan: Halo Freya! Semangat live nya!`, ts: a.data.created_at });
  premium.send({ type: 'gift', gift_id: 'star', quantity: 5, content: '🌟✨', client_id: 'g1' });
  const g = await premium.next((e) => e.type === 'ack' && e.client_id === 'g1');
  fixture.push({ line: (t) => `🎁 [${t}] 💎Lv.25 Premium Fan sent 5x Star (50 stars)`, ts: g.data.created_at });
  premium.send({ type: 'gift', gift_id: 'heart', quantity: 2, client_id: 'g2' });
  const h = await premium.next((e) => e.type === 'ack' && e.client_id === 'g2');
  fixture.push({ line: (t) => `🎁 [${t}] 💎Lv.25 Premium Fan sent 2x Heart (10 stars)`, ts: h.data.created_at });
});

// The display block: header lines, then every fixture line newest first.
function checkDisplay(stdout, { timeOf, topGifts, stars }) {
  const lines = stdout.split('\n');
  assert.ok(lines.includes('=== SHOWROOM LIVE CHAT: Weekend Chat with Freya ==='), stdout);
  assert.ok(lines.includes('Member: Freya Jayawardana (KIII)'), stdout);
  assert.ok(lines.some((l) => /^Viewers: 2 \| Duration: \d\d:\d\d:\d\d$/.test(l)), stdout);
  assert.ok(lines.some((l) => new RegExp(`^Messages/min: [\\d.]+ \\| Total Stars: ${stars}$`).test(l)), stdout);
  assert.ok(lines.includes(`Top gifts: ${topGifts}`), stdout);
  const shown = lines.filter((l) => l.startsWith('💬') || l.startsWith('🎁'));
  if (timeOf === null) return;  // the JavaScript example prints toLocaleTimeString('id-ID')
  const want = [...fixture].reverse().map((f) => f.line(timeOf(f.ts)));
  assert.deepEqual(shown, want);
}

test('the Python functions print the chat and gift lines (python3-requests)', async () => {
  const file = join(work, 'showroom_chat.py');
  writeFileSync(file, derive('showroom_chat.py', stream.room_id));
  const r = await run(PYTHON, [file]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes('Error'), r.stdout);
  checkDisplay(r.stdout, { timeOf: hhmmss, topGifts: 'star heart', stars: 60 });
});

test('the Python monitor (since = newest timestamp) prints each new message exactly once', async () => {
  const monitor = run(PYTHON, ['-c', `import showroom_chat; showroom_chat.monitor_showroom_chat("${stream.room_id}", 8)`]);
  await sleep(1500);
  const texts = [];
  // More than the monitor's limit of 5 arrive between two of its polls.
  for (let i = 0; i < 8; i++) {
    await sendAcked(fan, `live ${i}`);
    texts.push(`live ${i}`);
  }
  await sleep(1000);
  premium.send({ type: 'gift', gift_id: 'clap', quantity: 3, client_id: 'g3' });
  await premium.next((e) => e.type === 'ack' && e.client_id === 'g3');
  const r = await monitor;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes('Monitoring error'), r.stdout);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('🔴'));
  for (const t of texts) {
    assert.equal(lines.filter((l) => l.endsWith(`Lv.15 JKT48 Fan: ${t}`)).length, 1, `${t}:\n${r.stdout}`);
  }
  assert.equal(lines.filter((l) => l.endsWith('💎Lv.25 Premium Fan sent 3x Clap')).length, 1, r.stdout);
  assert.equal(lines.length, texts.length + 1, r.stdout);
});

test('the JavaScript functions print the chat and gift lines and poll (Node fetch)', async () => {
  const file = join(work, 'showroom_chat.js');
  const driver = `
displayShowroomLiveChat("${stream.room_id}").then(() => {
  console.log('--- POLL ---');
  const monitor = new ShowroomChatMonitor("${stream.room_id}");
  monitor.start((m) => console.log('POLLED', m.isGift ? 'gift' : 'chat', m.text));
  setTimeout(() => process.exit(0), 6500);
});
`;
  writeFileSync(file, derive('showroom_chat.js', stream.room_id) + driver);
  const running = run(process.execPath, [file]);
  await sleep(2500);
  await sendAcked(fan, 'seen by the JS poller');
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  const [display, poll] = r.stdout.split('--- POLL ---');
  checkDisplay(display, { timeOf: null, topGifts: 'star heart clap', stars: 63 });
  const shown = display.split('\n').filter((l) => l.startsWith('💬') || l.startsWith('🎁'));
  assert.ok(shown.some((l) => /^🎁 \[[^\]]+\] 💎Lv\.25 Premium Fan sent 5x Star \(50 stars\)$/.test(l)), display);
  assert.ok(shown.some((l) => /^💬 \[[^\]]+\] Lv\.15 JKT48 Fan: Halo Freya! Semangat live nya!$/.test(l)), display);
  assert.ok(shown.some((l) => /^💬 \[[^\]]+\] Lv\.15 JKT48 Fan: live 7$/.test(l)), display);
  assert.equal(poll.split('\n').filter((l) => l === 'POLLED chat seen by the JS poller').length, 1, poll);
});

test('the Go program prints the chat and gift lines (golang-go, standard library only)', async () => {
  const dir = join(work, 'go');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'showroom_chat.go');
  writeFileSync(file, derive('showroom_chat.go', stream.room_id));
  const env = {
    HOME: dir, GOCACHE, GOPATH: join(dir, 'path'), GOFLAGS: '', GO111MODULE: 'auto',
    GOPROXY: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0',
  };
  const r = await run(GO, ['run', file], { env, cwd: dir, timeoutMs: 240000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes('Top gifts: [star heart clap]'), r.stdout);
  assert.ok(lines.includes('Member: Freya Jayawardana (KIII)'), r.stdout);
  assert.ok(lines.some((l) => /^Messages\/min: \d+\.\d \| Total Stars: 63$/.test(l)), r.stdout);
  const shown = lines.filter((l) => l.startsWith('💬') || l.startsWith('🎁'));
  for (const f of fixture) assert.ok(shown.includes(f.line(hhmmss(f.ts))), `${f.line(hhmmss(f.ts))}\n${r.stdout}`);
  assert.ok(shown.some((l) => l.endsWith('💎Lv.25 Premium Fan sent 3x Clap (3 stars)')), r.stdout);
  assert.ok(shown.some((l) => l.endsWith('Lv.15 JKT48 Fan: live 7')), r.stdout);
});
