// errors.test.mjs: every refusal a chatter can meet, and the connection survives it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, sendAcked, api, allHistory, freshUser, unknownId, sleep,
} from './lib/server.mjs';

let server;
let stream;
const owner = { sub: 'owner', username: 'owner' };

before(async () => {
  // 3 messages per 30 s per user per stream: each test uses fresh users.
  server = await startServer({ args: ['--rate-limit', '3/30'] });
  stream = await createStream(server, owner, { title: 'errors' });
});

async function fresh(name, s = stream) {
  return joinChat(server, s.id, server.token(freshUser(name)));
}

function assertError(ev, code) {
  assert.equal(ev.type, 'error');
  assert.equal(ev.code, code, `error code (message "${ev.message}")`);
  assert.equal(typeof ev.message, 'string');
  assert.ok(ev.message.length > 0, 'the error has a human message');
}

// After an error the same connection still chats.
async function stillChats(c, label) {
  const ack = await sendAcked(c, `still here after ${label}`);
  assert.ok(ack.data.id);
  await c.next((e) => e.type === 'message' && e.data.id === ack.data.id);
}

const formatCases = [
  ['not JSON', 'this is not json'],
  ['truncated JSON', '{"type":"message","content":"hi"'],
  ['a JSON array', '[{"type":"message","content":"hi"}]'],
  ['a JSON string', '"message"'],
  ['JSON null', 'null'],
  ['an object without type', '{"content":"hi"}'],
  ['a type that is not a string', '{"type":5,"content":"hi"}'],
  ['content that is not a string', '{"type":"message","content":5}'],
  ['content null', '{"type":"message","content":null}'],
  ['content missing', '{"type":"message"}'],
  ['client_id that is not a string', '{"type":"message","content":"hi","client_id":7}'],
];
for (const [name, raw] of formatCases) {
  test(`invalid_format for ${name}`, async () => {
    const c = await fresh('fmt');
    c.sendRaw(raw);
    assertError(await c.next('error'), 'invalid_format');
    await stillChats(c, name);
    await c.close();
  });
}

test('unknown_type for a type the server does not know', async () => {
  const c = await fresh('unk');
  c.send({ type: 'shout', content: 'HELLO' });
  assertError(await c.next('error'), 'unknown_type');
  await stillChats(c, 'unknown_type');
  await c.close();
});

test('empty_content for blank content', async () => {
  const c = await fresh('empty');
  c.send({ type: 'message', content: '   ' });
  assertError(await c.next('error'), 'empty_content');
  c.send({ type: 'message', content: '' });
  assertError(await c.next('error'), 'empty_content');
  await stillChats(c, 'empty_content');
  const c2 = await fresh('empty2');
  c2.send({ type: 'message', content: '\u3000\u00a0\n\t ' });
  assertError(await c2.next('error'), 'empty_content', 'full-width and no-break spaces are blank too');
  const ack = await sendAcked(c2, '\u3000こんにちは\u3000');
  const m = await c2.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.equal(m.data.content, 'こんにちは', 'full-width spaces are trimmed');
  await c.close();
  await c2.close();
});

test('invalid_content for a control character; newline and tab pass; content is trimmed', async () => {
  const c = await fresh('ctl');
  c.send({ type: 'message', content: 'ring the bell \u0007' });
  assertError(await c.next('error'), 'invalid_content');
  const ack = await sendAcked(c, '  line one\nline\ttwo  ');
  const m = await c.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.equal(m.data.content, 'line one\nline\ttwo');
  const c2 = await fresh('ctl2');
  c2.send({ type: 'message', content: 'escape \u001b[31m red' });
  assertError(await c2.next('error'), 'invalid_content');
  await stillChats(c2, 'invalid_content');
  await c.close();
  await c2.close();
});

test('message_too_long at 501 code points; 500 emoji pass', async () => {
  const c = await fresh('long');
  const fiveHundred = '😀'.repeat(500);  // 500 code points, 1000 UTF-16 units, 2000 bytes
  const ack = await sendAcked(c, fiveHundred);
  const m = await c.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.equal(m.data.content, fiveHundred, 'the 500 emoji arrive intact');
  c.send({ type: 'message', content: '😀'.repeat(501) });
  assertError(await c.next('error'), 'message_too_long');
  await stillChats(c, 'message_too_long');
  const c2 = await fresh('long2');
  c2.send({ type: 'message', content: 'a'.repeat(501) });
  assertError(await c2.next('error'), 'message_too_long');
  const ack2 = await sendAcked(c2, 'b'.repeat(500));
  assert.ok(ack2.data.id, '500 ASCII characters pass');
  await c.close();
  await c2.close();
});

test('invalid_client_id over 64 characters', async () => {
  const c = await fresh('cid');
  c.send({ type: 'message', content: 'hi', client_id: 'x'.repeat(65) });
  assertError(await c.next('error'), 'invalid_client_id');
  const ack = await sendAcked(c, 'a 64-char client id is fine', { client_id: 'y'.repeat(64) });
  assert.equal(ack.client_id, 'y'.repeat(64));
  await c.close();
});

test('invalid_reply_to for an unknown message or one of another stream', async () => {
  const other = await createStream(server, owner, { title: 'elsewhere' });
  const o = await fresh('other', other);
  const foreign = await sendAcked(o, 'in the other stream');
  const c = await fresh('reply');
  c.send({ type: 'message', content: 'replying to nothing', reply_to: unknownId() });
  assertError(await c.next('error'), 'invalid_reply_to');
  c.send({ type: 'message', content: 'replying across streams', reply_to: foreign.data.id });
  assertError(await c.next('error'), 'invalid_reply_to');
  await stillChats(c, 'invalid_reply_to');
  const { messages } = await allHistory(server, stream.id, server.token(owner));
  assert.ok(!messages.some((m) => m.content.startsWith('replying')), 'refused replies are not stored');
  await c.close();
  await o.close();
});

test('rate_limited with retry_after_ms after 3 messages in 30 s', async () => {
  const c = await fresh('rate');
  const watcher = await fresh('watch');
  for (let i = 0; i < 3; i++) await sendAcked(c, `allowed ${i}`);
  c.send({ type: 'message', content: 'one too many', client_id: 'over' });
  const err = await c.next('error');
  assertError(err, 'rate_limited');
  assert.equal(typeof err.retry_after_ms, 'number');
  assert.ok(err.retry_after_ms > 0 && err.retry_after_ms <= 30000, `retry_after_ms ${err.retry_after_ms}`);
  // The connection stays open and answers; another user is not limited.
  c.send({ type: 'ping' });
  await c.next('pong');
  const other = await fresh('unlimited');
  await stillChats(other, 'someone else hit the rate limit');
  await sleep(200);
  assert.ok(!watcher.ofType('message').some((e) => e.data.content === 'one too many'));
  assert.ok(c.isOpen());
  await c.close();
  await other.close();
  await watcher.close();
});

test('stream_ended after the broadcaster ends the stream', async () => {
  const s = await createStream(server, owner, { title: 'ending soon' });
  const v = await fresh('v', s);
  await sendAcked(v, 'before the end');
  const v2 = await fresh('v2', s);
  const res = await api(server, 'PATCH', `/api/v1/streams/${s.id}`, { token: server.token(owner), body: { status: 'ended' } });
  assert.equal(res.status, 200, res.text);
  for (const viewer of [v, v2]) {
    const ev = await viewer.next('stream_status');
    assert.deepEqual(ev.data, { status: 'ended' });
  }
  v.send({ type: 'message', content: 'anyone there?', client_id: 'late' });
  assertError(await v.next('error'), 'stream_ended');
  v.send({ type: 'ping' });
  await v.next('pong');
  // The history stays readable.
  const { messages } = await allHistory(server, s.id, server.token(owner));
  assert.deepEqual(messages.map((m) => m.content), ['before the end']);
  // A new connection to the ended stream still gets its history and is refused too.
  const late = await fresh('late', s);
  assert.deepEqual(late.history.data.map((m) => m.content), ['before the end']);
  late.send({ type: 'message', content: 'hello?' });
  assertError(await late.next('error'), 'stream_ended');
  await v.close();
  await v2.close();
  await late.close();
});

test('a binary frame gets invalid_format and the connection stays open', async () => {
  const c = await fresh('bin');
  c.sendRaw(Buffer.from(JSON.stringify({ type: 'message', content: 'in binary' })), { binary: true });
  assertError(await c.next('error'), 'invalid_format');
  await stillChats(c, 'a binary frame');
  await sleep(100);
  assert.ok(!c.ofType('message').some((e) => e.data.content === 'in binary'));
  await c.close();
});

test('a text frame of invalid UTF-8 closes with 1007', async () => {
  const c = await fresh('utf8');
  c.sendRaw(Buffer.from([0x7b, 0x22, 0x74, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
  const { code } = await c.closed;
  assert.equal(code, 1007);
});

test('a 17 KiB frame closes with 1009', async () => {
  const c = await fresh('big');
  c.sendRaw(JSON.stringify({ type: 'message', content: 'z'.repeat(17 * 1024) }));
  const { code } = await c.closed;
  assert.equal(code, 1009);
});

test('a 15 KiB frame is an ordinary error, not a close', async () => {
  const c = await fresh('big-ok');
  c.sendRaw(JSON.stringify({ type: 'message', content: 'z'.repeat(15 * 1024) }));
  assertError(await c.next('error'), 'message_too_long');
  await stillChats(c, 'a 15 KiB frame');
  await c.close();
});

test('a flood far past the rate limit closes with 1008', async () => {
  const c = await fresh('flood');
  const watcher = await fresh('flood-watch');
  let sent = 0;
  while (c.isOpen() && sent < 2000) {
    c.send({ type: 'message', content: `flood ${sent++}` });
    if (sent % 50 === 0) await sleep(5);
  }
  const { code, reason } = await Promise.race([
    c.closed,
    sleep(5000).then(() => ({ code: 'still open', reason: `after ${sent} messages` })),
  ]);
  assert.equal(code, 1008, `close (${reason})`);
  await sleep(200);
  const stored = watcher.ofType('message').filter((e) => e.data.content.startsWith('flood ')).length;
  assert.ok(stored <= 3, `at most the 3 allowed messages got through, saw ${stored}`);
  assert.ok(watcher.isOpen(), 'the other viewers are unaffected');
  await watcher.close();
});

test('retry_after_ms is accurate, the limit is per stream, the broadcaster has a higher limit', async () => {
  const quick = await startServer({ args: ['--rate-limit', '2/2', '--rate-limit-mod', '6/30'] });
  const s1 = await createStream(quick, owner, { title: 'quick one' });
  const s2 = await createStream(quick, owner, { title: 'quick two' });
  const user = freshUser('quick');
  const c = await joinChat(quick, s1.id, quick.token(user));
  await sendAcked(c, 'one');
  await sendAcked(c, 'two');
  c.send({ type: 'message', content: 'three' });
  const err = await c.next('error');
  assertError(err, 'rate_limited');
  assert.ok(err.retry_after_ms > 0 && err.retry_after_ms <= 2000, `retry_after_ms ${err.retry_after_ms}`);
  // The same user in another stream has its own budget.
  const other = await joinChat(quick, s2.id, quick.token(user));
  await sendAcked(other, 'elsewhere is fine');
  // Waiting as told is enough.
  await sleep(err.retry_after_ms + 50);
  const ack = await sendAcked(c, 'three, after waiting');
  assert.ok(ack.data.id);
  // The broadcaster: 6 per 30 s, not 2.
  const own = await joinChat(quick, s1.id, quick.token(owner));
  for (let i = 0; i < 6; i++) await sendAcked(own, `owner ${i}`);
  own.send({ type: 'message', content: 'owner 7' });
  assertError(await own.next('error'), 'rate_limited');
  for (const x of [c, other, own]) await x.close();
  await quick.stop();
});

test('a fragmented message over 16 KiB closes with 1009; a small fragmented one is read whole', async () => {
  const c = await fresh('frag');
  const json = JSON.stringify({ type: 'message', content: 'in three pieces', client_id: 'frag-1' });
  c.ws.send(json.slice(0, 10), { fin: false });
  c.ws.send(json.slice(10, 20), { fin: false });
  c.ws.send(json.slice(20), { fin: true });
  const ack = await c.next('ack');
  assert.equal(ack.client_id, 'frag-1');
  const big = JSON.stringify({ type: 'message', content: 'q'.repeat(20 * 1024) });
  c.ws.send(big.slice(0, 10 * 1024), { fin: false });
  c.ws.send(big.slice(10 * 1024), { fin: true });
  const { code } = await c.closed;
  assert.equal(code, 1009);
});
