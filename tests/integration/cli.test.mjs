// cli.test.mjs: the `sorak` command-line client against the real sorakd.
//
// Every command runs as a child process with SORAK_URL pointing at a fresh
// server; the environment's own SORAK_* variables are left out so a
// developer's shell cannot change the outcome.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startServer, createStream, joinChat, sendAcked, allHistory, api, freshUser, waitFor, SORAK, UUID_V7,
} from './lib/server.mjs';
import { metric } from './lib/seed.mjs';

let server;
const owner = { sub: 'cli-owner', username: 'owner', display_name: 'The Owner' };

before(async () => {
  // Rate limit off: one test sends 120 messages as fast as the acks come.
  server = await startServer({ args: ['--rate-limit', '0'] });
});

function cliEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SORAK_')) env[k] = v;
  }
  return { ...env, SORAK_URL: server.url, TZ: 'UTC', ...extra };
}

// Starts `sorak ARGS`; the returned object collects output and resolves
// `done` with {code, signal, stdout, stderr}.
function start(args, { env = {}, input, cwd } = {}) {
  const child = spawn(SORAK, args, { env: cliEnv(env), cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const run = { child, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { run.stdout += d.toString(); });
  child.stderr.on('data', (d) => { run.stderr += d.toString(); });
  run.done = new Promise((res, rej) => {
    child.once('error', rej);
    child.once('close', (code, signal) => res({ code, signal, stdout: run.stdout, stderr: run.stderr }));
  });
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  return run;
}

// Runs `sorak ARGS` to completion (killed after timeoutMs).
async function sorak(args, opts = {}) {
  const run = start(args, opts);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), opts.timeoutMs ?? 60000);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
}

function assertOk(r, what) {
  assert.equal(r.code, 0, `${what} exits 0; stderr: ${r.stderr}`);
}

function assertFails(r, what) {
  assert.equal(r.code, 1, `${what} exits 1; stdout: ${r.stdout}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got ${JSON.stringify(r.stderr)}`);
  return lines[0];
}

const lines = (text) => text.split('\n').filter((l) => l.length > 0);

// A token minted by `sorak token` with the server's secret.
async function cliToken(claims) {
  const args = ['token', '--sub', claims.sub, '--username', claims.username, '--secret', server.secret];
  if (claims.display_name) args.push('--display-name', claims.display_name);
  if (claims.level !== undefined) args.push('--level', String(claims.level));
  if (claims.premium) args.push('--premium');
  for (const b of claims.badges || []) args.push('--badge', b);
  if (claims.read_only) args.push('--read-only');
  const r = await sorak(args);
  assertOk(r, 'sorak token');
  return r.stdout.trim();
}

test('sorak token mints tokens the server accepts, with every claim', async () => {
  const claims = {
    sub: 'cli-alice', username: 'alice', display_name: 'Alice', level: 12, premium: true, badges: ['verified'],
  };
  const token = await cliToken(claims);
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
  const stream = await createStream(server, owner, { title: 'token check' });
  const alice = await joinChat(server, stream.id, token);
  const ack = await sendAcked(alice, 'signed by the CLI');
  const msg = (await allHistory(server, stream.id, token)).messages.find((m) => m.id === ack.data.id);
  assert.equal(msg.user.id, 'cli-alice');
  assert.equal(msg.user.username, 'alice');
  assert.equal(msg.user.display_name, 'Alice');
  assert.equal(msg.user.level, 12);
  assert.equal(msg.user.is_premium, true);
  assert.ok(msg.user.badges.includes('verified'), `badges ${JSON.stringify(msg.user.badges)}`);
  await alice.close();

  // The secret may also come from a file, the environment, or ./var/jwt-secret.
  const dir = mkdtempSync(join(tmpdir(), 'sorak-cli-'));
  writeFileSync(join(dir, 'secret'), server.secret + '\n');
  const viaFile = await sorak(['token', '--sub', 'f', '--username', 'f', '--secret-file', join(dir, 'secret')]);
  assertOk(viaFile, 'token --secret-file');
  const viaEnv = await sorak(['token', '--sub', 'e', '--username', 'e'], { env: { SORAK_JWT_SECRET: server.secret } });
  assertOk(viaEnv, 'token with SORAK_JWT_SECRET');
  const varDir = join(dir, 'var');
  mkdirSync(varDir);
  writeFileSync(join(varDir, 'jwt-secret'), server.secret);
  const viaDevFile = await sorak(['token', '--sub', 'd', '--username', 'd', '--ttl', '30m'], { cwd: dir });
  assertOk(viaDevFile, 'token from ./var/jwt-secret');
  for (const t of [viaFile, viaEnv, viaDevFile]) {
    const res = await api(server, 'GET', `/api/v1/streams/${stream.id}/chat/history`, { token: t.stdout.trim() });
    assert.equal(res.status, 200, `token accepted: ${res.text}`);
  }

  const noSecret = await sorak(['token', '--sub', 'x', '--username', 'x'], { cwd: tmpdir() });
  assert.match(assertFails(noSecret, 'token without a secret'), /no_secret/);
  const badTtl = await sorak(['token', '--sub', 'x', '--username', 'x', '--secret', 's', '--ttl', 'soon']);
  assertFails(badTtl, 'token --ttl soon');
});

test('sorak watch shows sent messages in the display format; sorak send prints their ids', async () => {
  const stream = await createStream(server, owner, { title: 'watch and send' });
  const watcherToken = await cliToken({ sub: 'cli-watcher', username: 'watcher' });
  const aliceToken = await cliToken({ sub: 'cli-alice2', username: 'alice', display_name: 'Alice', level: 12, premium: true });
  const bobToken = await cliToken({ sub: 'cli-bob', username: 'bob', display_name: 'Bob', level: 3 });

  const watch = start(['watch', stream.id, '--count', '2', '--token', watcherToken]);
  await waitFor(() => /watching/.test(watch.stderr), { timeoutMs: 10000, what: 'sorak watch to connect' });

  const sentA = await sorak(['send', stream.id, 'hello', 'from', 'alice', '--token', aliceToken]);
  assertOk(sentA, 'send as alice');
  assert.match(sentA.stdout.trim(), UUID_V7, 'send prints the message id');
  // The room id works wherever a stream id does.
  const sentB = await sorak(['send', stream.room_id, 'hi there', '--token', bobToken]);
  assertOk(sentB, 'send as bob by room id');

  const timer = setTimeout(() => watch.child.kill('SIGKILL'), 15000);
  const w = await watch.done;
  clearTimeout(timer);
  assertOk(w, 'watch --count 2');
  const chat = lines(w.stdout).filter((l) => l.startsWith('💬'));
  assert.equal(chat.length, 2, `two chat lines in ${JSON.stringify(w.stdout)}`);
  assert.match(chat[0], /^💬 \[\d\d:\d\d:\d\d\] 💎Lv\.12 Alice: hello from alice$/);
  assert.match(chat[1], /^💬 \[\d\d:\d\d:\d\d\] Lv\.3 Bob: hi there$/);

  const history = (await allHistory(server, stream.id, watcherToken)).messages;
  assert.deepEqual(history.map((m) => m.id), [sentA.stdout.trim(), sentB.stdout.trim()]);

  // A second watch prints the history first (TZ=UTC: the times are the
  // messages' own) and exits 0 on Ctrl-C.
  const again = start(['watch', stream.id, '--token', watcherToken]);
  await waitFor(() => lines(again.stdout).filter((l) => l.startsWith('💬')).length === 2,
    { timeoutMs: 10000, what: 'the history lines' });
  again.child.kill('SIGINT');
  const stopped = await again.done;
  assertOk(stopped, 'watch stopped with SIGINT');
  const shown = lines(stopped.stdout).filter((l) => l.startsWith('💬'));
  const hhmmss = (ts) => ts.slice(11, 19);
  assert.equal(shown[0], `💬 [${hhmmss(history[0].created_at)}] 💎Lv.12 Alice: hello from alice`);
  assert.equal(shown[1], `💬 [${hhmmss(history[1].created_at)}] Lv.3 Bob: hi there`);
});

test('sorak watch negotiates permessage-deflate and prints every line of a burst, in order', async () => {
  const stream = await createStream(server, owner, { title: 'a busy stream in the terminal' });
  const deflated = async () => (await metric(server, 'sorak_ws_deflate_sessions_total')) ?? 0;
  const before = await deflated();
  const watch = start(['watch', stream.id, '--count', '120', '--token', await cliToken({ sub: 'cli-zip', username: 'zip' })]);
  await waitFor(() => /watching/.test(watch.stderr), { timeoutMs: 10000, what: 'sorak watch to connect' });
  await waitFor(async () => (await deflated()) === before + 1, { timeoutMs: 5000, what: 'the watch to negotiate permessage-deflate' });

  // Two senders without waiting for acks: rounds of several events, which a
  // client keeping its inflater's window reads as one DEFLATE chain each.
  const senders = [
    await joinChat(server, stream.id, server.token(freshUser('burst'))),
    await joinChat(server, stream.id, server.token(freshUser('burst'))),
  ];
  for (let i = 0; i < 120; i++) senders[i % 2].send({ type: 'message', content: `burst line ${i}` });
  const timer = setTimeout(() => watch.child.kill('SIGKILL'), 20000);
  const w = await watch.done;
  clearTimeout(timer);
  assertOk(w, 'watch --count 120');
  const shown = lines(w.stdout).filter((l) => l.startsWith('💬')).map((l) => /burst line (\d+)$/.exec(l)?.[1]);
  const history = (await allHistory(server, stream.id, server.token(owner))).messages;
  assert.equal(history.length, 120);
  assert.deepEqual(shown, history.map((m) => /burst line (\d+)$/.exec(m.content)[1]), 'the store\'s order, none lost or doubled');
  for (const c of senders) await c.close();
});

test('sorak watch quotes the parent above a reply: seen, fetched by id, or deleted', async () => {
  const stream = await createStream(server, owner, { title: 'replies in the terminal' });
  const carol = { sub: 'cli-carol', username: 'carol', display_name: 'Carol' };
  const c = await joinChat(server, stream.id, server.token(carol));
  const old = (await sendAcked(c, 'an old question from before the watch')).data.id;
  const gone = (await sendAcked(c, 'a rude thing')).data.id;
  // Older than the 50 messages of history on connect: the watch never shows them.
  for (let i = 0; i < 50; i++) await sendAcked(c, `filler ${i}`);
  const watch = start(['watch', stream.id, '--count', '4', '--token', await cliToken({ sub: 'cli-rw', username: 'rw' })]);
  await waitFor(() => /watching/.test(watch.stderr), { timeoutMs: 10000, what: 'sorak watch to connect' });
  const fresh = (await sendAcked(c, 'what song is this? the one with the long intro and the guitar')).data.id;
  await sendAcked(c, 'it is the new single', { reply_to: fresh });  // the parent was shown
  await sendAcked(c, 'answering the old one', { reply_to: old });    // never shown: fetched by id
  const mod = await api(server, 'DELETE', `/api/v1/streams/${stream.id}/chat/messages/${gone}`, { token: server.token(owner) });
  assert.equal(mod.status, 204);
  await sendAcked(c, 'replying to the deleted one', { reply_to: gone });  // 404: deleted
  const timer = setTimeout(() => watch.child.kill('SIGKILL'), 15000);
  const w = await watch.done;
  clearTimeout(timer);
  assertOk(w, 'watch --count 4');
  const all = lines(w.stdout).filter((l) => !l.startsWith('·'));
  const out = all.slice(all.findIndex((l) => l.includes('what song is this')));
  assert.deepEqual(out.map((l) => l.replace(/\[\d\d:\d\d:\d\d\] /, '')), [
    '💬 Lv.0 Carol: what song is this? the one with the long intro and the guitar',
    '   ↩ Carol: what song is this? the one with the long…',
    '💬 Lv.0 Carol: it is the new single',
    '   ↩ Carol: an old question from before the watch',
    '💬 Lv.0 Carol: answering the old one',
    '   ↩ (deleted message)',
    '💬 Lv.0 Carol: replying to the deleted one',
  ]);
  c.close();
});

test('sorak watch --json prints events as JSON lines and exits 0 when the stream ends', async () => {
  const ownerToken = await cliToken(owner);
  const stream = await createStream(server, owner, { title: 'ends while watched' });
  const user = freshUser('jsonwatch');
  await sorak(['send', stream.id, 'before watching', '--token', await cliToken(user)]);

  const watch = start(['watch', stream.id, '--json', '--token', ownerToken]);
  await waitFor(() => /watching/.test(watch.stderr), { timeoutMs: 10000, what: 'sorak watch to connect' });
  const live = await sorak(['send', stream.id, 'while watching', '--token', await cliToken(user)]);
  assertOk(live, 'send');
  await waitFor(() => watch.stdout.includes('while watching'), { timeoutMs: 5000, what: 'the live message' });
  const ended = await sorak(['stream', 'end', stream.id, '--token', ownerToken]);
  assertOk(ended, 'stream end');

  const timer = setTimeout(() => watch.child.kill('SIGKILL'), 10000);
  const w = await watch.done;
  clearTimeout(timer);
  assertOk(w, 'watch of an ending stream');
  const events = lines(w.stdout).map((l) => JSON.parse(l));
  const messages = events.filter((e) => e.type === 'message').map((e) => e.data.content);
  assert.deepEqual(messages, ['before watching', 'while watching']);
  assert.deepEqual(events.at(-1), { type: 'stream_status', data: { status: 'ended' } });

  // Watching an ended stream prints its history and exits at once.
  const after = await sorak(['watch', stream.id, '--token', ownerToken], { timeoutMs: 10000 });
  assertOk(after, 'watch of an ended stream');
  assert.match(after.stdout, /while watching/);

  // Sending to it is refused with the server's code.
  const refused = await sorak(['send', stream.id, 'too late', '--token', ownerToken]);
  assert.match(assertFails(refused, 'send to an ended stream'), /stream_ended/);
});

test('sorak send --stdin and sorak history: 120 messages, every one once, oldest first, across pages', async () => {
  const stream = await createStream(server, owner, { title: 'export' });
  const token = await cliToken({ sub: 'cli-bulk', username: 'bulk', display_name: 'Bulk', level: 5 });
  const texts = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`);
  const sent = await sorak(['send', stream.id, '--stdin', '--token', token], { input: texts.join('\n') + '\n\n' });
  assertOk(sent, 'send --stdin');
  const ids = lines(sent.stdout);
  assert.equal(ids.length, 120, 'one id per line of input (blank lines skipped)');
  assert.equal(new Set(ids).size, 120, 'distinct ids');

  const exported = await sorak(['history', stream.id, '--token', token]);
  assertOk(exported, 'history');
  const messages = lines(exported.stdout).map((l) => JSON.parse(l));
  assert.deepEqual(messages.map((m) => m.content), texts, 'every message once, oldest first');
  assert.deepEqual(messages.map((m) => m.id), ids);
  assert.ok(messages.every((m) => m.user.display_name === 'Bulk' && m.stream_id === stream.id));

  const small = await sorak(['history', stream.room_id, '--limit-per-page', '7', '--token', token]);
  assertOk(small, 'history with 7 per page');
  assert.deepEqual(lines(small.stdout).map((l) => JSON.parse(l).id), ids, 'same export in pages of 7');

  const text = await sorak(['history', stream.id, '--format', 'text', '--admin-key', server.adminKey]);
  assertOk(text, 'history --format text with the admin key');
  const shown = lines(text.stdout);
  assert.equal(shown.length, 120);
  assert.match(shown[0], /^💬 \[\d\d:\d\d:\d\d\] Lv\.5 Bulk: line 1$/);
  assert.match(shown[119], /^💬 \[\d\d:\d\d:\d\d\] Lv\.5 Bulk: line 120$/);
});

test('sorak stream create, list and end', async () => {
  const token = await cliToken({ sub: 'cli-broadcaster', username: 'caster' });
  const created = await sorak(['stream', 'create', '--title', 'CLI stream', '--room-name', 'CLI Room', '--token', token]);
  assertOk(created, 'stream create');
  const id = /stream id:\s*(\S+)/.exec(created.stdout)?.[1];
  const roomId = /room id:\s*(\d+)/.exec(created.stdout)?.[1];
  assert.match(id ?? '', UUID_V7, `stream id in ${created.stdout}`);
  assert.ok(roomId, `room id in ${created.stdout}`);
  const got = await api(server, 'GET', `/api/v1/streams/${id}`);
  assert.equal(got.json.broadcaster_user_id, 'cli-broadcaster');
  assert.equal(got.json.room_name, 'CLI Room');
  assert.equal(got.json.room_id, roomId);

  const live = await sorak(['stream', 'list', '--status', 'live']);
  assertOk(live, 'stream list');
  const header = lines(live.stdout)[0];
  assert.match(header, /ROOM\s+STATUS\s+STARTED.*STREAM ID\s+BROADCASTER\s+TITLE/);
  const row = lines(live.stdout).find((l) => l.includes(id));
  assert.ok(row, `the new stream is listed: ${live.stdout}`);
  assert.match(row, new RegExp(`^${roomId}\\s+live\\s+.*cli-broadcaster\\s+CLI stream$`));

  const other = await cliToken({ sub: 'cli-stranger', username: 'stranger' });
  const forbidden = await sorak(['stream', 'end', id, '--token', other]);
  assert.match(assertFails(forbidden, 'end by a stranger'), /forbidden/);

  const ended = await sorak(['stream', 'end', id, '--token', token]);
  assertOk(ended, 'stream end');
  assert.match(ended.stdout, /ended/);
  const liveAfter = await sorak(['stream', 'list', '--status', 'live']);
  assert.ok(!liveAfter.stdout.includes(id), 'no longer live');
  const endedList = await sorak(['stream', 'list', '--status', 'ended', '--json']);
  assertOk(endedList, 'stream list --json');
  const endedStreams = lines(endedList.stdout).map((l) => JSON.parse(l));
  assert.equal(endedStreams.find((s) => s.id === id)?.status, 'ended');

  // Admin create names the broadcaster and the room.
  const wanted = String(700000 + Math.floor(Math.random() * 99999));
  const admin = await sorak(['stream', 'create', '--title', 'Admin made', '--broadcaster', 'cli-guest',
    '--room-id', wanted, '--admin-key', server.adminKey]);
  assertOk(admin, 'admin stream create');
  assert.match(admin.stdout, new RegExp(`room id:\\s*${wanted}\\b`));
  const taken = await sorak(['stream', 'create', '--title', 'Again', '--broadcaster', 'cli-guest',
    '--room-id', wanted], { env: { SORAK_ADMIN_KEY: server.adminKey } });
  assert.match(assertFails(taken, 'a taken room id'), /room_taken/);
});

test('bad credentials and unknown streams: exit 1 with the server\'s code on stderr', async () => {
  const stream = await createStream(server, owner, { title: 'refusals' });
  const bad = server.token({ sub: 'x' }, { signWith: 'not the secret' });

  const create = await sorak(['stream', 'create', '--title', 'nope', '--token', bad]);
  assert.match(assertFails(create, 'create with a bad token'), /invalid_token/);
  const history = await sorak(['history', stream.id, '--token', 'garbage']);
  assert.match(assertFails(history, 'history with a garbage token'), /invalid_token|unauthorized/);
  const expired = server.token({ sub: 'x' }, { expSeconds: -60 });
  const late = await sorak(['history', stream.id], { env: { SORAK_TOKEN: expired } });
  assert.match(assertFails(late, 'history with an expired token'), /token_expired/);

  const send = await sorak(['send', stream.id, 'hi', '--token', bad]);
  assert.match(assertFails(send, 'send with a bad token'), /4001/);
  const watch = await sorak(['watch', stream.id, '--token', bad], { timeoutMs: 10000 });
  assert.match(assertFails(watch, 'watch with a bad token'), /4001/);

  const good = await cliToken(freshUser('refused'));
  const unknown = await sorak(['send', '00000000-0000-7000-8000-000000000000', 'hi', '--token', good]);
  assert.match(assertFails(unknown, 'send to an unknown stream'), /4004/);
  const missing = await sorak(['history', '999999999', '--token', good]);
  assert.match(assertFails(missing, 'history of an unknown room'), /stream_not_found|not_found/);

  const noToken = await sorak(['send', stream.id, 'hi']);
  assert.match(assertFails(noToken, 'send without a token'), /token/);
  const down = await sorak(['stream', 'list'], { env: { SORAK_URL: 'http://127.0.0.1:1' } });
  assert.match(assertFails(down, 'an unreachable server'), /connection_failed/);
});
