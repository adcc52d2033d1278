// chat_tools.test.mjs: what CONTRACT §12 adds to a stream's chat, against the
// real server: blocked terms (every case and width variant refused, nothing
// else), the pinned message (live viewers and new joiners, unpinned by the
// deletion of its message), and replies (a parent fetched by id; a deleted
// one is gone).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createStream, joinChat, sendAcked, api, freshUser, allHistory, sleep, UUID_V7, TS_MS } from './lib/server.mjs';

let server;
const owner = { sub: 'tools-owner', username: 'owner', display_name: 'Owner' };
const mod = { sub: 'tools-mod', username: 'moddy', display_name: 'Moddy' };

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

// Sends `content` and resolves with the ack or the error event answering it.
async function attempt(client, content, extra = {}) {
  const client_id = `t-${Math.random().toString(36).slice(2)}`;
  client.send({ type: 'message', content, client_id, ...extra });
  return client.next((e) => (e.type === 'ack' && e.client_id === client_id) || e.type === 'error');
}

test('blocked terms: managed by staff only; every case and width variant refused, words with the letters apart not', async () => {
  const s = await moderatedStream('blocked terms');
  const viewer = freshUser('viewer');
  // Viewers may neither read nor change the list.
  for (const [method, rest, body] of [['GET', '/chat/blocked-terms'], ['POST', '/chat/blocked-terms', { term: 'x' }]]) {
    const r = await api(server, method, path(s, rest), { token: tok(viewer), body });
    assert.equal(r.status, 403, `${method} ${rest}: ${r.text}`);
    assert.equal(r.json.code, 'forbidden');
  }
  const added = await api(server, 'POST', path(s, '/chat/blocked-terms'), { token: tok(mod), body: { term: '  Bad  ' } });
  assert.equal(added.status, 201, added.text);
  assert.match(added.json.data.id, UUID_V7);
  assert.equal(added.json.data.term, 'Bad', 'stored trimmed, as typed');
  assert.equal(added.json.data.created_by, mod.sub);
  assert.match(added.json.data.created_at, TS_MS);
  // The same term in another case or width is the same term.
  for (const term of ['BAD', 'ｂａｄ', 'ＢＡＤ']) {
    const again = await api(server, 'POST', path(s, '/chat/blocked-terms'), { token: tok(owner), body: { term } });
    assert.equal(again.status, 409, `${term}: ${again.text}`);
    assert.equal(again.json.code, 'blocked_term_exists');
  }
  for (const body of [{ term: '   ' }, { term: 'x'.repeat(101) }, {}, { term: 5 }]) {
    const bad = await api(server, 'POST', path(s, '/chat/blocked-terms'), { token: tok(owner), body });
    assert.equal(bad.status, 400, `${JSON.stringify(body)}: ${bad.text}`);
    assert.equal(bad.json.code, 'invalid_field');
  }
  const jp = await api(server, 'POST', path(s, '/chat/blocked-terms'), { token: tok(owner), body: { term: 'ばか' } });
  assert.equal(jp.status, 201, jp.text);
  const list = await api(server, 'GET', path(s, '/chat/blocked-terms'), { token: tok(mod) });
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.data.map((t) => t.term), ['Bad', 'ばか']);

  const c = await joinChat(server, s.id, tok(viewer));
  const refused = ['bad', 'BAD', 'Bad', 'bAd', 'ＢＡＤ', 'ｂａｄ', 'Ｂａｄ', 'so bad!', 'badge', 'ＴＨＡＴ ＷＡＳ ＢＡＤ', 'お前ばかだ', 'ばか？'];
  for (const text of refused) {
    const r = await attempt(c, text);
    assert.equal(r.type, 'error', `"${text}" should be refused`);
    assert.equal(r.code, 'blocked_term', `"${text}": ${r.message}`);
    assert.match(r.message, /blocked/);
  }
  const allowed = ['b a d', 'b-a-d', 'bread', 'dab', 'ba d', 'b.a.d', 'ばらか', 'hello'];
  for (const text of allowed) {
    const r = await attempt(c, text);
    assert.equal(r.type, 'ack', `"${text}" should go through: ${r.code} ${r.message}`);
  }
  // The broadcaster and moderators are exempt.
  const m = await joinChat(server, s.id, tok(mod));
  assert.equal((await attempt(m, 'bad, from a moderator')).type, 'ack');
  const { messages: history } = await allHistory(server, s.id, tok(viewer));
  assert.deepEqual(history.map((x) => x.content).sort(), [...allowed, 'bad, from a moderator'].sort(),
    'exactly the allowed messages were stored');

  // Removing a term lifts it at once, on the open connection.
  const gone = await api(server, 'DELETE', path(s, `/chat/blocked-terms/${added.json.data.id}`), { token: tok(mod) });
  assert.equal(gone.status, 204, gone.text);
  const again = await api(server, 'DELETE', path(s, `/chat/blocked-terms/${added.json.data.id}`), { token: tok(mod) });
  assert.equal(again.status, 404);
  assert.equal(again.json.code, 'blocked_term_not_found');
  assert.equal((await attempt(c, 'ＢＡＤ is fine now')).type, 'ack');
  assert.equal((await attempt(c, 'ばか')).code, 'blocked_term', 'the other term still holds');
  const log = await api(server, 'GET', path(s, '/moderation/log'), { token: tok(owner) });
  const actions = log.json.actions.map((a) => `${a.action}:${a.reason}`);
  assert.ok(actions.includes('add_blocked_term:Bad') && actions.includes('remove_blocked_term:Bad'), actions.join(' '));
  c.close(); m.close();
});

test('blocked terms and the pin survive a restart of the server', async () => {
  const s = await moderatedStream('terms after restart');
  assert.equal((await api(server, 'POST', path(s, '/chat/blocked-terms'), { token: tok(mod), body: { term: 'spoiler' } })).status, 201);
  const a = await joinChat(server, s.id, tok(freshUser()));
  const said = await sendAcked(a, 'welcome, read the rules');
  assert.equal((await api(server, 'POST', path(s, '/chat/pin'), { token: tok(mod), body: { message_id: said.data.id } })).status, 200);
  a.close();
  await server.restart();
  const c = await joinChat(server, s.id, tok(freshUser()));
  assert.equal((await c.next('pinned')).data.id, said.data.id);
  assert.equal((await attempt(c, 'SPOILER alert')).code, 'blocked_term');
  c.close();
});

test('pin: live viewers get `pinned`, a new joiner gets it right after history; unpin and deletion clear it', async () => {
  const s = await moderatedStream('pins');
  const viewer = freshUser('fan');
  const a = await joinChat(server, s.id, tok(viewer));
  const first = await sendAcked(a, 'pin me please');
  const second = await sendAcked(a, 'or me');
  // Nothing pinned: GET says null, a new connection gets no `pinned`.
  const none = await api(server, 'GET', path(s, '/chat/pin'), { token: tok(viewer) });
  assert.equal(none.status, 200, none.text);
  assert.equal(none.json.data, null);

  const forbidden = await api(server, 'POST', path(s, '/chat/pin'), { token: tok(viewer), body: { message_id: first.data.id } });
  assert.equal(forbidden.status, 403);
  const missing = await api(server, 'POST', path(s, '/chat/pin'), { token: tok(mod), body: { message_id: '0190a1b2-0000-7000-8000-000000000000' } });
  assert.equal(missing.status, 404);
  assert.equal(missing.json.code, 'message_not_found');
  const noBody = await api(server, 'POST', path(s, '/chat/pin'), { token: tok(mod), body: {} });
  assert.equal(noBody.status, 400);

  const pinned = await api(server, 'POST', path(s, '/chat/pin'), { token: tok(mod), body: { message_id: first.data.id } });
  assert.equal(pinned.status, 200, pinned.text);
  assert.equal(pinned.json.data.id, first.data.id);
  assert.equal(pinned.json.data.content, 'pin me please');
  const live = await a.next('pinned');
  assert.equal(live.data.id, first.data.id);
  assert.equal(live.data.user.id, viewer.sub);

  // A new joiner: history, then pinned, before anything else of the room.
  const b = await joinChat(server, s.id, tok(freshUser()));
  const types = b.events.map((e) => e.type);
  await b.next('pinned');
  assert.equal(b.events.map((e) => e.type).indexOf('pinned'), types.indexOf('history') + 1, b.summary());
  assert.equal(b.ofType('pinned')[0].data.id, first.data.id);
  assert.equal((await api(server, 'GET', path(s, '/chat/pin'), { token: tok(viewer) })).json.data.id, first.data.id);

  // Pinning another replaces it; the broadcaster may too.
  assert.equal((await api(server, 'POST', path(s, '/chat/pin'), { token: tok(owner), body: { message_id: second.data.id } })).status, 200);
  assert.equal((await a.next('pinned')).data.id, second.data.id);
  assert.equal((await b.next('pinned')).data.id, second.data.id);

  // Unpin: everyone gets null; a new joiner gets no pin.
  const un = await api(server, 'DELETE', path(s, '/chat/pin'), { token: tok(mod) });
  assert.equal(un.status, 204, un.text);
  assert.equal((await a.next('pinned')).data, null);
  assert.equal((await b.next('pinned')).data, null);
  const c = await joinChat(server, s.id, tok(freshUser()));
  await sleep(200);
  assert.equal(c.ofType('pinned').length, 0, c.summary());

  // Deleting the pinned message unpins it: message_deleted, then pinned null.
  assert.equal((await api(server, 'POST', path(s, '/chat/pin'), { token: tok(mod), body: { message_id: first.data.id } })).status, 200);
  assert.equal((await c.next('pinned')).data.id, first.data.id);
  const del = await api(server, 'DELETE', path(s, `/chat/messages/${first.data.id}`), { token: tok(mod) });
  assert.equal(del.status, 204, del.text);
  const deleted = await c.next('message_deleted');
  assert.equal(deleted.data.message_id, first.data.id);
  assert.equal((await c.next('pinned')).data, null);
  assert.ok(c.events.indexOf(deleted) < c.events.findLastIndex((e) => e.type === 'pinned'));
  assert.equal((await api(server, 'GET', path(s, '/chat/pin'), { token: tok(viewer) })).json.data, null);
  // A deleted message cannot be pinned.
  assert.equal((await api(server, 'POST', path(s, '/chat/pin'), { token: tok(mod), body: { message_id: first.data.id } })).status, 404);

  // Banning with purge of the pinned message's author unpins it too.
  const troll = freshUser('troll');
  const t = await joinChat(server, s.id, tok(troll));
  const said = await sendAcked(t, 'look at me');
  assert.equal((await api(server, 'POST', path(s, '/chat/pin'), { token: tok(mod), body: { message_id: said.data.id } })).status, 200);
  assert.equal((await c.next('pinned')).data.id, said.data.id);
  const ban = await api(server, 'POST', path(s, '/bans'), { token: tok(mod), body: { user_id: troll.sub, purge: true } });
  assert.equal(ban.status, 201, ban.text);
  await c.next('chat_cleared');
  assert.equal((await c.next('pinned')).data, null);
  const log = await api(server, 'GET', path(s, '/moderation/log'), { token: tok(owner) });
  assert.ok(log.json.actions.some((x) => x.action === 'pin_message' && x.message_id === first.data.id));
  assert.ok(log.json.actions.some((x) => x.action === 'unpin_message'));
  for (const x of [a, b, c, t]) x.close();
});

test('replies: reply_to names a message of the stream; the parent is served by id, a deleted one is not', async () => {
  const s = await moderatedStream('replies');
  const fan = freshUser('fan');
  const c = await joinChat(server, s.id, tok(fan));
  const parent = await sendAcked(c, 'what song is this?');
  const reply = await sendAcked(c, 'it is the new single', { reply_to: parent.data.id });
  const ev = await c.next((e) => e.type === 'message' && e.data.id === reply.data.id);
  assert.equal(ev.data.reply_to, parent.data.id);
  const bad = await attempt(c, 'to nothing', { reply_to: '0190a1b2-0000-7000-8000-000000000000' });
  assert.equal(bad.code, 'invalid_reply_to');

  const got = await api(server, 'GET', path(s, `/chat/messages/${parent.data.id}`), { token: tok(freshUser()) });
  assert.equal(got.status, 200, got.text);
  assert.equal(got.json.data.id, parent.data.id);
  assert.equal(got.json.data.content, 'what song is this?');
  assert.equal(got.json.data.user.id, fan.sub);
  const other = await createStream(server, owner, { title: 'another' });
  const elsewhere = await api(server, 'GET', `/api/v1/streams/${other.id}/chat/messages/${parent.data.id}`, { token: tok(fan) });
  assert.equal(elsewhere.status, 404, 'a message of another stream is not this one\'s');
  assert.equal((await api(server, 'GET', path(s, `/chat/messages/${parent.data.id}`))).status, 401, 'read with a token, as history');

  assert.equal((await api(server, 'DELETE', path(s, `/chat/messages/${parent.data.id}`), { token: tok(mod) })).status, 204);
  const gone = await api(server, 'GET', path(s, `/chat/messages/${parent.data.id}`), { token: tok(fan) });
  assert.equal(gone.status, 404);
  assert.equal(gone.json.code, 'message_not_found');
  // The reply itself stays, still naming its parent.
  const kept = await api(server, 'GET', path(s, `/chat/messages/${reply.data.id}`), { token: tok(fan) });
  assert.equal(kept.json.data.reply_to, parent.data.id);
  c.close();
});

test('chat replay: exactly the messages of a window, by offset from the stream start; pages of 500', async () => {
  const s = await moderatedStream('replay');
  const stream = (await api(server, 'GET', path(s, ''), { token: tok(owner) })).json;
  const c = await joinChat(server, s.id, tok(freshUser('fan')));
  const ids = [];
  for (const [i, wait] of [[0, 0], [1, 300], [2, 300], [3, 300]]) {
    await sleep(wait);
    ids.push((await sendAcked(c, `line ${i}`)).data.id);
  }
  const gone = (await sendAcked(c, 'deleted later')).data.id;
  assert.equal((await api(server, 'DELETE', path(s, `/chat/messages/${gone}`), { token: tok(mod) })).status, 204);
  const all = await api(server, 'GET', path(s, '/chat/replay?from=0&to=3600'), { token: tok(freshUser()) });
  assert.equal(all.status, 200, all.text);
  assert.equal(all.json.started_at, stream.started_at);
  assert.equal(all.json.ended_at, null);
  assert.equal(all.json.has_more, false);
  assert.deepEqual(all.json.data.map((m) => m.id), ids, 'every message but the deleted one, oldest first');
  const started = Date.parse(stream.started_at);
  for (const m of all.json.data) assert.equal(m.offset_ms, Date.parse(m.created_at) - started);
  // A window holds the messages with from <= offset < to.
  const off = all.json.data.map((m) => m.offset_ms / 1000);
  const win = await api(server, 'GET', path(s, `/chat/replay?from=${off[1]}&to=${off[3]}`), { token: tok(owner) });
  assert.deepEqual(win.json.data.map((m) => m.content), ['line 1', 'line 2']);
  const none = await api(server, 'GET', path(s, `/chat/replay?from=${off[3] + 0.001}&to=${off[3] + 10}`), { token: tok(owner) });
  assert.deepEqual(none.json.data, []);
  for (const q of ['from=5&to=5', 'from=10&to=5', 'from=0&to=3601', 'from=-1', 'from=abc', 'to=1e99']) {
    const bad = await api(server, 'GET', path(s, `/chat/replay?${q}`), { token: tok(owner) });
    assert.equal(bad.status, 400, `${q}: ${bad.text}`);
    assert.equal(bad.json.code, 'invalid_field');
  }
  assert.equal((await api(server, 'GET', path(s, '/chat/replay'))).status, 401);
  // More than 500 in a window: has_more, and the next page from the last offset.
  const more = [];
  for (let i = 0; i < 510; i++) more.push(sendAcked(c, `bulk ${i}`));
  const bulk = (await Promise.all(more)).map((a) => a.data.id);
  const seen = new Map();
  let from = 0;
  for (let page = 0; page < 5; page++) {
    const r = await api(server, 'GET', path(s, `/chat/replay?from=${from}&to=${from + 3600}`), { token: tok(owner) });
    for (const m of r.json.data) seen.set(m.id, m);
    if (!r.json.has_more) break;
    assert.equal(r.json.data.length, 500);
    from = r.json.data.at(-1).offset_ms / 1000;
  }
  assert.deepEqual([...seen.keys()], [...ids, ...bulk], 'every message once, in order, over the pages');
  // An ended stream says when it ended.
  assert.equal((await api(server, 'PATCH', path(s, ''), { token: tok(owner), body: { status: 'ended' } })).status, 200);
  const ended = await api(server, 'GET', path(s, '/chat/replay?from=0&to=1'), { token: tok(owner) });
  assert.match(ended.json.ended_at, TS_MS);
  c.close();
});

test('a stream carries its playback_url: set, changed and cleared; only http(s) URLs', async () => {
  const created = await api(server, 'POST', '/api/v1/streams', { token: tok(owner), body: { title: 'with video', playback_url: 'https://cdn.example/live/index.m3u8' } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.playback_url, 'https://cdn.example/live/index.m3u8');
  const s = created.json;
  const plain = await createStream(server, owner, { title: 'no video' });
  assert.equal(plain.playback_url, null);
  const changed = await api(server, 'PATCH', path(s, ''), { token: tok(owner), body: { playback_url: 'http://127.0.0.1:9/x.m3u8' } });
  assert.equal(changed.json.playback_url, 'http://127.0.0.1:9/x.m3u8');
  assert.equal((await api(server, 'GET', path(s, ''), { token: tok(owner) })).json.playback_url, 'http://127.0.0.1:9/x.m3u8');
  for (const bad of ['javascript:alert(1)', 'ftp://x/y.m3u8', 'https://x/ y', 5, `https://x/${'a'.repeat(2000)}`]) {
    const r = await api(server, 'PATCH', path(s, ''), { token: tok(owner), body: { playback_url: bad } });
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
    assert.equal(r.json.code, 'invalid_field');
  }
  const cleared = await api(server, 'PATCH', path(s, ''), { token: tok(owner), body: { playback_url: null } });
  assert.equal(cleared.json.playback_url, null);
  assert.equal((await api(server, 'PATCH', path(s, ''), { token: tok(mod), body: { playback_url: 'https://a.example/b.m3u8' } })).status, 403,
    'only the broadcaster (or admin) sets it');
});
