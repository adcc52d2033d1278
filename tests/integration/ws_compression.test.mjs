// permessage-deflate (RFC 7692) against the real sorakd: a client that offers
// it (Node's `ws` with perMessageDeflate) gets every message intact, one that
// does not gets the same messages uncompressed from the same room, compressed
// client messages are read, one that inflates past the 16 KiB limit is closed
// like an oversized one while the room carries on, and `--ws-compression off`
// never negotiates.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, createStream, joinChat, sendAcked, freshUser, waitFor,
} from './lib/server.mjs';

let server;
before(async () => {
  server = await startServer({ args: ['--rate-limit', '0'] });
});

// threshold 0: the client compresses every message it sends, however short.
const deflate = { wsOptions: { perMessageDeflate: { threshold: 0 } } };
// A chat line as people write them, different each time.
const line = (i) => `message ${i}: did you see that play? ${'ha'.repeat(i % 7)} the score is ${i * 37 % 101} to ${i % 13}`;

async function metric(name) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

test('a viewer with permessage-deflate and one without get the same messages, in order and intact', async () => {
  const stream = await createStream(server, freshUser('owner'));
  const zipped = await joinChat(server, stream.id, server.token(freshUser('zip')), deflate);
  const plain = await joinChat(server, stream.id, server.token(freshUser('plain')));
  assert.equal(zipped.ws.extensions, 'permessage-deflate');
  assert.equal(plain.ws.extensions, '');
  const framesBefore = await metric('sorak_ws_compressed_frames_total');

  const sender = await joinChat(server, stream.id, server.token(freshUser('sender')));
  const sent = [];
  for (let i = 0; i < 40; i++) {
    sent.push(line(i));
    sender.send({ type: 'message', content: line(i) });
  }
  const got = (c) => c.ofType('message').map((m) => m.data.content);
  await waitFor(() => got(zipped).length === 40 && got(plain).length === 40, { what: '40 messages at both viewers' });
  assert.deepEqual(got(zipped), sent);
  assert.deepEqual(got(plain), sent);
  assert.ok(await metric('sorak_ws_compressed_frames_total') > framesBefore, 'the server deflated frames');

  // A viewer joining now gets the history (one large frame, deflated for it) whole.
  const late = await joinChat(server, stream.id, server.token(freshUser('late')), deflate);
  assert.deepEqual(late.history.data.map((m) => m.content).slice(-40), sent);
  for (const c of [zipped, plain, sender, late]) await c.close();
});

// A client that asks for server_no_context_takeover (RFC 7692 §7.1.1.1).
const deflateAlone = { wsOptions: { perMessageDeflate: { threshold: 0, serverNoContextTakeover: true } } };
const negotiated = (c) => c.ws._extensions['permessage-deflate']?.params ?? null;

test('rounds go as chains to a client that keeps its window and as lone frames to one that asked not to; both read every message of a burst', async () => {
  const stream = await createStream(server, freshUser('owner'));
  const chained = await joinChat(server, stream.id, server.token(freshUser('chain')), deflate);
  const alone = await joinChat(server, stream.id, server.token(freshUser('alone')), deflateAlone);
  assert.equal(negotiated(chained).server_no_context_takeover, undefined, 'the server may take context');
  assert.equal(negotiated(alone).server_no_context_takeover, true, 'answered as asked');

  // 200 lines in quick bursts from two senders: rounds of several events each,
  // and a viewer joining in the middle (its first round is a part of one).
  const senders = [
    await joinChat(server, stream.id, server.token(freshUser('s1'))),
    await joinChat(server, stream.id, server.token(freshUser('s2'))),
  ];
  const sent = [];
  let late;
  for (let i = 0; i < 200; i++) {
    sent.push(line(i));
    senders[i % 2].send({ type: 'message', content: line(i) });
    if (i === 100) late = joinChat(server, stream.id, server.token(freshUser('late')), deflate);
  }
  late = await late;
  const got = (c) => c.ofType('message').map((m) => m.data.content);
  await waitFor(() => got(chained).length === 200 && got(alone).length === 200, { what: '200 messages at both viewers' });
  // Two senders: the store's order, the same at every viewer.
  assert.deepEqual(got(chained), got(alone));
  assert.deepEqual([...got(chained)].sort(), [...sent].sort());
  // The late viewer: its history and then every later line, none lost or doubled.
  const lastOfHistory = late.history.data.at(-1)?.content;
  const from = lastOfHistory === undefined ? 0 : got(chained).indexOf(lastOfHistory) + 1;
  await waitFor(() => got(late).length === 200 - from, { what: 'the rest of the burst at the late viewer' });
  assert.deepEqual(got(late), got(chained).slice(from));
  for (const c of [chained, alone, late, ...senders]) await c.close();
});

test('a compressed message from a client is read, acked and reaches the viewer without deflate', async () => {
  const stream = await createStream(server, freshUser('owner'));
  const plain = await joinChat(server, stream.id, server.token(freshUser('plain')));
  const zipped = await joinChat(server, stream.id, server.token(freshUser('zip')), deflate);
  const content = 'compressed on the way in '.repeat(10) + 'end';
  const ack = await sendAcked(zipped, content);
  assert.ok(ack.data.id);
  const seen = await plain.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.equal(seen.data.content, content);
  const echoed = await zipped.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.equal(echoed.data.content, content);
  await plain.close();
  await zipped.close();
});

test('a compressed message inflating past 16 KiB closes like an oversized one; the room carries on', async () => {
  const stream = await createStream(server, freshUser('owner'));
  const watcher = await joinChat(server, stream.id, server.token(freshUser('watcher')), deflate);

  const big = await joinChat(server, stream.id, server.token(freshUser('big')));
  big.sendRaw(JSON.stringify({ type: 'message', content: 'z'.repeat(17 * 1024) }));
  const plainClose = await big.closed;

  const bomb = await joinChat(server, stream.id, server.token(freshUser('bomb')), deflate);
  bomb.sendRaw(JSON.stringify({ type: 'message', content: 'z'.repeat(4 * 1024 * 1024) }));  // ~4 KiB on the wire
  const bombClose = await bomb.closed;
  assert.equal(plainClose.code, 1009);
  assert.equal(bombClose.code, plainClose.code);

  const sender = await joinChat(server, stream.id, server.token(freshUser('sender')), deflate);
  const ack = await sendAcked(sender, 'still here');
  const seen = await watcher.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.equal(seen.data.content, 'still here');
  await watcher.close();
  await sender.close();
});

test('--ws-compression off never negotiates, and the client still gets every message', async () => {
  const off = await startServer({ args: ['--rate-limit', '0', '--ws-compression', 'off'] });
  const stream = await createStream(off, freshUser('owner'));
  const viewer = await joinChat(off, stream.id, off.token(freshUser('zip')), deflate);
  assert.equal(viewer.ws.extensions, '');
  const ack = await sendAcked(viewer, line(3));
  const seen = await viewer.next((e) => e.type === 'message' && e.data.id === ack.data.id);
  assert.equal(seen.data.content, line(3));
  assert.equal(await (async () => {
    const text = await (await fetch(`${off.url}/metrics`)).text();
    return Number(text.match(/^sorak_ws_deflate_sessions_total (\S+)$/m)[1]);
  })(), 0);
  await viewer.close();
  await off.stop();
});
