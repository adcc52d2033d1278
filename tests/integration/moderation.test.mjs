// moderation.test.mjs: moderation as chatters feel it (CONTRACT §6), on open
// connections: deletions, timeouts, bans, purge, chat settings, badges on
// messages, the moderator rate tier, the log, and a ban that survives a restart.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, sendAcked, api, allHistory, freshUser, sleep, waitFor, TS_MS,
} from './lib/server.mjs';

let server;
const owner = { sub: 'mod-owner', username: 'owner', display_name: 'Owner' };
const mod = { sub: 'mod-mod', username: 'moddy', display_name: 'Moddy', badges: ['verified'] };
const vip = { sub: 'mod-vip', username: 'vippy' };

before(async () => {
  // 3 messages per 30 s for users, 6 for the broadcaster and moderators.
  server = await startServer({ args: ['--rate-limit', '3/30', '--rate-limit-mod', '6/30'] });
});

const tok = (claims) => server.token(claims);
const path = (s, rest) => `/api/v1/streams/${s.id}${rest}`;

// A stream with `mod` as moderator and `vip` as VIP.
async function moderatedStream(title) {
  const s = await createStream(server, owner, { title });
  for (const [who, badge_type] of [[mod, 'moderator'], [vip, 'vip']]) {
    const r = await api(server, 'POST', path(s, '/moderators'), { token: tok(owner), body: { user_id: who.sub, badge_type } });
    assert.equal(r.status, 201, r.text);
  }
  return s;
}

function assertError(ev, code) {
  assert.equal(ev.type, 'error');
  assert.equal(ev.code, code, `error code (message "${ev.message}")`);
  assert.ok(ev.message.length > 0);
}

const isMessageFrom = (user) => (e) => e.type === 'message' && e.data.user.id === user.sub && e.data.message_type === 'message';
const isNotice = (e) => e.type === 'message' && e.data.message_type === 'moderation';

test('seed 004 moderators: add, list with total and badge_type, badges, remove (204)', async () => {
  const s = await moderatedStream('moderators');
  // The moderator's profile (and verified badge) is known once they connect.
  const c = await joinChat(server, s.id, tok(mod));
  // The profile is remembered without waiting for its commit: wait until it shows.
  const list = await waitFor(async () => {
    const r = await api(server, 'GET', path(s, '/moderators'), { token: tok(freshUser()) });
    return r.json.moderators[0]?.username ? r : null;
  }, { what: 'the moderator\'s username' });
  assert.equal(list.status, 200);
  assert.equal(list.json.total, 2);
  const [m, v] = list.json.moderators;
  assert.deepEqual(Object.keys(m).sort(), ['badge_type', 'granted_at', 'id', 'user_id', 'username']);
  assert.equal(m.user_id, mod.sub);
  assert.equal(m.username, 'moddy');
  assert.equal(m.badge_type, 'moderator');
  assert.match(m.granted_at, TS_MS);
  assert.equal(v.badge_type, 'vip');
  const mods = await api(server, 'GET', path(s, '/moderators?badge_type=moderator'), { token: tok(owner) });
  assert.deepEqual(mods.json.moderators.map((x) => x.user_id), [mod.sub]);
  assert.equal(mods.json.total, 1);
  const vips = await api(server, 'GET', path(s, '/moderators?badge_type=vip'), { token: tok(owner) });
  assert.deepEqual(vips.json.moderators.map((x) => x.user_id), [vip.sub]);

  const badges = (u) => api(server, 'GET', path(s, `/users/${u}/badges`), { token: tok(freshUser()) });
  assert.deepEqual((await badges(mod.sub)).json, { badges: ['moderator', 'verified'] });
  assert.deepEqual((await badges(owner.sub)).json, { badges: ['broadcaster'] });
  assert.deepEqual((await badges('never-seen')).json, { badges: [] });
  const sub = { ...freshUser('sub'), badges: ['verified', 'subscriber'] };
  const sc = await joinChat(server, s.id, tok(sub));
  await waitFor(async () => (await badges(sub.sub)).json.badges.length === 2, { what: 'the subscriber profile' });
  assert.deepEqual((await badges(sub.sub)).json, { badges: ['subscriber', 'verified'] });

  // Granting VIP to the moderator replaces the badge; removing takes it.
  const re = await api(server, 'POST', path(s, '/moderators'), { token: tok(owner), body: { user_id: mod.sub, badge_type: 'vip' } });
  assert.equal(re.status, 201);
  assert.equal(re.json.badge_type, 'vip');
  assert.deepEqual((await badges(mod.sub)).json, { badges: ['vip', 'verified'] });
  const del = await api(server, 'DELETE', path(s, `/moderators/${mod.sub}`), { token: tok(owner) });
  assert.equal(del.status, 204);
  assert.equal(del.text, '');
  assert.deepEqual((await badges(mod.sub)).json, { badges: ['verified'] });
  assert.equal((await api(server, 'GET', path(s, '/moderators'), { token: tok(owner) })).json.total, 1);
  await c.close();
  await sc.close();
});

test('a grant names moderator or vip: an empty or other badge_type is 400, absent means moderator', async () => {
  const s = await createStream(server, owner, { title: 'badge types' });
  const grant = (body) => api(server, 'POST', path(s, '/moderators'), { token: tok(owner), body });
  for (const badge_type of ['', 'admin', 'Moderator', 7]) {
    const r = await grant({ user_id: freshUser().sub, badge_type });
    assert.equal(r.status, 400, `badge_type ${JSON.stringify(badge_type)}: ${r.text}`);
    assert.equal(r.json.code, 'invalid_field');
  }
  const plain = await grant({ user_id: freshUser().sub });
  assert.equal(plain.status, 201, plain.text);
  assert.equal(plain.json.badge_type, 'moderator');
  assert.equal((await api(server, 'GET', path(s, '/moderators'), { token: tok(owner) })).json.total, 1);
});

test('badges travel on every message: moderator, vip, broadcaster, from the next message on', async () => {
  const s = await moderatedStream('badges');
  const viewer = await joinChat(server, s.id, tok(freshUser('watcher')));
  const expect = async (who, badges) => {
    const c = await joinChat(server, s.id, tok(who));
    const ack = await sendAcked(c, `hello from ${who.sub}`);
    const m = await viewer.next((e) => e.type === 'message' && e.data.id === ack.data.id);
    assert.deepEqual(m.data.user.badges, badges, who.sub);
    await c.close();
  };
  await expect(mod, ['moderator', 'verified']);
  await expect(vip, ['vip']);
  await expect(owner, ['broadcaster']);
  // Granted while connected: the very next message wears it.
  const u = freshUser('promoted');
  const c = await joinChat(server, s.id, tok(u));
  assert.deepEqual((await sendAcked(c, 'before')) && (await viewer.next(isMessageFrom(u))).data.user.badges, []);
  await api(server, 'POST', path(s, '/moderators'), { token: tok(owner), body: { user_id: u.sub, badge_type: 'moderator' } });
  await sendAcked(c, 'after');
  assert.deepEqual((await viewer.next(isMessageFrom(u))).data.user.badges, ['moderator']);
  await c.close();
  await viewer.close();
});

test('a deleted message: message_deleted to every viewer, gone from REST history, history on connect and since=', async () => {
  const s = await moderatedStream('deletions');
  const author = freshUser('author');
  const a = await joinChat(server, s.id, tok(author));
  const v1 = await joinChat(server, s.id, tok(freshUser('v1')));
  const v2 = await joinChat(server, s.id, tok(freshUser('v2')));
  const first = (await sendAcked(a, 'first')).data.id;
  const bad = (await sendAcked(a, 'something rude')).data.id;
  const last = (await sendAcked(a, 'last')).data.id;
  const r = await api(server, 'DELETE', path(s, `/chat/messages/${bad}`), { token: tok(mod) });
  assert.equal(r.status, 204);
  for (const v of [v1, v2, a]) {
    const ev = await v.next('message_deleted');
    assert.deepEqual(ev, { type: 'message_deleted', data: { message_id: bad } });
  }
  const { messages } = await allHistory(server, s.id, tok(owner));
  assert.deepEqual(messages.map((m) => m.id), [first, last]);
  const small = await api(server, 'GET', path(s, '/chat/history?limit=1'), { token: tok(owner) });
  assert.deepEqual(small.json.messages.map((m) => m.id), [last]);
  const older = await api(server, 'GET', path(s, `/chat/history?before=${last}`), { token: tok(owner) });
  assert.deepEqual(older.json.messages.map((m) => m.id), [first]);
  const fresh = await joinChat(server, s.id, tok(freshUser('late')));
  assert.deepEqual(fresh.history.data.map((m) => m.id), [first, last]);
  const since = await joinChat(server, s.id, tok(freshUser('back')), { since: first });
  assert.equal(since.history.recovered, true);
  assert.deepEqual(since.history.data.map((m) => m.id), [last]);
  const sinceDeleted = await joinChat(server, s.id, tok(freshUser('back2')), { since: bad });
  assert.equal(sinceDeleted.history.recovered, true);
  assert.deepEqual(sinceDeleted.history.data.map((m) => m.id), [last]);
  for (const c of [a, v1, v2, fresh, since, sinceDeleted]) await c.close();
});

test('a timed-out user gets timed_out with seconds_left, may still read, and chats again on the same connection when it ends', async () => {
  const s = await moderatedStream('timeout');
  const u = freshUser('noisy');
  const c = await joinChat(server, s.id, tok(u));
  const watcher = await joinChat(server, s.id, tok(freshUser('w')));
  await sendAcked(c, 'before the timeout');
  const r = await api(server, 'POST', path(s, '/timeouts'), { token: tok(mod), body: { user_id: u.sub, duration_seconds: 2, reason: 'calm down' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user_id, u.sub);
  assert.equal(r.json.duration_seconds, 2);
  assert.equal(r.json.reason, 'calm down');
  assert.equal(r.json.moderator_id, mod.sub);
  // The chat is told, with a moderation message.
  const notice = await watcher.next(isNotice);
  assert.match(notice.data.content, /timed out for 2 seconds by Moddy: calm down/);
  assert.equal(notice.data.user.id, mod.sub);
  await c.next(isNotice);  // the timed-out user still reads

  c.send({ type: 'message', content: 'let me talk', client_id: 'to-1' });
  const err = await c.next('error');
  assertError(err, 'timed_out');
  assert.ok(Number.isInteger(err.seconds_left) && err.seconds_left >= 1 && err.seconds_left <= 2, JSON.stringify(err));
  const list = await api(server, 'GET', path(s, '/timeouts'), { token: tok(mod) });
  assert.deepEqual(list.json.timeouts.map((t) => t.user_id), [u.sub]);
  assert.equal(list.json.total, 1);

  await sleep(2100);
  const ack = await sendAcked(c, 'I am back');
  assert.ok(ack.data.id, 'the same connection chats again');
  await watcher.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.equal((await api(server, 'GET', path(s, '/timeouts'), { token: tok(mod) })).json.total, 0, 'expired timeouts are not listed');
  await c.close();
  await watcher.close();
});

test('lifting a timeout or a ban works at once on the open connection; a ban refuses with banned', async () => {
  const s = await moderatedStream('lift');
  const u = freshUser('lifted');
  const c = await joinChat(server, s.id, tok(u));
  await api(server, 'POST', path(s, '/timeouts'), { token: tok(owner), body: { user_id: u.sub, duration_seconds: 600 } });
  c.send({ type: 'message', content: 'x' });
  const e1 = await c.next('error');
  assertError(e1, 'timed_out');
  assert.ok(e1.seconds_left > 590 && e1.seconds_left <= 600);
  assert.equal((await api(server, 'DELETE', path(s, `/timeouts/${u.sub}`), { token: tok(mod) })).status, 204);
  assert.ok((await sendAcked(c, 'free')).data.id);

  await api(server, 'POST', path(s, '/bans'), { token: tok(mod), body: { user_id: u.sub, reason: 'spam' } });
  c.send({ type: 'message', content: 'y' });
  assertError(await c.next('error'), 'banned');
  const bans = await api(server, 'GET', path(s, '/bans'), { token: tok(owner) });
  assert.equal(bans.json.total, 1);
  assert.equal(bans.json.bans[0].reason, 'spam');
  assert.equal((await api(server, 'DELETE', path(s, `/bans/${u.sub}`), { token: tok(owner) })).status, 204);
  assert.ok((await sendAcked(c, 'unbanned')).data.id);
  await c.close();
});

test('purge removes the user\'s messages from REST history and every open viewer receives chat_cleared', async () => {
  const s = await moderatedStream('purge');
  const spammer = freshUser('spammer');
  const other = freshUser('other');
  const sc = await joinChat(server, s.id, tok(spammer));
  const oc = await joinChat(server, s.id, tok(other));
  const viewers = await Promise.all([1, 2, 3].map((i) => joinChat(server, s.id, tok(freshUser(`v${i}`)))));
  const kept = (await sendAcked(oc, 'I stay')).data.id;
  for (const t of ['buy', 'cheap', 'stuff']) await sendAcked(sc, t);
  const r = await api(server, 'POST', path(s, '/bans'), { token: tok(mod), body: { user_id: spammer.sub, reason: 'spam', purge: true } });
  assert.equal(r.status, 201, r.text);
  for (const v of [...viewers, oc, sc]) {
    const ev = await v.next('chat_cleared');
    assert.deepEqual(ev, { type: 'chat_cleared', data: { user_id: spammer.sub } });
  }
  const notice = await viewers[0].next(isNotice);
  assert.match(notice.data.content, /banned by Moddy: spam/);
  const { messages } = await allHistory(server, s.id, tok(owner));
  assert.deepEqual(messages.filter((m) => m.message_type === 'message').map((m) => m.id), [kept]);
  assert.ok(!messages.some((m) => m.user.id === spammer.sub));
  const late = await joinChat(server, s.id, tok(freshUser('late')));
  assert.ok(!late.history.data.some((m) => m.user.id === spammer.sub), 'history on connect leaves them out');
  for (const c of [sc, oc, late, ...viewers]) await c.close();
});

test('a timeout with purge clears too, and without purge nothing is deleted', async () => {
  const s = await moderatedStream('purge-timeout');
  const u = freshUser('u');
  const c = await joinChat(server, s.id, tok(u));
  await sendAcked(c, 'one');
  await api(server, 'POST', path(s, '/timeouts'), { token: tok(mod), body: { user_id: u.sub, duration_seconds: 30 } });
  let { messages } = await allHistory(server, s.id, tok(owner));
  assert.equal(messages.filter((m) => m.user.id === u.sub).length, 1);
  await api(server, 'POST', path(s, '/timeouts'), { token: tok(mod), body: { user_id: u.sub, duration_seconds: 30, purge: true } });
  await c.next('chat_cleared');
  ({ messages } = await allHistory(server, s.id, tok(owner)));
  assert.equal(messages.filter((m) => m.user.id === u.sub).length, 0);
  await c.close();
});

test('slow mode holds for viewers; VIPs, moderators and the broadcaster are exempt', async () => {
  const s = await moderatedStream('slow');
  const r = await api(server, 'PATCH', path(s, '/chat/settings'), { token: tok(mod), body: { slow_mode_seconds: 2 } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { slow_mode_seconds: 2, max_message_length: 500, subscribers_only: false, chat_enabled: true });
  assert.equal((await api(server, 'GET', `/api/v1/streams/${s.id}`)).json.settings.slow_mode_seconds, 2);
  const u = freshUser('slowpoke');
  const c = await joinChat(server, s.id, tok(u));
  await sendAcked(c, 'first');
  c.send({ type: 'message', content: 'second', client_id: 'slow-2' });
  const err = await c.next('error');
  assertError(err, 'slow_mode');
  assert.ok(err.retry_after_ms > 1000 && err.retry_after_ms <= 2000, JSON.stringify(err));
  for (const who of [vip, mod, owner]) {
    const x = await joinChat(server, s.id, tok(who));
    await sendAcked(x, 'one');
    assert.ok((await sendAcked(x, 'two')).data.id, `${who.sub} is exempt`);
    await x.close();
  }
  await sleep(err.retry_after_ms + 50);
  assert.ok((await sendAcked(c, 'after the wait', { client_id: 'slow-2' })).data.id, 'the refused client_id may be sent again');
  await api(server, 'PATCH', path(s, '/chat/settings'), { token: tok(owner), body: { slow_mode_seconds: 0 } });
  assert.ok((await sendAcked(c, 'slow mode off')).data.id);
  await c.close();
});

test('subscribers-only holds for viewers and VIPs; subscribers, moderators and the broadcaster chat', async () => {
  const s = await moderatedStream('subs');
  const watcher = await joinChat(server, s.id, tok(freshUser('w')));
  assert.equal((await api(server, 'PATCH', path(s, '/chat/settings'), { token: tok(owner), body: { subscribers_only: true } })).status, 200);
  assert.match((await watcher.next(isNotice)).data.content, /Subscribers-only chat is on/);
  for (const who of [freshUser('plain'), vip]) {
    const c = await joinChat(server, s.id, tok(who));
    c.send({ type: 'message', content: 'hi' });
    assertError(await c.next('error'), 'subscribers_only');
    await c.close();
  }
  for (const who of [{ ...freshUser('sub'), badges: ['subscriber'] }, mod, owner]) {
    const c = await joinChat(server, s.id, tok(who));
    assert.ok((await sendAcked(c, 'hi')).data.id, who.sub);
    await c.close();
  }
  await watcher.close();
});

test('chat off holds for viewers and VIPs; moderators and the broadcaster still chat; max_message_length applies', async () => {
  const s = await moderatedStream('off');
  const viewer = await joinChat(server, s.id, tok(freshUser('v')));
  assert.equal((await api(server, 'PATCH', path(s, '/chat/settings'), { token: tok(mod), body: { chat_enabled: false } })).status, 200);
  viewer.send({ type: 'message', content: 'hello?' });
  assertError(await viewer.next('error'), 'chat_disabled');
  const v = await joinChat(server, s.id, tok(vip));
  v.send({ type: 'message', content: 'hello?' });
  assertError(await v.next('error'), 'chat_disabled');
  for (const who of [mod, owner]) {
    const c = await joinChat(server, s.id, tok(who));
    assert.ok((await sendAcked(c, 'staff only')).data.id);
    await c.close();
  }
  await api(server, 'PATCH', path(s, '/chat/settings'), { token: tok(mod), body: { chat_enabled: true, max_message_length: 10 } });
  viewer.send({ type: 'message', content: '12345678901' });
  assertError(await viewer.next('error'), 'message_too_long');
  assert.ok((await sendAcked(viewer, '1234567890')).data.id);
  const settings = await api(server, 'GET', path(s, '/chat/settings'), { token: tok(mod) });
  assert.deepEqual(settings.json, { slow_mode_seconds: 0, max_message_length: 10, subscribers_only: false, chat_enabled: true });
  await viewer.close();
  await v.close();
});

test('moderators send under the moderator rate limit, viewers under the user limit', async () => {
  const s = await moderatedStream('rates');
  const count = async (who) => {
    const c = await joinChat(server, s.id, tok(who));
    let acked = 0;
    for (let i = 0; i < 8; i++) {
      c.send({ type: 'message', content: `m${i}`, client_id: `r-${i}` });
      const ev = await c.next((e) => (e.type === 'ack' && e.client_id === `r-${i}`) || e.type === 'error');
      if (ev.type === 'ack') acked++;
      else assert.equal(ev.code, 'rate_limited');
    }
    await c.close();
    return acked;
  };
  assert.equal(await count(freshUser('viewer')), 3);
  assert.equal(await count(mod), 6);
  assert.equal(await count(vip), 3);
});

test('the moderation log: every action, who, whom, when, why; newest first', async () => {
  const s = await moderatedStream('log');
  const u = freshUser('target');
  const c = await joinChat(server, s.id, tok(u));
  const msg = (await sendAcked(c, 'oops')).data.id;
  await api(server, 'DELETE', path(s, `/chat/messages/${msg}`), { token: tok(mod) });
  await api(server, 'POST', path(s, '/timeouts'), { token: tok(mod), body: { user_id: u.sub, duration_seconds: 60, reason: 'caps' } });
  await api(server, 'DELETE', path(s, `/timeouts/${u.sub}`), { token: tok(owner) });
  await api(server, 'POST', path(s, '/bans'), { headers: server.admin, body: { user_id: u.sub, reason: 'spam' } });
  await api(server, 'DELETE', path(s, `/bans/${u.sub}`), { token: tok(mod) });
  await api(server, 'PATCH', path(s, '/chat/settings'), { token: tok(owner), body: { slow_mode_seconds: 5 } });
  const log = await api(server, 'GET', path(s, '/moderation/log'), { token: tok(mod) });
  assert.equal(log.status, 200);
  const rows = log.json.actions.map((a) => [a.action, a.moderator_id, a.target_user_id, a.reason, a.duration_seconds]);
  assert.deepEqual(rows, [
    ['update_settings', owner.sub, null, 'Slow mode is on: one message every 5 seconds', null],
    ['unban', mod.sub, u.sub, null, null],
    ['ban', 'admin', u.sub, 'spam', null],
    ['untimeout', owner.sub, u.sub, null, null],
    ['timeout', mod.sub, u.sub, 'caps', 60],
    ['delete_message', mod.sub, u.sub, null, null],
    ['add_vip', owner.sub, vip.sub, null, null],
    ['add_moderator', owner.sub, mod.sub, null, null],
  ]);
  const del = log.json.actions.find((a) => a.action === 'delete_message');
  assert.equal(del.message_id, msg);
  for (const a of log.json.actions) assert.match(a.created_at, TS_MS);
  const two = await api(server, 'GET', path(s, '/moderation/log?limit=2'), { token: tok(owner) });
  assert.deepEqual(two.json.actions.map((a) => a.action), ['update_settings', 'unban']);
  await c.close();
});

test('a ban (and the badges) survive a restart', async () => {
  const s = await moderatedStream('restart');
  const u = freshUser('banned');
  await api(server, 'POST', path(s, '/bans'), { token: tok(mod), body: { user_id: u.sub, reason: 'for good' } });
  await api(server, 'POST', path(s, '/timeouts'), { token: tok(mod), body: { user_id: 'long-timeout', duration_seconds: 3600 } });
  // A deleted message between two others: after the restart, since= naming it still recovers exactly.
  const w = await joinChat(server, s.id, tok(freshUser('writer')));
  const before = (await sendAcked(w, 'before')).data.id;
  const gone = (await sendAcked(w, 'gone')).data.id;
  const afterIt = (await sendAcked(w, 'after')).data.id;
  assert.equal((await api(server, 'DELETE', path(s, `/chat/messages/${gone}`), { token: tok(mod) })).status, 204);
  await w.close();
  await server.restart();
  const back = await joinChat(server, s.id, tok(freshUser('back')), { since: gone });
  assert.equal(back.history.recovered, true);
  assert.deepEqual(back.history.data.map((m) => m.id), [afterIt]);
  const all = await joinChat(server, s.id, tok(freshUser('all')));
  assert.deepEqual(all.history.data.filter((m) => m.message_type === 'message').map((m) => m.id), [before, afterIt]);
  await back.close();
  await all.close();
  const c = await joinChat(server, s.id, tok(u));
  c.send({ type: 'message', content: 'am I back?' });
  assertError(await c.next('error'), 'banned');
  const bans = await api(server, 'GET', path(s, '/bans'), { token: tok(owner) });
  assert.deepEqual(bans.json.bans.map((b) => [b.user_id, b.reason]), [[u.sub, 'for good']]);
  assert.equal((await api(server, 'GET', path(s, '/timeouts'), { token: tok(owner) })).json.total, 1);
  // The moderator is still a moderator after the restart.
  const m = await joinChat(server, s.id, tok(mod));
  const ack = await sendAcked(m, 'still here');
  const ev = await m.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.deepEqual(ev.data.user.badges, ['moderator', 'verified']);
  assert.equal((await api(server, 'DELETE', path(s, `/bans/${u.sub}`), { token: tok(mod) })).status, 204);
  assert.ok((await sendAcked(c, 'unbanned after the restart')).data.id);
  await c.close();
  await m.close();
});
