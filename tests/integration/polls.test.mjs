// polls.test.mjs: polls against the real server (CONTRACT §12): staff open and
// close them, 500 votes from 100 users count exactly 100 (one per user), the
// live `poll` events never outpace the poll tick however fast votes arrive, a
// new connection gets the open poll right after its history, and the poll
// closes at its deadline with a final result.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createStream, joinChat, api, freshUser, sleep, UUID_V7, TS_MS } from './lib/server.mjs';

let server;
const owner = { sub: 'poll-owner', username: 'owner', display_name: 'Owner' };
const mod = { sub: 'poll-mod', username: 'moddy' };
const TICK_MS = 500;  // chat_service::poll_tick_ms

before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
});

const tok = (claims) => server.token(claims);
const path = (s, rest) => `/api/v1/streams/${s.id}${rest}`;

async function moderatedStream(title) {
  const s = await createStream(server, owner, { title });
  const r = await api(server, 'POST', path(s, '/moderators'), { token: tok(owner), body: { user_id: mod.sub, badge_type: 'moderator' } });
  assert.equal(r.status, 201, r.text);
  return s;
}

// Sends a vote and resolves with `voted` or the error answering it.
function vote(client, poll_id, option) {
  client.send({ type: 'vote', poll_id, option });
  return client.next((e) => (e.type === 'voted' && e.data.poll_id === poll_id) || e.type === 'error', 10000);
}

test('staff open a poll; viewers may not; bad polls and a second open one are refused', async () => {
  const s = await moderatedStream('poll rules');
  const body = { question: 'Next song?', options: ['Aitakatta', 'Heavy Rotation', 'River'], duration_seconds: 60 };
  const viewer = await api(server, 'POST', path(s, '/polls'), { token: tok(freshUser()), body });
  assert.equal(viewer.status, 403);
  assert.equal(viewer.json.code, 'forbidden');
  for (const bad of [
    { ...body, options: ['only one'] }, { ...body, options: ['1', '2', '3', '4', '5', '6'] }, { ...body, question: '  ' },
    { ...body, duration_seconds: 5 }, { ...body, duration_seconds: 3601 }, { ...body, options: ['a', ''] },
    { ...body, options: 'a,b' }, { question: 'q', options: ['a', 'b'] }, { ...body, question: 'x'.repeat(201) },
  ]) {
    const r = await api(server, 'POST', path(s, '/polls'), { token: tok(mod), body: bad });
    assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
    assert.equal(r.json.code, 'invalid_field');
  }
  const created = await api(server, 'POST', path(s, '/polls'), { token: tok(mod), body });
  assert.equal(created.status, 201, created.text);
  const p = created.json.data;
  assert.match(p.id, UUID_V7);
  assert.equal(p.stream_id, s.id);
  assert.equal(p.question, 'Next song?');
  assert.deepEqual(p.options, [{ text: 'Aitakatta', votes: 0 }, { text: 'Heavy Rotation', votes: 0 }, { text: 'River', votes: 0 }]);
  assert.equal(p.total_votes, 0);
  assert.equal(p.status, 'open');
  assert.equal(p.created_by, mod.sub);
  assert.match(p.created_at, TS_MS);
  assert.equal(Date.parse(p.ends_at) - Date.parse(p.created_at), 60000);
  assert.equal(p.closed_at, null);
  const second = await api(server, 'POST', path(s, '/polls'), { token: tok(owner), body });
  assert.equal(second.status, 409);
  assert.equal(second.json.code, 'poll_open');
  const one = await api(server, 'GET', path(s, `/polls/${p.id}`), { token: tok(freshUser()) });
  assert.equal(one.status, 200);
  assert.deepEqual(one.json.data, p);
  assert.equal((await api(server, 'GET', path(s, '/polls/0190a1b2-0000-7000-8000-000000000000'), { token: tok(owner) })).json.code, 'poll_not_found');
  // Closed early by staff: once, then it takes no votes and a new poll may open.
  assert.equal((await api(server, 'POST', path(s, `/polls/${p.id}/close`), { token: tok(freshUser()) })).status, 403);
  const closed = await api(server, 'POST', path(s, `/polls/${p.id}/close`), { token: tok(owner) });
  assert.equal(closed.status, 200, closed.text);
  assert.equal(closed.json.data.status, 'closed');
  assert.match(closed.json.data.closed_at, TS_MS);
  assert.equal((await api(server, 'POST', path(s, `/polls/${p.id}/close`), { token: tok(owner) })).json.code, 'poll_closed');
  const c = await joinChat(server, s.id, tok(freshUser()));
  assert.equal((await vote(c, p.id, 0)).code, 'poll_closed');
  assert.equal((await api(server, 'POST', path(s, '/polls'), { token: tok(mod), body })).status, 201);
  const list = await api(server, 'GET', path(s, '/polls'), { token: tok(freshUser()) });
  assert.equal(list.json.data.length, 2);
  assert.equal(list.json.data[1].id, p.id, 'newest first');
  const log = await api(server, 'GET', path(s, '/moderation/log'), { token: tok(owner) });
  assert.deepEqual(log.json.actions.slice(0, 3).map((a) => a.action), ['create_poll', 'close_poll', 'create_poll']);
  c.close();
});

test('500 votes from 100 users count exactly 100; live `poll` events never outpace the tick', async () => {
  const s = await moderatedStream('poll crowd');
  const watcher = await joinChat(server, s.id, tok(freshUser('watcher')));
  const created = await api(server, 'POST', path(s, '/polls'), {
    token: tok(owner), body: { question: 'Encore?', options: ['Yes', 'No', 'Twice'], duration_seconds: 120 } });
  assert.equal(created.status, 201, created.text);
  const pollId = created.json.data.id;
  const opened = await watcher.next('poll');
  assert.equal(opened.data.id, pollId);
  assert.equal(opened.data.status, 'open');

  const users = Array.from({ length: 100 }, () => freshUser('fan'));
  const clients = await Promise.all(users.map((u) => joinChat(server, s.id, tok(u))));
  // Each user votes 5 times as fast as the answers come: the first counts.
  const first = new Array(3).fill(0);
  const outcomes = await Promise.all(clients.map(async (c, i) => {
    const got = [];
    for (let k = 0; k < 5; k++) got.push(await vote(c, pollId, (i + k) % 3));
    first[i % 3]++;
    return got;
  }));
  for (const got of outcomes) {
    assert.equal(got[0].type, 'voted', `the first vote is taken: ${JSON.stringify(got[0])}`);
    for (const later of got.slice(1)) assert.equal(later.code, 'already_voted', JSON.stringify(later));
  }
  await sleep(TICK_MS * 3);
  const counted = (await api(server, 'GET', path(s, `/polls/${pollId}`), { token: tok(owner) })).json.data;
  assert.equal(counted.total_votes, 100);
  assert.deepEqual(counted.options.map((o) => o.votes), first);
  const live = watcher.ofType('poll').filter((e) => e.data.id === pollId);
  assert.deepEqual(live.at(-1).data.options.map((o) => o.votes), first, 'the last live event has the final counts');
  // Coalesced: never two events closer than most of a tick apart, however fast the 500 votes came.
  for (let i = 2; i < live.length; i++) {
    const gap = live[i]._at - live[i - 1]._at;
    assert.ok(gap >= TICK_MS * 0.6, `poll events ${i - 1} and ${i} ${gap} ms apart (${live.length} events)`);
  }
  // Counts only ever grow in the live events.
  for (let i = 1; i < live.length; i++) assert.ok(live[i].data.total_votes >= live[i - 1].data.total_votes);

  // A new connection gets the open poll, with its counts, right after history.
  const late = await joinChat(server, s.id, tok(freshUser('late')));
  const p = await late.next('poll');
  assert.equal(p.data.total_votes, 100);
  const types = late.events.map((e) => e.type);
  assert.equal(types.indexOf('poll'), types.indexOf('history') + 1, late.summary());
  // Bad votes are refused in words.
  assert.equal((await vote(late, pollId, 3)).code, 'invalid_option');
  assert.equal((await vote(late, 'nope', 0)).code, 'poll_not_found');
  late.send({ type: 'vote', poll_id: pollId, option: 'Yes' });
  assert.equal((await late.next('error')).code, 'invalid_option');
  for (const c of [...clients, watcher, late]) c.close();
});

test('a poll closes at its deadline: every viewer gets the final result once; later votes are refused', async () => {
  const s = await moderatedStream('poll deadline');
  const a = await joinChat(server, s.id, tok(freshUser()));
  const b = await joinChat(server, s.id, tok(freshUser()));
  const created = await api(server, 'POST', path(s, '/polls'), {
    token: tok(mod), body: { question: 'Short one?', options: ['A', 'B'], duration_seconds: 10 } });
  const pollId = created.json.data.id;
  assert.equal((await vote(a, pollId, 1)).type, 'voted');
  const final = await b.next((e) => e.type === 'poll' && e.data.status === 'closed', 14000);
  assert.equal(final.data.id, pollId);
  assert.deepEqual(final.data.options.map((o) => o.votes), [0, 1]);
  assert.ok(Math.abs(Date.parse(final.data.closed_at) - Date.parse(final.data.ends_at)) < 1000, JSON.stringify(final.data));
  const lag = final._at - Date.parse(final.data.ends_at);
  assert.ok(lag < 2000, `the final result came ${lag} ms after the deadline`);
  assert.equal((await vote(b, pollId, 0)).code, 'poll_closed');
  await sleep(TICK_MS * 3);
  assert.equal(b.ofType('poll').filter((e) => e.data.status === 'closed').length, 1, 'the final result once');
  // A new connection gets no closed poll.
  const c = await joinChat(server, s.id, tok(freshUser()));
  await sleep(200);
  assert.equal(c.ofType('poll').length, 0, c.summary());
  for (const x of [a, b, c]) x.close();
});
