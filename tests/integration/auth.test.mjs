// auth.test.mjs: who may connect, read and administer.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, createStream, openWs, joinChat, api, mintToken, unknownId, tempDir,
} from './lib/server.mjs';

let server;
let stream;
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  server = await startServer();
  stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'auth' });
});

test('a valid token connects and receives history', async () => {
  const c = await joinChat(server, stream.id, server.token({ sub: 'viewer-ok', username: 'ok' }));
  assert.ok(Array.isArray(c.history.data));
  await c.next('viewer_count');
  await c.close();
});

const refusals = [
  ['no token', () => undefined],
  ['an empty token', () => ''],
  ['a garbage token', () => 'garbage'],
  ['a three-part garbage token', () => 'not.a.jwt'],
  ['a bad signature', () => mintToken('some-other-secret', { sub: 'mallory' })],
  ['alg none', () => mintToken(server.secret, { sub: 'mallory' }, { alg: 'none' })],
  ['alg none with the right signature appended', () => {
    const good = mintToken(server.secret, { sub: 'mallory' });
    const [, payload, sig] = good.split('.');
    const head = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    return `${head}.${payload}.${sig}`;
  }],
  ['HS512 with the right secret', () => mintToken(server.secret, { sub: 'mallory' }, { alg: 'HS512' })],
  ['an expired token', () => mintToken(server.secret, { sub: 'late', exp: now() - 120 })],
  ['nbf in the future', () => mintToken(server.secret, { sub: 'early', nbf: now() + 3600 })],
  ['a token without sub', () => mintToken(server.secret, { username: 'nobody' })],
  ['a sub over 64 characters', () => mintToken(server.secret, { sub: 'x'.repeat(65) })],
];

for (const [name, make] of refusals) {
  test(`WebSocket refuses ${name} with close 4001`, async () => {
    const c = await openWs(server, stream.id, make());
    const { code, reason } = await Promise.race([
      c.closed,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`still open after 3 s; received: ${c.summary()}`)), 3000)),
    ]);
    assert.equal(code, 4001, `close code (reason "${reason}")`);
    assert.ok(reason.length > 0, 'the close carries a reason');
    assert.equal(c.ofType('history').length, 0, 'a refused client receives no history');
    assert.equal(c.ofType('message').length, 0);
  });
}

test('a refused client sees none of the chat', async () => {
  const writer = await joinChat(server, stream.id, server.token({ sub: 'writer', username: 'writer' }));
  writer.send({ type: 'message', content: 'secret stuff', client_id: 'w1' });
  await writer.next('ack');
  const c = await openWs(server, stream.id, mintToken('wrong', { sub: 'spy' }));
  await c.closed;
  assert.ok(!JSON.stringify(c.events).includes('secret stuff'));
  await writer.close();
});

test('WebSocket to an unknown stream closes with 4004', async () => {
  const c = await openWs(server, unknownId(), server.token({ sub: 'lost', username: 'lost' }));
  const { code, reason } = await c.closed;
  assert.equal(code, 4004, `close code (reason "${reason}")`);
  assert.equal(c.ofType('history').length, 0);
});

test('WebSocket to a stream id that is not a UUID closes with 4004', async () => {
  const c = await openWs(server, 'no-such-stream', server.token({ sub: 'lost', username: 'lost' }));
  const { code } = await c.closed;
  assert.equal(code, 4004);
});

function assertJsonError(res, status, code) {
  assert.equal(res.status, status, `status (body ${res.text})`);
  assert.ok(res.json, `the body is JSON: ${res.text}`);
  assert.equal(typeof res.json.error, 'string');
  assert.ok(res.json.error.length > 0, 'error is a human sentence');
  if (code) assert.equal(res.json.code, code);
  else assert.match(res.json.code, /^[a-z_]+$/);
  assert.match(res.headers.get('content-type') || '', /application\/json/);
}

test('REST history requires auth: 401 JSON with a code', async () => {
  const path = `/api/v1/streams/${stream.id}/chat/history`;
  assertJsonError(await api(server, 'GET', path), 401, 'unauthorized');
  assertJsonError(await api(server, 'GET', path, { token: 'garbage' }), 401, 'invalid_token');
  assertJsonError(await api(server, 'GET', path, { token: mintToken('wrong-secret', { sub: 'x' }) }), 401, 'invalid_token');
  assertJsonError(await api(server, 'GET', path, { token: mintToken(server.secret, { sub: 'x' }, { alg: 'none' }) }),
    401, 'invalid_token');
  assertJsonError(await api(server, 'GET', path, { token: mintToken(server.secret, { sub: 'x' }, { alg: 'HS512' }) }),
    401, 'invalid_token');
  assertJsonError(await api(server, 'GET', path, { token: mintToken(server.secret, { sub: 'x', exp: now() - 120 }) }),
    401, 'token_expired');
  assertJsonError(await api(server, 'GET', path, { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), 401);
  // Positive controls: a user token and the admin key both read it.
  const ok = await api(server, 'GET', path, { token: server.token({ sub: 'reader', username: 'reader' }) });
  assert.equal(ok.status, 200, ok.text);
  assert.ok(Array.isArray(ok.json.messages));
  const adm = await api(server, 'GET', path, { headers: server.admin });
  assert.equal(adm.status, 200, adm.text);
});

test('admin-key actions refuse a wrong key with 401', async () => {
  const wrongKeys = [
    {},
    { Authorization: 'Bearer adm_wrong_key_123' },
    { Authorization: `Bearer ${server.adminKey}x` },
    { Authorization: `Bearer ${server.adminKey.slice(0, -1)}` },
    { Authorization: server.adminKey },
  ];
  for (const headers of wrongKeys) {
    const label = JSON.stringify(headers);
    const create = await api(server, 'POST', '/api/v1/streams', {
      headers, body: { title: 'hijack', broadcaster_user_id: 'mallory' },
    });
    assert.equal(create.status, 401, `POST /api/v1/streams with ${label}: ${create.text}`);
    assertJsonError(create, 401);
    const patch = await api(server, 'PATCH', `/api/v1/streams/${stream.id}`, { headers, body: { title: 'hijacked' } });
    assertJsonError(patch, 401);
    const history = await api(server, 'GET', `/api/v1/streams/${stream.id}/chat/history`, { headers });
    assertJsonError(history, 401);
  }
  const now = await api(server, 'GET', `/api/v1/streams/${stream.id}`);
  assert.equal(now.json.title, 'auth', 'no refused PATCH changed the stream');
  // The right key may change someone else's stream.
  const ok = await api(server, 'PATCH', `/api/v1/streams/${stream.id}`, { headers: server.admin, body: { title: 'auth' } });
  assert.equal(ok.status, 200, ok.text);
});

test('creating a stream for someone else needs the right admin key', async () => {
  const body = { title: 'admin made', broadcaster_user_id: 'carol' };
  const wrong = await api(server, 'POST', '/api/v1/streams', { body, headers: { Authorization: 'Bearer adm_not_the_key' } });
  assertJsonError(wrong, 401);
  const right = await api(server, 'POST', '/api/v1/streams', { body, headers: server.admin });
  assert.equal(right.status, 201, right.text);
  assert.equal(right.json.broadcaster_user_id, 'carol');
  const none = await api(server, 'POST', '/api/v1/streams', { body: { title: 'anonymous' } });
  assertJsonError(none, 401);
});

test('secrets and settings may come from SORAK_* environment variables', async () => {
  const dir = tempDir();
  const secret = 'env-secret-' + Date.now();
  const adminKey = 'adm_env_' + Date.now();
  const s = await startServer({
    baseArgs: false, dataDir: dir, secret, adminKey,
    env: {
      SORAK_LISTEN: '127.0.0.1:0', SORAK_STORE: `sqlite:${join(dir, 'env.db')}`, SORAK_DATA_DIR: dir,
      SORAK_JWT_SECRET: secret, SORAK_ADMIN_KEY: adminKey, SORAK_THREADS: '1', SORAK_LOG_LEVEL: 'warn',
    },
  });
  const created = await api(s, 'POST', '/api/v1/streams', { token: mintToken(secret, { sub: 'envy' }), body: { title: 'env' } });
  assert.equal(created.status, 201, created.text);
  const byAdmin = await api(s, 'POST', '/api/v1/streams', {
    headers: { Authorization: `Bearer ${adminKey}` }, body: { title: 'env admin', broadcaster_user_id: 'x' },
  });
  assert.equal(byAdmin.status, 201, byAdmin.text);
  const refused = await openWs(s, created.json.id, mintToken(server.secret, { sub: 'other-secret' }));
  assert.equal((await refused.closed).code, 4001, 'a token signed with another secret is refused');
  await s.stop();
});

test('--jwt-secret-file reads the secret from a file', async () => {
  const dir = tempDir();
  const secret = 'file-secret-' + Date.now();
  writeFileSync(join(dir, 'jwt.secret'), secret + '\n');
  const s = await startServer({
    baseArgs: false, dataDir: dir, secret,
    args: ['--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir, 'f.db')}`, '--data-dir', dir,
      '--jwt-secret-file', join(dir, 'jwt.secret'), '--admin-key', 'adm_file_key', '--log-level', 'warn'],
  });
  const created = await api(s, 'POST', '/api/v1/streams', { token: mintToken(secret, { sub: 'filer' }), body: { title: 'file' } });
  assert.equal(created.status, 201, created.text);
  const c = await joinChat(s, created.json.id, mintToken(secret, { sub: 'filer' }));
  assert.ok(Array.isArray(c.history.data));
  await c.close();
  await s.stop();
});
