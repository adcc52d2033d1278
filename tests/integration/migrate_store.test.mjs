// migrate_store.test.mjs (integration-pg only): a node's SQLite database with
// every kind of row — streams live and ended, messages, a gift, a reply, a
// deleted message, a moderator, a ban, a timeout, the moderation log, API keys
// live and revoked — is moved with `sorak migrate-store sqlite:… postgres://…`,
// and a sorakd on the PostgreSQL database serves the same chat: same history,
// same ids and cursors, same moderation, same keys, new messages continue it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import {
  startServer, createStream, joinChat, sendAcked, allHistory, api, freshUser, createDatabase, tempDir, SORAK,
  ON_POSTGRES,
} from './lib/server.mjs';

const owner = { sub: 'owner', username: 'owner' };

function sorak(args) {
  return new Promise((res) => {
    execFile(SORAK, args, { timeout: 120000 }, (err, stdout, stderr) => res({ code: err ? err.code ?? 1 : 0, stdout, stderr }));
  });
}

// What a client can read about a stream: history, moderation, settings.
async function snapshot(server, s) {
  const tok = server.token(owner);
  const p = (rest) => `/api/v1/streams/${s.id}${rest}`;
  const get = async (path) => {
    const r = await api(server, 'GET', path, { token: tok });
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    return r.json;
  };
  const { messages } = await allHistory(server, s.id, tok, { limit: 7 });
  return {
    stream: await get(p('')),
    history: messages,
    moderators: await get(p('/moderators')),
    bans: await get(p('/bans')),
    log: await get(p('/moderation/log')),
    blocked_terms: await get(p('/chat/blocked-terms')),
    pin: await get(p('/chat/pin')),
    polls: await get(p('/polls')),
  };
}

test('sorak migrate-store moves a SQLite database with every kind of row to PostgreSQL', async () => {
  assert.ok(ON_POSTGRES, 'run as integration-pg.migrate_store');
  const dir = tempDir();
  const sqliteUrl = `sqlite:${join(dir, 'node.db')}`;
  const old = await startServer({ dataDir: dir, args: ['--store', sqliteUrl, '--rate-limit', '0'] });

  const live = await createStream(old, owner, { title: 'live show' });
  const ended = await createStream(old, owner, { title: 'last night' });
  const tok = (u) => old.token(u);
  const fan = freshUser('fan');
  const mod = freshUser('mod');
  const troll = freshUser('troll');
  const late = freshUser('late');
  assert.equal((await api(old, 'POST', `/api/v1/streams/${live.id}/moderators`, { token: tok(owner), body: { user_id: mod.sub, badge_type: 'moderator' } })).status, 201);
  const c = await joinChat(old, live.id, tok(fan));
  const first = await sendAcked(c, 'first!');
  for (let i = 0; i < 12; i++) await sendAcked(c, `line ${i}`);
  await sendAcked(c, 'a reply', { reply_to: first.data.id });
  const t = await joinChat(old, live.id, tok(troll));
  const bad = await sendAcked(t, 'something rude');
  assert.equal((await api(old, 'DELETE', `/api/v1/streams/${live.id}/chat/messages/${bad.data.id}`, { token: tok(mod) })).status, 204);
  assert.equal((await api(old, 'POST', `/api/v1/streams/${live.id}/bans`, { token: tok(mod), body: { user_id: troll.sub, reason: 'rude' } })).status, 201);
  assert.equal((await api(old, 'POST', `/api/v1/streams/${live.id}/timeouts`, { token: tok(mod), body: { user_id: late.sub, duration_seconds: 600 } })).status, 201);
  assert.equal((await api(old, 'POST', `/api/v1/streams/${live.id}/chat/blocked-terms`, { token: tok(mod), body: { term: 'ＳＰＯＩＬＥＲ' } })).status, 201);
  assert.equal((await api(old, 'POST', `/api/v1/streams/${live.id}/chat/pin`, { token: tok(mod), body: { message_id: first.data.id } })).status, 200);
  const poll = (await api(old, 'POST', `/api/v1/streams/${live.id}/polls`, { token: tok(mod), body: { question: 'Encore?', options: ['yes', 'no'], duration_seconds: 600 } })).json.data;
  for (const [who, option] of [[fan, 0], [freshUser('voter'), 1]]) {
    const v = await joinChat(old, live.id, tok(who));
    v.send({ type: 'vote', poll_id: poll.id, option });
    assert.equal((await v.next((e) => e.type === 'voted' || e.type === 'error')).type, 'voted');
    await v.close();
  }
  assert.equal((await api(old, 'POST', `/api/v1/streams/${live.id}/polls/${poll.id}/close`, { token: tok(mod) })).status, 200);
  const gift = await api(old, 'POST', `/api/v1/admin/streams/${live.id}/gifts`, {
    headers: old.admin, body: { user: { id: 'whale', username: 'whale', display_name: 'Whale', level: 40 }, gift_id: 'crown', quantity: 2, content: 'for you' },
  });
  assert.equal(gift.status, 201, gift.text);
  const e = await joinChat(old, ended.id, tok(fan));
  await sendAcked(e, 'good night');
  assert.equal((await api(old, 'PATCH', `/api/v1/streams/${ended.id}`, { token: tok(owner), body: { status: 'ended' } })).status, 200);
  const key = (await api(old, 'POST', '/api/v1/admin/api-keys', { headers: old.admin, body: { name: 'overlay' } })).json;
  const gone = (await api(old, 'POST', '/api/v1/admin/api-keys', { headers: old.admin, body: { name: 'old bot' } })).json;
  assert.equal((await api(old, 'DELETE', `/api/v1/admin/api-keys/${gone.id}`, { headers: old.admin })).status, 204);
  // A webhook on a stream nothing more happens in (its receiver is never reached here).
  const hook = (await api(old, 'POST', '/api/v1/admin/webhooks',
    { headers: old.admin, body: { url: 'https://hooks.example.com/sorak', events: ['poll'], stream_id: ended.id } })).json;
  await Promise.all([c.close(), t.close(), e.close()]);

  const before = { live: await snapshot(old, live), ended: await snapshot(old, ended) };
  // 14 from the fan, the gift and the moderation notices (the ban, the timeout); not the deleted one.
  assert.ok(before.live.history.length >= 15, `live history: ${before.live.history.length}`);
  assert.ok(!before.live.history.some((m) => m.id === bad.data.id), 'the deleted message is not in history');
  assert.ok(before.live.history.some((m) => m.message_type === 'gift'));
  assert.ok(before.live.history.some((m) => m.reply_to === first.data.id));
  const stored = before.live.history.length + 1 /* deleted */ + before.ended.history.length;
  await old.stop();

  const db = createDatabase();
  const moved = await sorak(['migrate-store', sqliteUrl, db.url]);
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, new RegExp(`copied 2 streams, ${stored} messages, .* 1 badges, 2 sanctions, \\d+ moderation log entries, 1 blocked terms, 1 pins, 1 polls \\(2 votes\\), 2 API keys, .* 1 webhooks`));
  // Into a database that already holds streams: refused, nothing touched.
  const again = await sorak(['migrate-store', sqliteUrl, db.url]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already holds streams/);

  const next = await startServer({ args: ['--store', db.url, '--rate-limit', '0'], secret: old.secret, adminKey: old.adminKey });
  const after = { live: await snapshot(next, live), ended: await snapshot(next, ended) };
  assert.deepEqual(after, before, 'the PostgreSQL node serves exactly what the SQLite node served');

  // The ban, the timeout and the ended stream still hold; a cursor from before still pages.
  const t2 = await joinChat(next, live.id, next.token(troll));
  t2.send({ type: 'message', content: 'back?' });
  assert.equal((await t2.next('error')).code, 'banned');
  const l2 = await joinChat(next, live.id, next.token(late));
  l2.send({ type: 'message', content: 'me too' });
  assert.equal((await l2.next('error')).code, 'timed_out');
  const f2 = await joinChat(next, live.id, next.token(freshUser()));
  assert.equal((await f2.next('pinned')).data.id, first.data.id, 'the pin moved with its stream');
  f2.send({ type: 'message', content: 'spoiler!' });
  assert.equal((await f2.next('error')).code, 'blocked_term', 'the blocked term moved with its stream');
  f2.close();
  const page = await api(next, 'GET', `/api/v1/streams/${live.id}/chat/history?limit=3&before=${before.live.history[5].id}`, { token: next.token(owner) });
  assert.deepEqual(page.json.messages.map((m) => m.id), before.live.history.slice(2, 5).map((m) => m.id));
  // The live key works, the revoked one does not come back.
  assert.equal((await api(next, 'GET', `/api/jkt48/chat-stream-sr?room_id=${live.room_id}&apikey=${key.key}`)).status, 200);
  assert.equal((await api(next, 'GET', `/api/jkt48/chat-stream-sr?room_id=${live.room_id}&apikey=${gone.key}`)).status, 401);
  // The webhook moved with its secret (its receivers keep verifying).
  const hooks = (await api(next, 'GET', '/api/v1/admin/webhooks', { headers: next.admin })).json.webhooks;
  assert.deepEqual(hooks.map((w) => [w.id, w.url, w.events, w.stream_id]), [[hook.id, 'https://hooks.example.com/sorak', ['poll'], ended.id]]);
  // New messages continue the stream after the moved ones.
  const c2 = await joinChat(next, live.id, next.token(fan));
  const ack = await sendAcked(c2, 'on postgres now');
  const { messages } = await allHistory(next, live.id, next.token(owner));
  assert.equal(messages.length, before.live.history.length + 1);
  assert.equal(messages.at(-1).id, ack.data.id);
  await Promise.all([t2.close(), l2.close(), c2.close()]);
});
