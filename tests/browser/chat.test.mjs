// The chat page /s/{room_id} in real Chromium: two people chat, a gift shows
// on both pages with its stars, badges and 💎Lv.N beside names, HTML in a
// message stays text, refusals are shown in words, and a moderator deletes a
// message and times a user out from the message menu.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, createStream, joinChat, sendAcked, startServer } from '../integration/lib/server.mjs';
import { assertNoConsoleErrors, chatTexts, launch, openPage, pickName, shot } from './lib/browser.mjs';

let server, stream, host, alice, bob, hostWs;
const HOST = { sub: 'host-aiko', username: 'aiko', display_name: 'Aiko', level: 50, premium: true, badges: ['verified'] };
const msg = (page, text) => page.locator('#messages .msg', { hasText: text });

before(async () => {
  server = await startServer({ args: ['--dev', '--viewer-count-interval-ms', '200'] });
  stream = await createStream(server, HOST, {
    title: 'Karaoke night', room_name: 'Aiko room', member: { name: 'Aiko', nickname: 'aiko', team: 'Team K' },
  });
  // Bob is a moderator before he ever logs in (his dev login name "Bob" is user id "bob").
  const granted = await api(server, 'POST', `/api/v1/streams/${stream.room_id}/moderators`,
    { token: server.token(HOST), body: { user_id: 'bob', badge_type: 'moderator' } });
  assert.equal(granted.status, 201, granted.text);
  const browser = await launch();
  alice = await openPage(browser, { size: 'desktop' });
  bob = await openPage(browser, { size: 'phone' });
});

test('logged out, the page asks for a name; the dev login gives one and the chat opens', async () => {
  await alice.goto(`${server.url}/s/${stream.room_id}`);
  await alice.locator('#stream-title', { hasText: 'Karaoke night' }).waitFor();
  await alice.locator('#chat-notice', { hasText: 'Pick a name' }).waitFor();
  await alice.click('#login-button');
  await alice.fill('#login-name', 'Alice');
  await shot(alice, 'login');
  await alice.click('#login-dialog button[type=submit]');
  await alice.locator('.me', { hasText: 'Alice' }).waitFor();
  await alice.locator('#conn[data-state=live]').waitFor();
  await bob.goto(`${server.url}/s/${stream.room_id}`);
  await pickName(bob, 'Bob');
  await bob.locator('#conn[data-state=live]').waitFor();
  assert.equal(await alice.isEnabled('#chat-input'), true);
});

test('two pages chat with each other; history shows on open; badges, 💎 and level beside names', async () => {
  hostWs = await joinChat(server, stream.id, server.token(HOST));
  await alice.fill('#chat-input', 'hello from alice');
  await alice.press('#chat-input', 'Enter');
  await msg(bob, 'hello from alice').waitFor();
  await bob.fill('#chat-input', 'hi alice, bob here');
  await bob.click('#send');
  await msg(alice, 'hi alice, bob here').waitFor();
  await sendAcked(hostWs, 'welcome everyone 🎤');
  const hostLine = msg(alice, 'welcome everyone');
  await hostLine.waitFor();
  assert.equal(await hostLine.locator('.rank').textContent(), '💎Lv.50');
  assert.equal(await hostLine.locator('.name').textContent(), 'Aiko');
  assert.deepEqual(await hostLine.locator('.badge').allTextContents(), ['Host', '✓']);
  assert.deepEqual(await msg(alice, 'bob here').locator('.badge').allTextContents(), ['Mod']);
  assert.equal(await msg(alice, 'hello from alice').locator('.rank').textContent(), 'Lv.0');
  // Each message exactly once, in order, on both pages.
  const expected = ['hello from alice', 'hi alice, bob here', 'welcome everyone 🎤'];
  assert.deepEqual(await chatTexts(alice), expected);
  assert.deepEqual(await chatTexts(bob), expected);
  // The viewer count: Alice, Bob and the host's socket.
  await alice.locator('#viewers', { hasText: '3 watching' }).waitFor();
  // A page opened now gets the history.
  await bob.reload();
  await msg(bob, 'welcome everyone').waitFor();
  assert.deepEqual(await chatTexts(bob), expected);
});

test('a gift picked in the picker shows on both pages as a gift with its stars', async () => {
  await alice.click('#gift-toggle');
  await alice.locator('.gift-choice', { hasText: 'Star' }).first().waitFor();
  await alice.click('.gift-choice[data-gift=star]');
  await alice.fill('#gift-qty', '5');
  assert.equal(await alice.textContent('#gift-send'), 'Send 5× Star (50 stars)');
  await shot(alice, 'chat-gift-picker');
  await alice.click('#gift-send');
  for (const page of [alice, bob]) {
    const gift = page.locator('#messages .msg-gift', { hasText: 'sent 5× Star' });
    await gift.waitFor();
    assert.equal(await gift.locator('.stars').textContent(), '⭐ 50 stars');
    assert.equal(await gift.locator('.gift-icon').textContent(), '🌟');
    assert.equal(await gift.locator('.name').textContent(), 'Alice');
  }
  assert.equal(await alice.isHidden('#gift-picker'), true);
});

test('a message with HTML or a script shows as text and runs nothing', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const evil2 = '<script>window.__pwned = 1</script><b>bold?</b>';
  await alice.fill('#chat-input', evil);
  await alice.press('#chat-input', 'Enter');
  await alice.fill('#chat-input', evil2);
  await alice.press('#chat-input', 'Enter');
  for (const page of [alice, bob]) {
    await msg(page, evil2).waitFor();
    const texts = await chatTexts(page);
    assert.ok(texts.includes(evil), `the exact text is shown: ${JSON.stringify(texts)}`);
    assert.ok(texts.includes(evil2));
    assert.equal(await page.locator('#messages img, #messages script, #messages b').count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  }
  // A display name with HTML is text too.
  await sendAcked(await joinChat(server, stream.id, server.token({ sub: 'mallory', display_name: '<i>Mallory</i>' })), 'hey');
  const line = msg(bob, 'hey');
  await line.waitFor();
  assert.equal(await line.locator('.name').textContent(), '<i>Mallory</i>');
  assert.equal(await bob.locator('#messages i').count(), 0);
});

test('refusals are shown in words: slow mode', async () => {
  const res = await api(server, 'PATCH', `/api/v1/streams/${stream.room_id}/chat/settings`,
    { token: server.token(HOST), body: { slow_mode_seconds: 30 } });
  assert.equal(res.status, 200, res.text);
  await msg(alice, 'Slow mode is on').waitFor();  // the moderation notice
  await alice.fill('#chat-input', 'first under slow mode');
  await alice.press('#chat-input', 'Enter');
  await msg(alice, 'first under slow mode').waitFor();
  await alice.fill('#chat-input', 'second too soon');
  await alice.press('#chat-input', 'Enter');
  const status = alice.locator('#composer-status[data-code=slow_mode]');
  await status.waitFor();
  assert.match(await status.textContent(), /^Slow mode is on: you can send again in \d+ s\.$/);
  assert.equal(await msg(bob, 'second too soon').count(), 0);
  await api(server, 'PATCH', `/api/v1/streams/${stream.room_id}/chat/settings`,
    { token: server.token(HOST), body: { slow_mode_seconds: 0 } });
});

test('a moderator deletes a message from its menu and it disappears from the other page', async () => {
  await alice.fill('#chat-input', 'delete me please');
  await alice.press('#chat-input', 'Enter');
  const line = msg(bob, 'delete me please');
  await line.waitFor();
  await msg(alice, 'delete me please').waitFor();
  // Alice is no moderator: no menu on her page.
  assert.equal(await alice.locator('body.can-moderate').count(), 0);
  await bob.locator('body.can-moderate').waitFor();
  await line.locator('.mod-open').click();
  await bob.locator('#mod-menu').waitFor();
  assert.equal(await bob.textContent('#mod-menu-who'), 'Alice');
  await shot(bob, 'chat-mod-menu');
  await bob.click('#mod-menu [data-action=delete]');
  await msg(alice, 'delete me please').waitFor({ state: 'detached' });
  await line.waitFor({ state: 'detached' });
  await bob.locator('#composer-status', { hasText: 'Message deleted.' }).waitFor();
});

test('a moderator times a user out; the user is told in words when sending', async () => {
  await msg(bob, 'first under slow mode').locator('.mod-open').click();
  await bob.click('#mod-menu [data-action=timeout]');
  await msg(alice, 'Alice was timed out').waitFor();
  await alice.fill('#chat-input', 'can I still talk?');
  await alice.press('#chat-input', 'Enter');
  const status = alice.locator('#composer-status[data-code=timed_out]');
  await status.waitFor();
  assert.match(await status.textContent(), /^You are timed out in this chat for \d+ min \d+ s more\.$/);
  const lifted = await api(server, 'DELETE', `/api/v1/streams/${stream.room_id}/timeouts/alice`, { token: server.token(HOST) });
  assert.equal(lifted.status, 204, lifted.text);
});

test('a ban from the menu takes a second click, then bans', async () => {
  await msg(bob, 'hey').locator('.mod-open').click();
  await bob.click('#mod-menu [data-action=ban]');
  assert.equal(await bob.textContent('#mod-menu [data-action=ban]'), 'Click again to ban <i>Mallory</i>');
  assert.equal(await bob.isVisible('#mod-menu'), true);
  await bob.click('#mod-menu [data-action=ban]');
  await msg(alice, 'was banned by Bob').waitFor();
  const bans = await api(server, 'GET', `/api/v1/streams/${stream.room_id}/bans`, { token: server.token(HOST) });
  assert.deepEqual(bans.json.bans.map((b) => b.user_id), ['mallory']);
});

test('screenshots of the chat at 1280×800 and 390×844; no console errors', async () => {
  await alice.fill('#chat-input', 'A longer message to see how the text wraps in the chat column when people write whole sentences.');
  await alice.press('#chat-input', 'Enter');
  await msg(bob, 'whole sentences').waitFor();
  await alice.locator('#chat-input').blur();
  await shot(alice, 'chat');
  await shot(bob, 'chat');
  for (const page of [alice, bob]) {
    // The page fits the screen: nothing wider than the viewport.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    assertNoConsoleErrors(page);
  }
  hostWs.close();
});

test('Chromium offers permessage-deflate and the pages\' chat sockets use it (the same messages, fewer bytes)', async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const sessions = Number(text.match(/^sorak_ws_deflate_sessions_total (\S+)$/m)[1]);
  assert.ok(sessions >= 2, `both pages negotiated it (sorak_ws_deflate_sessions_total ${sessions})`);
  const frames = Number(text.match(/^sorak_ws_compressed_frames_total (\S+)$/m)[1]);
  assert.ok(frames > 0, 'and got deflated event frames');
});
