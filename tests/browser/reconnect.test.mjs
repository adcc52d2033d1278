// The chat page survives the server going away: killed (SIGKILL) and started
// again on the same port, then stopped cleanly (SIGTERM, close 1001) and
// started again. The page reconnects with since=, shows every message sent
// while it was away exactly once, and sends what was typed while offline once.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { allHistory, api, createStream, joinChat, sendAcked, startServer } from '../integration/lib/server.mjs';
import { assertNoConsoleErrors, chatTexts, freePort, launch, openPage, shot, useToken } from './lib/browser.mjs';

// While the server is down the browser reports the refused connections.
const OFFLINE_NOISE = [/WebSocket connection to .* failed/, /ERR_CONNECTION_REFUSED/];
const BOB = { sub: 'bob', username: 'bob', display_name: 'Bob' };
let server, stream, page;

before(async () => {
  const port = await freePort();
  server = await startServer({ args: ['--dev', '--listen', `127.0.0.1:${port}`] });
  stream = await createStream(server, { sub: 'host', username: 'host', display_name: 'Host' }, { title: 'Crash test' });
  const browser = await launch();
  page = await openPage(browser, { ignore: OFFLINE_NOISE });
  await useToken(page, server.token({ sub: 'carol', username: 'carol', display_name: 'Carol' }));
});

const live = () => page.locator('#conn[data-state=live]').waitFor({ timeout: 20000 });
const offline = () => page.waitForFunction(() => document.querySelector('#conn').dataset.state !== 'live');

// → the acks (data.id is each message's id).
async function sendFromNode(texts) {
  const bob = await joinChat(server, stream.id, server.token(BOB));
  const acks = [];
  for (const t of texts) acks.push(await sendAcked(bob, t));
  await bob.close();
  return acks;
}

// The chat messages (not gifts) as the server stored them, oldest first.
async function storedTexts() {
  const { messages } = await allHistory(server, stream.id, server.token(BOB));
  return messages.filter((m) => m.message_type === 'message').map((m) => m.content);
}

// The page shows `lastTexts` last, every message exactly once, in the server's order.
async function expectExactlyOnce(lastTexts) {
  await page.locator('#messages .msg .text', { hasText: lastTexts.at(-1) }).waitFor({ timeout: 20000 });
  const shown = await chatTexts(page);
  assert.deepEqual(shown, await storedTexts());
  assert.deepEqual(shown.slice(-lastTexts.length), lastTexts);
  assert.equal(new Set(shown).size, shown.length, `shown twice: ${shown}`);
}

test('killed and restarted: the page reconnects and shows what was sent meanwhile exactly once', async () => {
  const sockets = [];  // the chat WebSocket URLs the page opened
  page.on('websocket', (ws) => sockets.push(new URL(ws.url())));
  await page.goto(`${server.url}/s/${stream.room_id}`);
  await live();
  const [lastSeen] = await sendFromNode(['before the crash']);
  await expectExactlyOnce(['before the crash']);
  assert.equal((await chatTexts(page)).length, 1);

  await server.kill9();
  await offline();
  // Typed while the server is gone: queued, shown as waiting, sent after the reconnect.
  await page.fill('#chat-input', 'typed while offline');
  await page.press('#chat-input', 'Enter');
  await page.locator('#pending li', { hasText: 'typed while offline' }).waitFor();
  await shot(page, 'chat-offline');

  await server.restart();
  // Sent before the page is back (its next try is up to seconds away): the page
  // gets these through since= on reconnect, or live if it was quicker.
  await sendFromNode(['while away 1', 'while away 2']);
  const gift = await api(server, 'POST', `/api/v1/admin/streams/${stream.id}/gifts`, {
    token: server.adminKey, body: { user: { id: 'fan', display_name: 'Big Fan', level: 9, premium: true }, gift_id: 'heart', quantity: 3 },
  });
  assert.equal(gift.status, 201, gift.text);
  await live();
  await page.locator('#messages .msg-gift', { hasText: 'sent 3× Heart' }).waitFor();
  await page.locator('#messages .msg .text', { hasText: 'typed while offline' }).waitFor();
  await page.locator('#pending li').first().waitFor({ state: 'detached' });
  // The page may be back before 'while away 2' is sent, so 'typed while offline'
  // can land on either side of it: the page must show the server's order.
  const shown = await chatTexts(page);
  assert.deepEqual([...shown].sort(), ['before the crash', 'typed while offline', 'while away 1', 'while away 2']);
  assert.deepEqual(shown, await storedTexts());
  assert.equal(await page.locator('#messages .msg-gift').count(), 1);
  // The first socket had no since=; every later one asked for what came after the last message seen.
  assert.equal(sockets[0].searchParams.get('since'), null);
  assert.ok(sockets.length >= 2);
  for (const u of sockets.slice(1)) assert.equal(u.searchParams.get('since'), lastSeen.data.id);
  // The server stored the offline message once.
  const { messages } = await allHistory(server, stream.id, server.token(BOB));
  assert.equal(messages.filter((m) => m.content === 'typed while offline').length, 1);
});

test('stopped cleanly (1001) and restarted: the page comes back without losing or doubling', async () => {
  await server.stop();
  await offline();
  await server.restart();
  await sendFromNode(['after the clean restart']);
  await live();
  await expectExactlyOnce(['after the clean restart']);
  assert.equal((await chatTexts(page)).length, 5);
  await page.fill('#chat-input', 'back online');
  await page.press('#chat-input', 'Enter');
  await expectExactlyOnce(['after the clean restart', 'back online']);
  // A reload shows the same history: nothing was stored twice.
  await page.reload();
  await live();
  await expectExactlyOnce(['after the clean restart', 'back online']);
  await shot(page, 'chat-reconnected');
  assertNoConsoleErrors(page);
});
