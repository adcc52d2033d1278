// slow_consumer.test.mjs: a viewer that stops reading slows no one else. A
// plain viewer is thinned: its chat lines are left out while it is behind
// (gifts and every other event still come) and it is told `skipped` with the
// range once it keeps up again. A `?lossless=true` viewer (a bot that must see
// everything) is cut with 1008 instead.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, createStream, joinChat, freshUser, sleep, waitFor } from './lib/server.mjs';

// Each viewer's writes go through the worker's io_uring round by default; with
// --io-uring false (or a kernel without io_uring) each session calls sendmsg and
// waits for writability itself. The cut must hold on both paths.
const servers = {};
before(async () => {
  for (const ring of ['true', 'false']) {
    const server = await startServer({
      args: ['--max-queue-bytes', '65536', '--rate-limit', '0', '--viewer-count-interval-ms', '200', '--io-uring', ring],
    });
    const stream = await createStream(server, { sub: 'owner', username: 'owner' }, { title: 'slow consumer' });
    servers[ring] = { server, stream };
  }
});

// Messages needed to overflow the kernel buffers of a paused reader plus the server's queue.
function messagesToOverflow(bytesPerMessage = 2300) {
  let wmemMax = 4 * 1024 * 1024;
  try { wmemMax = Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]) || wmemMax; } catch { /* not Linux */ }
  return Math.min(12000, Math.ceil((wmemMax + 1024 * 1024 + 65536) / bytesPerMessage) + 300);
}

for (const ring of ['true', 'false']) {
  test(`--io-uring ${ring}: a paused lossless viewer is closed with 1008 while an active viewer receives every message`, async () => {
    const { server, stream } = servers[ring];
    const paused = await joinChat(server, stream.id, server.token(freshUser('paused')), { query: { lossless: 'true' } });
    await paused.next('viewer_count');
    // It must get every message: lossless, so that a burst on a slow machine (ASan) cannot thin it.
    const active = await joinChat(server, stream.id, server.token(freshUser('active')), { query: { lossless: 'true' } });
    const sender = await joinChat(server, stream.id, server.token(freshUser('sender')));
    await waitFor(() => active.ofType('viewer_count').some((e) => e.data.count === 3), { what: 'viewer_count 3' });
    paused.pause();

    // ~2.3 KB per message (490 emoji = 1960 bytes of UTF-8, plus the envelope), a few
    // in flight at a time: a steady chat. Enough to fill the kernel's socket
    // buffers for the paused viewer (its send buffer can grow to tcp_wmem's
    // maximum) and then the server's 64 KiB queue several times over. At most 8
    // in flight (~18 KB): the bound is a hard one, so a single burst bigger than
    // 64 KiB may legitimately cut even a reader that keeps up.
    const body = '😀'.repeat(490);
    const N = messagesToOverflow();
    const WINDOW = 8;
    let n = 0;
    while (n < N) {
      sender.send({ type: 'message', content: `${n} ${body}`, client_id: `slow-${n}` });
      n++;
      if (n - (sender.counts.ack || 0) >= WINDOW) {
        await waitFor(() => n - (sender.counts.ack || 0) < WINDOW, { timeoutMs: 20000, intervalMs: 1, what: 'acks' });
      }
    }
    await waitFor(() => (active.counts.message || 0) >= n, {
      timeoutMs: 30000, what: `the active viewer to receive all ${n} messages`,
    });
    const got = active.ofType('message').map((e) => Number(e.data.content.split(' ')[0]));
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => i), 'the active viewer got every message, in order');
    assert.ok(active.ofType('message').every((e) => e.data.content.endsWith(body)));
    assert.ok(active.isOpen());
    assert.ok(sender.isOpen(), `the sender is still connected (${JSON.stringify(sender.closeInfo)})`);
    // The viewer count stops counting the cut viewer (while it is still paused).
    await waitFor(() => active.ofType('viewer_count').at(-1).data.count === 2, {
      timeoutMs: 10000, what: () => `viewer_count 2 after the cut (counts: ${active.ofType('viewer_count').map((e) => e.data.count)})`,
    });

    // Now let the paused viewer read what was buffered for it: then the close.
    paused.resume();
    const close = await Promise.race([paused.closed, sleep(10000).then(() => null)]);
    assert.ok(close, `the paused viewer was not closed (it read ${paused.counts.message || 0} messages)`);
    assert.equal(close.code, 1008, `close code (reason "${close.reason}")`);
    assert.match(close.reason, /slow/i);
    const pgot = paused.ofType('message').map((e) => Number(e.data.content.split(' ')[0]));
    assert.ok(pgot.length < n, `the paused viewer did not get everything (${pgot.length} of ${n})`);
    assert.deepEqual(pgot, Array.from({ length: pgot.length }, (_, i) => i),
      'what it did get is a gapless prefix, in order');
    await active.close();
    await sender.close();
  });
}

// 490 random CJK characters: text that deflates to roughly 60 % of its bytes,
// not to almost nothing as one emoji repeated does, so a viewer with
// permessage-deflate can still be put behind by a few thousand lines.
function hardToDeflate() {
  let s = '';
  for (let i = 0; i < 490; i++) s += String.fromCodePoint(0x4E00 + Math.floor(Math.random() * 20000));
  return s;
}

const thinVariants = [
  { name: 'plain', opts: {}, body: () => '😀'.repeat(490), bytesPerMessage: 2300 },
  // The thinned viewer's essentials then come from the round's deflated counterpart.
  { name: 'permessage-deflate', opts: { wsOptions: { perMessageDeflate: true } }, body: hardToDeflate, bytesPerMessage: 1000 },
];

for (const variant of thinVariants) test(`a paused ${variant.name} viewer is thinned, not cut: every gift still comes, and one \`skipped\` names the chat lines left out`, async () => {
  const { server, stream } = servers.true;
  const paused = await joinChat(server, stream.id, server.token(freshUser('thin')), variant.opts);
  if (variant.opts.wsOptions) assert.equal(paused.ws.extensions, 'permessage-deflate');
  const active = await joinChat(server, stream.id, server.token(freshUser('watcher')), { query: { lossless: 'true' } });
  const sender = await joinChat(server, stream.id, server.token(freshUser('talker')));
  paused.pause();
  const body = variant.body();
  const N = messagesToOverflow(variant.bytesPerMessage);
  const WINDOW = 8;
  let n = 0;
  const gifts = [];
  while (n < N) {
    if (n % 50 === 25) {
      sender.send({ type: 'gift', gift_id: 'star', quantity: 1, client_id: `gift-${n}` });
      gifts.push(`gift-${n}`);
    } else {
      sender.send({ type: 'message', content: `t${n} ${body}`, client_id: `thin-${n}` });
    }
    n++;
    if (n - (sender.counts.ack || 0) >= WINDOW) {
      await waitFor(() => n - (sender.counts.ack || 0) < WINDOW, { timeoutMs: 20000, intervalMs: 1, what: 'acks' });
    }
  }
  await waitFor(() => (active.counts.message || 0) >= n, { timeoutMs: 30000, what: `the active viewer to get all ${n}` });
  const giftIds = new Set(active.ofType('message').filter((e) => e.data.message_type === 'gift').map((e) => e.data.id));
  assert.equal(giftIds.size, gifts.length);
  paused.resume();
  // After it catches up, one more line (it keeps up again) brings the `skipped` event.
  await waitFor(() => (paused.counts.message || 0) > 0 && giftIds.size <= paused.ofType('message').filter((e) => giftIds.has(e.data.id)).length,
    { timeoutMs: 20000, what: 'the thinned viewer to get every gift' });
  await sleep(500);
  await sendAckedLine(sender, 'caught up?');
  await paused.next('skipped', 10000);
  await sleep(300);
  assert.ok(paused.isOpen(), 'the thinned viewer is still connected');
  // One `skipped` per time it fell behind (the kernel's buffers drain in steps).
  const skips = paused.ofType('skipped').map((e) => e.data);
  const all = active.ofType('message').map((e) => e.data);
  const got = new Set(paused.ofType('message').map((e) => e.data.id));
  const missing = all.filter((m) => !got.has(m.id));
  const order = all.map((m) => m.id);
  assert.ok(missing.length > 0, 'some chat lines were left out');
  assert.ok(missing.every((m) => m.message_type === 'message'), 'only chat lines are ever left out');
  assert.equal(skips.reduce((a, k) => a + k.count, 0), missing.length, 'the skipped counts add up to the lines left out');
  assert.equal(skips[0].from_id, missing[0].id);
  assert.equal(skips.at(-1).to_id, missing.at(-1).id);
  // Each names the first and last line of a run left out, in order.
  const pos = (id) => order.indexOf(id);
  for (const k of skips) assert.ok(pos(k.from_id) <= pos(k.to_id) && !got.has(k.from_id) && !got.has(k.to_id));
  // What it got is in order.
  const idx = paused.ofType('message').map((e) => order.indexOf(e.data.id)).filter((i) => i >= 0);
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  assert.match(metrics, /^sorak_viewers_thinned_total [1-9]/m);
  await paused.close();
  await active.close();
  await sender.close();
});

async function sendAckedLine(client, content) {
  const client_id = `line-${Date.now()}`;
  client.send({ type: 'message', content, client_id });
  await client.next((e) => e.type === 'ack' && e.client_id === client_id);
}
