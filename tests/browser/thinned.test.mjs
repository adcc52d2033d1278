// A chat page on a link too slow for the room (CONTRACT: thin, don't cut), in
// real Chromium: the page reaches the server through a TCP relay the test can
// stop reading, as a congested link would. While it is stopped the server
// leaves the room's plain chat lines out of what it queues for the page (gifts
// still queue), keeps it connected, and once the link moves again the page
// gets every gift and says "N messages skipped" in the chat, N being exactly
// the lines it never got. Screenshot at 1280×800 of the notice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServer as tcpServer, connect } from 'node:net';
import { api, createStream, freshUser, joinChat, sendAcked, sleep, startServer, waitFor } from '../integration/lib/server.mjs';
import { assertNoConsoleErrors, launch, openPage, shot, useToken } from './lib/browser.mjs';

let server, stream, relay, page;

// Every connection the page opens goes through here; `stall()` stops reading
// what the server sends (it piles up in the kernel, then in the server's queue).
function startRelay(target) {
  const pairs = new Set();
  const srv = tcpServer((down) => {
    const up = connect(target.port, '127.0.0.1');
    const pair = { up, down };
    pairs.add(pair);
    down.pipe(up);
    up.pipe(down);
    const drop = () => { pairs.delete(pair); up.destroy(); down.destroy(); };
    for (const s of [up, down]) { s.on('error', drop); s.on('close', drop); }
    if (relay?.stalled) up.pause();
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${srv.address().port}`,
    stalled: false,
    stall() { this.stalled = true; for (const p of pairs) { p.up.unpipe(p.down); p.up.pause(); } },
    flow() { this.stalled = false; for (const p of pairs) { p.up.pipe(p.down); p.up.resume(); } },
    close() { for (const p of pairs) { p.up.destroy(); p.down.destroy(); } return new Promise((r) => srv.close(r)); },
  })));
}

before(async () => {
  // A soft limit of 64 KiB (thinning starts past it) far below the hard one (8 MiB, the 1008 cut).
  server = await startServer({ args: ['--dev', '--rate-limit', '0', '--rate-limit-mod', '0',
    '--soft-queue-bytes', '65536', '--max-queue-bytes', String(8 << 20), '--socket-send-buffer', '4096'] });
  stream = await createStream(server, { sub: 'host', username: 'host', display_name: 'Host' }, { title: 'Busy room' });
  relay = await startRelay(server);
  page = await openPage(await launch());
  await useToken(page, server.token({ sub: 'carol', username: 'carol', display_name: 'Carol' }));
});

after(async () => { await relay?.close(); });

const metric = async (name) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await api(server, 'GET', '/metrics')).text)?.[1] ?? NaN);

test('a page on a stalled link is thinned, not cut: every gift arrives and the chat says how many lines were skipped', async () => {
  const received = [];  // the `message` events the page's WebSocket received
  const sockets = [];
  const skips = [];  // the `skipped` events it received
  page.on('websocket', (ws) => {
    sockets.push(ws.url());
    ws.on('framereceived', ({ payload }) => {
      const ev = JSON.parse(payload);
      if (ev.type === 'message') received.push(ev.data);
      if (ev.type === 'skipped') skips.push(ev.data);
    });
  });
  await page.goto(`${relay.url}/s/${stream.room_id}`);
  await page.locator('#conn[data-state=live]').waitFor({ timeout: 20000 });

  // The sender reads everything it is sent (lossless), so the page is the only one that can fall behind.
  const sender = await joinChat(server, stream.id, server.token(freshUser('talker')), { query: { lossless: 'true' } });
  const hello = await sendAcked(sender, 'hello before the jam');
  await page.locator('#messages .msg .text', { hasText: 'hello before the jam' }).waitFor();
  const thinnedBefore = await metric('sorak_viewers_thinned_total');

  relay.stall();
  const body = '😀'.repeat(490);  // ~2 KB a line: the server's queue for the page grows fast
  const lines = [hello.data.id];  // the chat lines' ids, in order
  const gifts = [];
  let n = 0;
  const send = async () => {
    if (n % 25 === 12) {
      const ack = await sendAcked(sender, undefined, { type: 'gift', gift_id: 'star', quantity: 1 });
      gifts.push(ack.data.id);
    } else {
      lines.push((await sendAcked(sender, `line ${n} ${body}`)).data.id);
    }
    n++;
  };
  // Until the server says it thinned the page, then as many again (bounded either way).
  while (n < 4000 && (await metric('sorak_viewers_thinned_total')) === thinnedBefore) {
    for (let i = 0; i < 20; i++) await send();
  }
  assert.ok(n < 4000, 'the server thinned the page before 4,000 lines');
  for (let i = 0; i < 100; i++) await send();
  assert.equal(await metric('sorak_slow_consumers_cut_total'), 0, 'nobody was cut');

  relay.flow();
  await waitFor(() => gifts.every((id) => received.some((m) => m.id === id)),
    { timeoutMs: 20000, what: () => `every gift at the page (${gifts.filter((id) => received.some((m) => m.id === id)).length} of ${gifts.length})` });
  const last = await sendAcked(sender, 'caught up again');
  // The notice comes before the first line the page gets in full again.
  await page.locator('#messages .msg .text', { hasText: 'caught up again' }).waitFor();
  const notice = page.locator('#messages .msg-skipped');

  // N in the notice is exactly the chat lines the page never received, and only chat lines were left out.
  const got = new Set(received.map((m) => m.id));
  const missing = lines.filter((id) => !got.has(id));
  assert.ok(missing.length > 0);
  const shown = await notice.allTextContents();
  assert.ok(shown.length >= 1 && shown.length <= 3, `one notice each time the page fell behind, not a flurry: ${shown}`);
  const total = shown.reduce((a, t) => a + Number(/^(\d+) messages? skipped/.exec(t)?.[1]), 0);
  assert.deepEqual(skips.map((k) => k.count), shown.map((t) => Number(/^(\d+)/.exec(t)[1])), 'one notice per skipped event');
  assert.equal(total, missing.length, `the notice (${shown}) counts the ${missing.length} lines left out`);
  assert.ok(received.some((m) => m.id === last.data.id));
  assert.equal(sockets.length, 1, 'the page never lost its connection');
  assert.equal(await page.locator('#conn').getAttribute('data-state'), 'live');
  await notice.last().scrollIntoViewIfNeeded();
  await shot(page, 'chat-skipped');
  assertNoConsoleErrors(page);
  await sender.close();
});
