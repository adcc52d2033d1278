// streams.test.mjs: creating, listing, reading and changing streams over REST.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, api, unknownId, waitFor, joinChat, UUID_V7, TS_MS } from './lib/server.mjs';

let server;
const alice = { sub: 'alice', username: 'alice', display_name: 'Alice' };
const bob = { sub: 'bob', username: 'bob', display_name: 'Bob' };
let first;
let second;

before(async () => {
  server = await startServer();
});

function assertJsonError(res, status, code) {
  assert.equal(res.status, status, `status (body ${res.text})`);
  assert.ok(res.json, `JSON body: ${res.text}`);
  assert.equal(typeof res.json.error, 'string');
  if (code) assert.equal(res.json.code, code);
  else assert.match(String(res.json.code), /^[a-z_]+$/);
}

test('GET /healthz → 200 {"status":"ok"}', async () => {
  const res = await api(server, 'GET', '/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { status: 'ok' });
});

test('POST with a user token → 201, the Stream itself, caller is broadcaster, room ids from 100001', async () => {
  const res = await api(server, 'POST', '/api/v1/streams', {
    token: server.token(alice),
    body: { title: 'Evening show', room_name: 'Alice Room', member: { name: 'Alice Chen', nickname: 'Ali', team: 'J' } },
  });
  assert.equal(res.status, 201, res.text);
  first = res.json;
  assert.match(first.id, UUID_V7);
  assert.equal(first.room_id, '100001');
  assert.equal(first.broadcaster_user_id, 'alice');
  assert.equal(first.title, 'Evening show');
  assert.equal(first.room_name, 'Alice Room');
  assert.deepEqual(first.member, { name: 'Alice Chen', nickname: 'Ali', team: 'J' });
  assert.equal(first.status, 'live');
  assert.match(first.created_at, TS_MS);
  assert.match(first.started_at, TS_MS);
  assert.equal(first.ended_at, null);
  assert.deepEqual(first.settings, {
    slow_mode_seconds: 0, max_message_length: 500, subscribers_only: false, chat_enabled: true,
  });
  assert.equal(first.stream, undefined, 'not wrapped');
  assert.equal(first.viewers, 0, 'no one watches a stream just made');

  const res2 = await api(server, 'POST', '/api/v1/streams', { token: server.token(bob), body: { title: 'Bob plays' } });
  assert.equal(res2.status, 201, res2.text);
  second = res2.json;
  assert.equal(second.room_id, '100002');
  assert.equal(second.broadcaster_user_id, 'bob');
  assert.equal(second.member, null);
  assert.equal(typeof second.room_name, 'string');
  assert.notEqual(second.id, first.id);
});

test('POST refuses a missing title, bad JSON and no credentials', async () => {
  assertJsonError(await api(server, 'POST', '/api/v1/streams', { token: server.token(alice), body: {} }), 400);
  assertJsonError(await api(server, 'POST', '/api/v1/streams', { token: server.token(alice), body: { title: 42 } }), 400);
  assertJsonError(await api(server, 'POST', '/api/v1/streams', { token: server.token(alice), body: '{"title": "x"' }),
    400, 'invalid_json');
  assertJsonError(await api(server, 'POST', '/api/v1/streams', { token: server.token(alice), body: 'not json at all' }),
    400, 'invalid_json');
  assertJsonError(await api(server, 'POST', '/api/v1/streams', { body: { title: 'x' } }), 401);
});

test('admin POST names the broadcaster and the room; a taken room_id → 409 room_taken', async () => {
  const res = await api(server, 'POST', '/api/v1/streams', {
    headers: server.admin, body: { title: 'Theater', broadcaster_user_id: 'carol', room_id: '317001' },
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.broadcaster_user_id, 'carol');
  assert.equal(res.json.room_id, '317001');
  const taken = await api(server, 'POST', '/api/v1/streams', {
    headers: server.admin, body: { title: 'Clash', broadcaster_user_id: 'dave', room_id: '317001' },
  });
  assertJsonError(taken, 409, 'room_taken');
  const takenAuto = await api(server, 'POST', '/api/v1/streams', {
    headers: server.admin, body: { title: 'Clash 2', broadcaster_user_id: 'dave', room_id: '100001' },
  });
  assertJsonError(takenAuto, 409, 'room_taken');
  // Without a room_id the admin gets the next free one.
  const auto = await api(server, 'POST', '/api/v1/streams', {
    headers: server.admin, body: { title: 'Auto', broadcaster_user_id: 'erin' },
  });
  assert.equal(auto.status, 201, auto.text);
  assert.match(auto.json.room_id, /^\d+$/);
  assert.ok(Number(auto.json.room_id) > 100002 && auto.json.room_id !== '317001', `next free room id, got ${auto.json.room_id}`);
  // The admin must name a broadcaster.
  assertJsonError(await api(server, 'POST', '/api/v1/streams', { headers: server.admin, body: { title: 'Nobody' } }), 400);
});

test('GET one stream by id and by room_id; unknown → 404', async () => {
  const byId = await api(server, 'GET', `/api/v1/streams/${first.id}`);
  assert.equal(byId.status, 200, byId.text);
  assert.deepEqual(byId.json, first);
  const byRoom = await api(server, 'GET', '/api/v1/streams/100001');
  assert.equal(byRoom.status, 200, byRoom.text);
  assert.deepEqual(byRoom.json, first);
  assertJsonError(await api(server, 'GET', `/api/v1/streams/${unknownId()}`), 404, 'stream_not_found');
  assertJsonError(await api(server, 'GET', '/api/v1/streams/999999'), 404, 'stream_not_found');
});

test('a stream shows the viewers connected to it now, in the list and alone, without a credential', async () => {
  const viewersOf = async () => {
    const list = await api(server, 'GET', '/api/v1/streams');
    const one = await api(server, 'GET', `/api/v1/streams/${first.id}`);
    const listed = list.json.streams.find((s) => s.id === first.id);
    assert.equal(listed.viewers, one.json.viewers, 'the list and the stream agree');
    return one.json.viewers;
  };
  assert.equal(await viewersOf(), 0);
  const a = await joinChat(server, first.id, server.token({ sub: 'watcher-a', username: 'wa' }));
  const b = await joinChat(server, first.id, server.token({ sub: 'watcher-b', username: 'wb' }));
  assert.equal(await viewersOf(), 2);
  const other = (await api(server, 'GET', `/api/v1/streams/${second.id}`)).json;
  assert.equal(other.viewers, 0, 'viewers of one stream are not counted on another');
  await a.close();
  await waitFor(async () => (await viewersOf()) === 1, { what: 'one viewer left after the other closed' });
  await b.close();
  await waitFor(async () => (await viewersOf()) === 0, { what: 'no viewers after both closed' });
});

test('PATCH: the broadcaster may (200), someone else may not (403), unknown → 404', async () => {
  const res = await api(server, 'PATCH', `/api/v1/streams/${first.id}`, {
    token: server.token(alice), body: { title: 'Late show', room_name: 'Renamed' },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.title, 'Late show');
  assert.equal(res.json.room_name, 'Renamed');
  assert.equal(res.json.status, 'live');
  assert.equal(res.json.room_id, '100001');
  const after = await api(server, 'GET', `/api/v1/streams/${first.id}`);
  assert.equal(after.json.title, 'Late show');

  const denied = await api(server, 'PATCH', `/api/v1/streams/${first.id}`, { token: server.token(bob), body: { title: 'Mine now' } });
  assertJsonError(denied, 403, 'forbidden');
  assert.equal((await api(server, 'GET', `/api/v1/streams/${first.id}`)).json.title, 'Late show', 'the refused PATCH changed nothing');

  assertJsonError(await api(server, 'PATCH', `/api/v1/streams/${first.id}`, { body: { title: 'anon' } }), 401);
  assertJsonError(await api(server, 'PATCH', `/api/v1/streams/${unknownId()}`, { token: server.token(alice), body: { title: 'x' } }),
    404, 'stream_not_found');
  assertJsonError(await api(server, 'PATCH', `/api/v1/streams/${first.id}`, { token: server.token(alice), body: '{bad json' }),
    400, 'invalid_json');
  assertJsonError(await api(server, 'PATCH', `/api/v1/streams/${first.id}`, { token: server.token(alice), body: { status: 'paused' } }),
    400);

  // The admin may change any stream.
  const adm = await api(server, 'PATCH', `/api/v1/streams/${second.id}`, { headers: server.admin, body: { title: 'Bob plays (admin)' } });
  assert.equal(adm.status, 200, adm.text);
  assert.equal(adm.json.title, 'Bob plays (admin)');
});

test('ending a stream sets status and ended_at; list filters by status and room_id, newest first', async () => {
  const ended = await api(server, 'PATCH', `/api/v1/streams/${second.id}`, { token: server.token(bob), body: { status: 'ended' } });
  assert.equal(ended.status, 200, ended.text);
  assert.equal(ended.json.status, 'ended');
  assert.match(ended.json.ended_at, TS_MS);

  const all = await api(server, 'GET', '/api/v1/streams');
  assert.equal(all.status, 200, all.text);
  assert.ok(Array.isArray(all.json.streams));
  const ids = all.json.streams.map((s) => s.id);
  assert.equal(ids.length, 4);
  const created = all.json.streams.map((s) => s.created_at);
  assert.deepEqual([...created].sort().reverse(), created, 'newest first');
  assert.ok(ids.indexOf(second.id) < ids.indexOf(first.id));

  const live = await api(server, 'GET', '/api/v1/streams?status=live');
  assert.ok(live.json.streams.length === 3 && live.json.streams.every((s) => s.status === 'live'));
  assert.ok(!live.json.streams.some((s) => s.id === second.id));
  const gone = await api(server, 'GET', '/api/v1/streams?status=ended');
  assert.deepEqual(gone.json.streams.map((s) => s.id), [second.id]);
  const room = await api(server, 'GET', '/api/v1/streams?room_id=100001');
  assert.deepEqual(room.json.streams.map((s) => s.id), [first.id]);
  const none = await api(server, 'GET', '/api/v1/streams?room_id=424242');
  assert.deepEqual(none.json.streams, []);
});

test('unknown paths and methods answer JSON, never HTML', async () => {
  const nf = await api(server, 'GET', '/api/v1/no/such/thing');
  assert.equal(nf.status, 404);
  assert.ok(nf.json && typeof nf.json.code === 'string', nf.text);
  const m = await api(server, 'DELETE', '/api/v1/streams');
  assert.equal(m.status, 405, m.text);
  assert.equal(m.json?.code, 'method_not_allowed');
});

test('sorakd prints exactly one line on stdout', async () => {
  assert.match(server.stdout, /^sorakd listening on http:\/\/127\.0\.0\.1:\d+\n$/);
  assert.equal(server.stdout, `sorakd listening on http://127.0.0.1:${server.port}\n`);
});

test('a request body far too large → 413 JSON', async () => {
  // A raw socket that sends only the headers and waits: the server should refuse
  // from the Content-Length alone, without reading 8 MiB first.
  const size = 8 * 1024 * 1024;
  const sock = net.connect(server.port, '127.0.0.1');
  await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
  let response = '';
  sock.on('data', (d) => { response += d.toString('latin1'); });
  sock.on('error', () => { /* ECONNRESET once the server hangs up */ });
  const ended = new Promise((r) => sock.once('close', r));
  sock.write(`POST /api/v1/streams HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.token(alice)}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
  await Promise.race([ended, waitFor(() => response.includes('}'), { timeoutMs: 3000 }).catch(() => {})]);
  sock.destroy();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
  assert.equal(status, 413, `response: ${response.slice(0, 300)}`);
  const body = response.slice(response.indexOf('\r\n\r\n') + 4);
  assert.match(body, /"code"\s*:\s*"payload_too_large"/);
});
