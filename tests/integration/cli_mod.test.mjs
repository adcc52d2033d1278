// cli_mod.test.mjs: `sorak mod …` against the real sorakd.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, createStream, joinChat, sendAcked, api, allHistory, freshUser } from './lib/server.mjs';
import { SORAK } from './lib/server.mjs';

let server;
let stream;
const owner = { sub: 'cli-mod-owner', username: 'owner' };

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
  stream = await createStream(server, owner, { title: 'cli moderation' });
});

function sorak(args, { token, admin = false } = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SORAK_')) env[k] = v;
  env.SORAK_URL = server.url;
  if (token) env.SORAK_TOKEN = token;
  if (admin) env.SORAK_ADMIN_KEY = server.adminKey;
  return new Promise((res, rej) => {
    const child = spawn(SORAK, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('error', rej);
    child.once('close', (code) => res({ code, stdout, stderr, lines: stdout.trim().split('\n').filter(Boolean) }));
  });
}

const ok = (r, what) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);

test('sorak mod: add, list, settings, delete, timeout, untimeout, ban, unban, remove, log', async () => {
  const t = server.token(owner);
  const room = stream.room_id;
  let r = await sorak(['mod', 'add', room, 'cli-mod'], { token: t });
  ok(r, 'add');
  assert.equal(JSON.parse(r.stdout).badge_type, 'moderator');
  ok(await sorak(['mod', 'add', room, 'cli-vip', '--vip'], { token: t }), 'add --vip');
  r = await sorak(['mod', 'list', room], { token: t });
  ok(r, 'list');
  assert.deepEqual(r.lines.map((l) => [JSON.parse(l).user_id, JSON.parse(l).badge_type]),
    [['cli-mod', 'moderator'], ['cli-vip', 'vip']]);
  r = await sorak(['mod', 'list', room, '--badge-type', 'vip'], { token: t });
  assert.deepEqual(r.lines.map((l) => JSON.parse(l).user_id), ['cli-vip']);

  const modToken = server.token({ sub: 'cli-mod', username: 'climod' });
  r = await sorak(['mod', 'settings', room, '--slow', '5', '--subscribers-only', 'on'], { token: modToken });
  ok(r, 'settings change');
  assert.deepEqual(JSON.parse(r.stdout), { slow_mode_seconds: 5, max_message_length: 500, subscribers_only: true, chat_enabled: true });
  r = await sorak(['mod', 'settings', room, '--slow', '0', '--subscribers-only', 'off'], { admin: true });
  ok(r, 'settings as admin');
  r = await sorak(['mod', 'settings', room], { token: modToken });
  assert.equal(JSON.parse(r.stdout).slow_mode_seconds, 0);

  const u = freshUser('cli-target');
  const c = await joinChat(server, stream.id, server.token(u));
  const id = (await sendAcked(c, 'delete me')).data.id;
  r = await sorak(['mod', 'delete', room, id], { token: modToken });
  ok(r, 'delete');
  assert.equal(r.stdout.trim(), 'ok');
  await c.next('message_deleted');
  assert.ok(!(await allHistory(server, stream.id, t)).messages.some((m) => m.id === id));

  r = await sorak(['mod', 'timeout', room, u.sub, '--duration', '120', '--reason', 'cli says so'], { token: modToken });
  ok(r, 'timeout');
  assert.equal(JSON.parse(r.stdout).duration_seconds, 120);
  c.send({ type: 'message', content: 'x' });
  assert.equal((await c.next('error')).code, 'timed_out');
  ok(await sorak(['mod', 'untimeout', room, u.sub], { token: modToken }), 'untimeout');
  r = await sorak(['mod', 'ban', room, u.sub, '--purge'], { token: modToken });
  ok(r, 'ban');
  await c.next('chat_cleared');
  ok(await sorak(['mod', 'unban', room, u.sub], { token: modToken }), 'unban');
  assert.ok((await sendAcked(c, 'back')).data.id);
  ok(await sorak(['mod', 'remove', room, 'cli-vip'], { token: t }), 'remove');

  r = await sorak(['mod', 'log', room, '--limit', '3'], { token: modToken });
  ok(r, 'log');
  assert.deepEqual(r.lines.map((l) => JSON.parse(l).action), ['remove_badge', 'unban', 'ban']);


  // Blocked terms and the pin (CONTRACT §12).
  r = await sorak(['mod', 'block', room, 'Spoiler'], { token: modToken });
  ok(r, 'block');
  const term = JSON.parse(r.stdout).data;
  assert.equal(term.term, 'Spoiler');
  r = await sorak(['mod', 'block', room, 'ＳＰＯＩＬＥＲ'], { token: modToken });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /blocked_term_exists/);
  r = await sorak(['mod', 'terms', room], { token: modToken });
  ok(r, 'terms');
  assert.deepEqual(r.lines.map((l) => JSON.parse(l).term), ['Spoiler']);
  c.send({ type: 'message', content: 'spoiler: he wins' });
  assert.equal((await c.next('error')).code, 'blocked_term');
  ok(await sorak(['mod', 'unblock', room, term.id], { token: modToken }), 'unblock');
  const pinMe = (await sendAcked(c, 'spoiler-free zone')).data.id;
  r = await sorak(['mod', 'pin', room, pinMe], { token: modToken });
  ok(r, 'pin');
  assert.equal(JSON.parse(r.stdout).data.id, pinMe);
  assert.equal((await c.next('pinned')).data.id, pinMe);
  r = await sorak(['mod', 'unpin', room], { token: modToken });
  ok(r, 'unpin');
  assert.equal(r.stdout.trim(), 'ok');
  assert.equal((await c.next('pinned')).data, null);

  // Refusals come back as the server's error, exit 1.
  r = await sorak(['mod', 'ban', room, owner.sub], { token: modToken });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /forbidden/);
  r = await sorak(['mod', 'add', room, 'x'], { token: modToken });
  assert.equal(r.code, 1);
  r = await sorak(['mod', 'log', room]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /usage/);
  await c.close();
});

test('sorak polls: create, vote (once), show as bars, close, list', async () => {
  const s = await createStream(server, owner, { title: 'cli polls' });
  const t = server.token(owner);
  let r = await sorak(['polls', 'create', s.room_id, 'Next song?', 'Aitakatta', 'River', '--duration', '120'], { token: t });
  ok(r, 'polls create');
  const poll = JSON.parse(r.stdout);
  assert.equal(poll.status, 'open');
  assert.deepEqual(poll.options.map((o) => o.text), ['Aitakatta', 'River']);
  const fan = server.token(freshUser('cli-voter'));
  r = await sorak(['polls', 'vote', s.room_id, poll.id, '2'], { token: fan });
  ok(r, 'polls vote');
  assert.equal(r.stdout.trim(), 'voted');
  r = await sorak(['polls', 'vote', s.room_id, poll.id, '1'], { token: fan });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already_voted/);
  ok(await sorak(['polls', 'vote', s.room_id, poll.id, '2'], { token: server.token(freshUser('cli-voter')) }), 'second voter');
  r = await sorak(['polls', 'vote', s.room_id, poll.id, '1'], { token: server.token(freshUser('cli-voter')) });
  ok(r, 'third voter');
  r = await sorak(['polls', 'show', s.room_id, poll.id], { token: fan });
  ok(r, 'polls show');
  assert.match(r.lines[0], /^📊 Next song\? \(3 votes, open until \d\d:\d\d:\d\d\)$/);
  assert.match(r.lines[1], /^ {5}Aitakatta {2}█{7}░{13} {2}1 {2}33%$/);
  assert.match(r.lines[2], /^ {5}River {2}█{13}░{7} {2}2 {2}67%$/);
  r = await sorak(['polls', 'close', s.room_id, poll.id], { token: fan });
  assert.equal(r.code, 1, 'a viewer may not close it');
  r = await sorak(['polls', 'close', s.room_id, poll.id], { admin: true });
  ok(r, 'polls close');
  assert.match(r.lines[0], /final result/);
  assert.match(r.lines[2], /^ {3}★ River/);
  r = await sorak(['polls', 'list', s.room_id], { token: fan });
  ok(r, 'polls list');
  assert.deepEqual(r.lines.map((l) => JSON.parse(l).id), [poll.id]);
});
