// The pinned message, replies and blocked terms (CONTRACT §12) on the chat
// page /s/{room_id} and the overlay, in real Chromium:
// - a moderator pins a message from its ⋯ menu: the pin bar shows on every
//   chat page, on the overlay and on a page opened afterwards; the bar's ✕
//   (moderators only) unpins it everywhere; deleting the pinned message unpins
//   it; a page whose WebSocket is dropped shows, once back, the pin as the
//   server then holds it (each history clears the bar until a `pinned` comes);
// - ↩ on a message replies to it: "Replying to NAME" above the box, then the
//   reply is drawn with its parent quoted on every page; a deleted parent is
//   quoted as "(deleted message)", also on a page opened after the deletion;
//   a parent older than the history is fetched once;
// - the blocked terms panel (moderators and the broadcaster only): add, the
//   refusals in words, a viewer's full-width capitals refused in words and
//   never shown, moderators exempt, remove, and the same text then goes through.
// Screenshots at 1280×800 and 390×844 of the pin bar, the reply quote and the panel.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, createStream, joinChat, sendAcked, sleep, startServer } from '../integration/lib/server.mjs';
import { assertNoConsoleErrors, launch, openPage, shot, useToken } from './lib/browser.mjs';

const HOST = { sub: 'host-mina', username: 'mina', display_name: 'Mina', level: 30, premium: true };
const BOB = { sub: 'bob', username: 'bob', display_name: 'Bob', level: 12 };         // a moderator
const ALICE = { sub: 'alice', username: 'alice', display_name: 'Alice', level: 7 };
const CAROL = { sub: 'carol', username: 'carol', display_name: 'Carol', level: 3 };
const OBS = { sub: 'obs', username: 'obs', display_name: 'OBS' };
const DAVE = { sub: 'dave', username: 'dave', display_name: 'Dave' };

// Expected in the console: the 409 of a term blocked twice (Bob's panel) and
// the 404 of a deleted parent fetched by a page opened after the deletion
// (Carol's reload, the host's first visit).
const REFUSED_409 = /Failed to load resource: the server responded with a status of 409/;
const REFUSED_404 = /Failed to load resource: the server responded with a status of 404/;

let server, stream, hostWs, browser;
let bob, alice, host, overlay, carol, dave;   // bob 1280×800 (moderator), alice 390×844, host 390×844, overlay, carol and dave 1280×800
const msg = (page, text) => page.locator('#messages .msg', { hasText: text });
const byId = (page, id) => page.locator(`#messages .msg[data-id="${id}"]`);
const rest = (method, path, token, body) => api(server, method, `/api/v1/streams/${stream.room_id}${path}`, { token, body });
const chatUrl = () => `${server.url}/s/${stream.room_id}`;
// The REST reads of the pin and of one message are sent with a viewer's token,
// as the pages send them.
const viewerToken = () => server.token(ALICE);

async function say(page, text) {
  await page.fill('#chat-input', text);
  await page.press('#chat-input', 'Enter');
}

async function openChat(page) {
  await page.goto(chatUrl());
  await page.locator('#conn[data-state=live]').waitFor();
}

before(async () => {
  server = await startServer({ args: ['--dev', '--viewer-count-interval-ms', '200'] });
  stream = await createStream(server, HOST, { title: 'Acoustic evening', room_name: 'Mina room' });
  const granted = await rest('POST', '/moderators', server.token(HOST), { user_id: 'bob', badge_type: 'moderator' });
  assert.equal(granted.status, 201, granted.text);
  browser = await launch();
  bob = await openPage(browser, { size: 'desktop', ignore: [REFUSED_409] });
  alice = await openPage(browser, { size: 'phone' });
  host = await openPage(browser, { size: 'phone', ignore: [REFUSED_404] });
  overlay = await openPage(browser, { size: 'desktop' });
  carol = await openPage(browser, { size: 'desktop', ignore: [REFUSED_404] });
  await useToken(bob, server.token(BOB));
  await useToken(alice, server.token(ALICE));
  await useToken(host, server.token(HOST));
  await useToken(carol, server.token(CAROL));
  hostWs = await joinChat(server, stream.id, server.token(HOST));
  await Promise.all([openChat(alice), openChat(bob), openChat(carol),
    overlay.goto(`${server.url}/overlay/${stream.room_id}?token=${server.token(OBS)}&fade=0`)]);
});

test('a moderator pins a message from its menu: the pin bar shows on the other pages, the overlay and a page opened later; ✕ unpins it everywhere', async () => {
  await sendAcked(hostWs, 'Welcome everyone, grab a tea ☕');
  const text = 'Setlist tonight: River, Heavy Rotation and Koisuru Fortune Cookie 🍪 — requests in the chat!';
  await say(alice, text);
  const line = msg(bob, 'Setlist tonight');
  await line.waitFor();
  await bob.locator('body.can-moderate').waitFor();
  await line.locator('.mod-open').click();
  await bob.click('#mod-menu [data-action=pin]');
  for (const page of [alice, bob]) {
    await page.locator('#pin-bar .pin-text', { hasText: 'Setlist tonight' }).waitFor();
    assert.equal(await page.textContent('#pin-bar .name'), 'Alice');
    assert.equal(await page.textContent('#pin-bar .pin-text'), text);
  }
  await bob.locator('#composer-status', { hasText: 'Message pinned.' }).waitFor();
  await overlay.locator('#pin .pin-text', { hasText: 'Setlist tonight' }).waitFor();
  assert.equal(await overlay.textContent('#pin .name'), 'Alice');
  // The overlay's pin is at the top, above the lines.
  const [pinBox, lineBox] = [await overlay.locator('#pin').boundingBox(), await overlay.locator('#lines .msg').first().boundingBox()];
  assert.ok(pinBox.y < 40 && pinBox.y + pinBox.height <= lineBox.y, `pin ${JSON.stringify(pinBox)}, first line ${JSON.stringify(lineBox)}`);
  // The server has it.
  const got = await rest('GET', '/chat/pin', viewerToken());
  assert.equal(got.status, 200, got.text);
  assert.equal(got.json.data.content, text);
  // Only moderators get the ✕.
  assert.equal(await bob.isVisible('#pin-remove'), true);
  assert.equal(await alice.isVisible('#pin-remove'), false);
  await alice.locator('#chat-input').blur();
  await shot(bob, 'pin-bar');
  await shot(alice, 'pin-bar');
  await shot(overlay, 'overlay-pin');
  // A page opened now gets the pin right after its history.
  await carol.reload();
  await carol.locator('#conn[data-state=live]').waitFor();
  await carol.locator('#pin-bar .pin-text', { hasText: 'Setlist tonight' }).waitFor();
  // The menu of the pinned message offers to unpin it.
  await line.locator('.mod-open').click();
  assert.equal(await bob.textContent('#mod-menu [data-action=unpin]'), '📌 Unpin message');
  await bob.keyboard.press('Escape');
  await bob.click('#pin-remove');
  for (const page of [alice, bob, carol]) await page.locator('#pin-bar').waitFor({ state: 'hidden' });
  await overlay.locator('#pin').waitFor({ state: 'hidden' });
  assert.equal((await rest('GET', '/chat/pin', viewerToken())).json.data, null);
  // The message itself stays.
  await msg(alice, 'Setlist tonight').waitFor();
});

test('deleting the pinned message unpins it on every page', async () => {
  await say(alice, 'pin me and then delete me');
  const line = msg(bob, 'pin me and then delete me');
  await line.waitFor();
  await line.locator('.mod-open').click();
  await bob.click('#mod-menu [data-action=pin]');
  for (const page of [alice, carol]) await page.locator('#pin-bar .pin-text', { hasText: 'pin me and then delete me' }).waitFor();
  await overlay.locator('#pin .pin-text', { hasText: 'pin me and then delete me' }).waitFor();
  await line.locator('.mod-open').click();
  await bob.click('#mod-menu [data-action=delete]');
  for (const page of [alice, bob, carol]) {
    await msg(page, 'pin me and then delete me').waitFor({ state: 'detached' });
    await page.locator('#pin-bar').waitFor({ state: 'hidden' });
  }
  await overlay.locator('#pin').waitFor({ state: 'hidden' });
  assert.equal((await rest('GET', '/chat/pin', viewerToken())).json.data, null);
});

test('after a reconnect the pin is what the server holds: unpinned while the page was away → gone, pinned while away → shown', async () => {
  // Dave's chat WebSocket goes through Playwright, which can drop it and keep
  // refusing the page's reconnects for as long as `away` is true.
  dave = await openPage(browser, { size: 'desktop' });
  await useToken(dave, server.token(DAVE));
  let away = false;
  let current = null;
  await dave.routeWebSocket(/\/chat\/ws/, (ws) => {
    if (away) return ws.close({ code: 1000, reason: 'test: away' });
    ws.connectToServer();
    current = ws;
    return undefined;
  });
  const drop = async () => {
    away = true;
    await current.close({ code: 1000, reason: 'test: dropped' });
    await dave.waitForFunction(() => document.querySelector('#conn').dataset.state !== 'live');
  };
  const comeBack = async () => {
    await sleep(200);
    away = false;
    await dave.locator('#conn[data-state=live]').waitFor({ timeout: 20000 });
  };
  await openChat(dave);
  const first = await sendAcked(hostWs, 'pinned before the drop');
  assert.equal((await rest('POST', '/chat/pin', server.token(HOST), { message_id: first.data.id })).status, 200);
  await dave.locator('#pin-bar .pin-text', { hasText: 'pinned before the drop' }).waitFor();
  // Unpinned while Dave is away: no live event reaches him; the next history without a `pinned` clears the bar.
  await drop();
  assert.equal((await rest('DELETE', '/chat/pin', server.token(HOST))).status, 204);
  await comeBack();
  await dave.locator('#pin-bar').waitFor({ state: 'hidden' });
  // Pinned while he is away: the `pinned` after the history shows it.
  const second = await sendAcked(hostWs, 'pinned while Dave was away');
  await msg(dave, 'pinned while Dave was away').waitFor();
  await drop();
  assert.equal((await rest('POST', '/chat/pin', server.token(HOST), { message_id: second.data.id })).status, 200);
  await comeBack();
  await dave.locator('#pin-bar .pin-text', { hasText: 'pinned while Dave was away' }).waitFor();
  assert.equal(await msg(dave, 'pinned while Dave was away').count(), 1);
  assert.equal((await rest('DELETE', '/chat/pin', server.token(HOST))).status, 204);
  for (const page of [alice, bob, dave]) await page.locator('#pin-bar').waitFor({ state: 'hidden' });
});

test('a reply through ↩ is drawn with its parent quoted on every page; a deleted parent becomes "(deleted message)"', async () => {
  const question = 'Which song should Mina sing next? Tell me your favourite from the new album and why you like it!';
  await say(carol, question);
  const parent = msg(alice, 'Which song should Mina');
  await parent.waitFor();
  const parentId = await parent.getAttribute('data-id');
  await parent.locator('.reply-open').click();
  await alice.locator('#reply-bar').waitFor();
  assert.equal(await alice.textContent('#reply-name'), 'Carol');
  assert.match(await alice.textContent('#reply-bar .reply-what'), /^Replying to Carol: Which song should Mina sing next\?.*…$/);
  await shot(alice, 'reply-bar');
  // ✕ cancels; ↩ again.
  await alice.click('#reply-cancel');
  assert.equal(await alice.isHidden('#reply-bar'), true);
  await parent.locator('.reply-open').click();
  await say(alice, 'River! It was the first song I ever heard from you 🎶');
  assert.equal(await alice.isHidden('#reply-bar'), true);
  const expectedQuote = `↩ Carol: ${[...question].slice(0, 60).join('').trimEnd()}…`;
  for (const page of [alice, bob, carol]) {
    const reply = msg(page, 'River! It was the first song');
    await reply.waitFor();
    const quote = reply.locator('.reply-quote');
    assert.equal(await quote.getAttribute('data-reply-to'), parentId);
    assert.equal(await quote.locator('.quote-name').textContent(), 'Carol');
    assert.equal(await quote.textContent(), expectedQuote);
    assert.equal(await reply.locator('.text').textContent(), 'River! It was the first song I ever heard from you 🎶');
  }
  // The server stored it as a reply.
  const history = await rest('GET', '/chat/history', server.token(ALICE));
  const stored = history.json.messages.find((m) => m.content.startsWith('River!'));
  assert.equal(stored.reply_to, parentId);
  // A reply to a reply, and a user's HTML in a quote stays text.
  await sendAcked(hostWs, '<b>River</b> it is!', { reply_to: stored.id });
  const nested = msg(bob, 'it is!');
  await nested.waitFor();
  assert.equal(await nested.locator('.reply-quote').textContent(), '↩ Alice: River! It was the first song I ever heard from you 🎶');
  assert.equal(await bob.locator('#messages b').count(), 0);
  // The overlay quotes the parent too.
  const onOverlay = overlay.locator(`.msg[data-id="${stored.id}"] .reply-quote`);
  await onOverlay.locator('.quote-name').waitFor();
  assert.equal(await onOverlay.textContent(), expectedQuote);
  await alice.locator('#chat-input').blur();
  await shot(bob, 'reply-quote');
  await shot(alice, 'reply-quote');
  await shot(overlay, 'overlay-reply');
  // Bob deletes the parent: the quote says so on every page.
  await byId(bob, parentId).locator('.mod-open').click();
  await bob.click('#mod-menu [data-action=delete]');
  for (const page of [alice, bob, carol]) {
    await byId(page, parentId).waitFor({ state: 'detached' });
    const quote = byId(page, stored.id).locator('.reply-quote');
    await quote.locator('.quote-text', { hasText: '(deleted message)' }).waitFor();
    assert.equal(await quote.textContent(), '↩ (deleted message)');
  }
  await onOverlay.locator('.quote-text', { hasText: '(deleted message)' }).waitFor();
  // A page opened now has the reply but not its parent: it asks the server, which says it is gone.
  await carol.reload();
  await byId(carol, stored.id).locator('.reply-quote .quote-text', { hasText: '(deleted message)' }).waitFor();
  const gone = await rest('GET', `/chat/messages/${parentId}`, viewerToken());
  assert.equal(gone.status, 404, gone.text);
  assert.equal(gone.json.code, 'message_not_found');
});

test('the blocked terms panel: a moderator blocks a term, a viewer\'s full-width capitals are refused in words, removing it lets the text through', async () => {
  await openChat(host);
  await host.locator('body.can-moderate').waitFor();
  await bob.locator('body.can-moderate').waitFor();
  // Viewers have no panel.
  assert.equal(await alice.isVisible('#terms-open'), false);
  await bob.click('#terms-open');
  const panel = bob.locator('#terms-dialog');
  await panel.waitFor();
  await panel.locator('.terms-empty', { hasText: 'No blocked terms yet.' }).waitFor();
  await bob.fill('#terms-input', 'spoiler');
  await bob.click('#terms-add');
  await panel.locator('#terms-list li .term', { hasText: 'spoiler' }).waitFor();
  await panel.locator('#terms-status', { hasText: '“spoiler” is blocked.' }).waitFor();
  assert.equal(await bob.inputValue('#terms-input'), '');
  // Refusals in words: the same term again (another case), nothing typed.
  await bob.fill('#terms-input', 'SPOILER');
  await bob.click('#terms-add');
  await panel.locator('#terms-status[data-tone=error]', { hasText: '“SPOILER” is already blocked.' }).waitFor();
  await bob.fill('#terms-input', '   ');
  await bob.click('#terms-add');
  await panel.locator('#terms-status', { hasText: 'Type a word or phrase to block.' }).waitFor();
  await bob.fill('#terms-input', 'no photos');
  await bob.click('#terms-add');
  await panel.locator('#terms-list li .term', { hasText: 'no photos' }).waitFor();
  assert.deepEqual(await panel.locator('#terms-list li .term').allTextContents(), ['spoiler', 'no photos']);
  await shot(bob, 'blocked-terms');
  // The broadcaster sees the same list.
  await host.click('#terms-open');
  await host.locator('#terms-list li .term', { hasText: 'no photos' }).waitFor();
  assert.deepEqual(await host.locator('#terms-list li .term').allTextContents(), ['spoiler', 'no photos']);
  await shot(host, 'blocked-terms');
  await host.click('#terms-close');
  await bob.click('#terms-close');
  assert.equal(await bob.isHidden('#terms-dialog'), true);

  // A viewer writes the term in full-width capitals: refused in words, shown nowhere.
  const blocked = 'No ＳＰＯＩＬＥＲＳ for the encore please';
  await say(alice, blocked);
  const status = alice.locator('#composer-status[data-code=blocked_term]');
  await status.waitFor();
  assert.equal(await status.textContent(), 'Your message contains a word that is blocked in this chat.');
  await alice.locator('#chat-input').blur();
  await shot(alice, 'blocked-term-refused');
  // Moderators are exempt.
  await say(bob, 'spoiler from a mod: the encore is River');
  await msg(alice, 'spoiler from a mod').waitFor();
  await say(alice, 'ok, I will wait for the encore');
  await msg(bob, 'I will wait for the encore').waitFor();
  for (const page of [alice, bob]) assert.equal(await msg(page, 'ＳＰＯＩＬＥＲＳ').count(), 0);
  assert.equal(await alice.locator('#pending li').count(), 0);

  // Bob removes the term; the same text then goes through.
  await bob.click('#terms-open');
  const item = panel.locator('#terms-list li', { hasText: 'spoiler' });
  await item.waitFor();
  await item.locator('.term-remove').click();
  await item.waitFor({ state: 'detached' });
  await panel.locator('#terms-status', { hasText: '“spoiler” is no longer blocked.' }).waitFor();
  assert.deepEqual(await panel.locator('#terms-list li .term').allTextContents(), ['no photos']);
  await bob.click('#terms-close');
  await say(alice, blocked);
  for (const page of [alice, bob]) await msg(page, 'ＳＰＯＩＬＥＲＳ').waitFor();
  assert.equal(await alice.isHidden('#composer-status'), true);
  const terms = await rest('GET', '/chat/blocked-terms', server.token(HOST));
  assert.deepEqual(terms.json.data.map((t) => t.term), ['no photos']);
});

test('a reply whose parent is older than the history: the page fetches the parent once', async () => {
  const old = await sendAcked(hostWs, 'An old announcement: merch table opens at the break');
  for (let i = 1; i <= 50; i++) await sendAcked(hostWs, `filler ${i}`);
  await sendAcked(hostWs, 'reply one', { reply_to: old.data.id });
  await sendAcked(hostWs, 'reply two', { reply_to: old.data.id });
  const fetched = [];
  carol.on('request', (r) => { if (r.url().includes('/chat/messages/')) fetched.push(r.url()); });
  await carol.reload();
  await carol.locator('#conn[data-state=live]').waitFor();
  for (const text of ['reply one', 'reply two']) {
    const quote = msg(carol, text).locator('.reply-quote');
    await quote.locator('.quote-name').waitFor();
    assert.equal(await quote.textContent(), '↩ Mina: An old announcement: merch table opens at the break');
  }
  assert.equal(await msg(carol, 'merch table').count(), 2, 'the parent itself is not in the list, only quoted');
  assert.deepEqual(fetched, [`${server.url}/api/v1/streams/${stream.room_id}/chat/messages/${old.data.id}`]);
});

test('no page is wider than its screen or logged an error', async () => {
  for (const page of [bob, alice, host, carol]) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  }
  for (const page of [bob, alice, host, overlay, carol, dave]) assertNoConsoleErrors(page);
  hostWs.close();
});
