// Polls (CONTRACT §12) on the chat page /s/{room_id} and the overlay, in real Chromium:
// - a moderator opens "📊 Poll", fills the form (question, options added and
//   removed, a duration) and creates the poll; the form says in words what is
//   wrong (no question, an empty option, a poll already open: 409 poll_open);
//   viewers have no such button;
// - the card shows on every chat page and the overlay; two viewers vote by
//   clicking an option, a third user votes over a WebSocket from Node; every
//   page and the overlay show the same counts, percentages and bar widths;
// - after voting a page shows results only with the voter's choice marked, and
//   a reload remembers it; the same viewer voting again from another tab is
//   refused by the server (already_voted) and the page says so; a page opened
//   afterwards shows the open poll with its counts;
// - "End poll" closes it early: "Final result" with the winner on every page;
//   a closed card can be dismissed; a vote then is refused (poll_closed);
// - a page whose WebSocket is dropped while the poll is ended shows, once
//   back, the final result (it reads the poll again after the reconnect);
// - a 10 s poll closes at its deadline on every page; the overlay keeps the
//   final result about 15 s, then takes it down.
// Screenshots at 1280×800 and 390×844: the form, the open card with bars, the
// refusal, the final result (chat page and overlay).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, createStream, joinChat, sleep, startServer } from '../integration/lib/server.mjs';
import { SIZES, assertNoConsoleErrors, launch, openPage, shot, useToken } from './lib/browser.mjs';

const HOST = { sub: 'host-mina', username: 'mina', display_name: 'Mina', level: 30, premium: true };
const BOB = { sub: 'bob', username: 'bob', display_name: 'Bob', level: 12 };          // a moderator
const ALICE = { sub: 'alice', username: 'alice', display_name: 'Alice', level: 7 };
const CAROL = { sub: 'carol', username: 'carol', display_name: 'Carol', level: 3 };
const DAVE = { sub: 'dave', username: 'dave', display_name: 'Dave' };
const ERIN = { sub: 'erin', username: 'erin', display_name: 'Erin' };                 // votes from Node
const OBS = { sub: 'obs', username: 'obs', display_name: 'OBS' };

// Expected in Bob's console: the 409 of a second poll while one is open.
const REFUSED_409 = /Failed to load resource: the server responded with a status of 409/;

const QUESTION = 'Which song should Mina sing for the encore?';
const CHOICES = ['River', 'Heavy Rotation', 'Koisuru Fortune Cookie'];

let server, stream, browser, erinWs;
let bob, alice, carol, host, overlay, alice2, dave;  // bob, carol, dave, overlay 1280×800; alice, alice2, host 390×844
let pollId;
const rest = (method, path, token, body) => api(server, method, `/api/v1/streams/${stream.room_id}${path}`, { token, body });
const chatUrl = () => `${server.url}/s/${stream.room_id}`;
const overlayUrl = () => `${server.url}/overlay/${stream.room_id}?token=${server.token(OBS)}&fade=0`;
const card = (page) => page.locator(page === overlay ? '#poll' : '#poll-card');
const option = (page, text) => card(page).locator('.poll-option', { hasText: text });

let viewerSeq = 0;
function freshViewer() {
  viewerSeq++;
  return { sub: `late-${viewerSeq}`, username: `late${viewerSeq}`, display_name: `Late ${viewerSeq}` };
}

async function openChat(page) {
  await page.goto(chatUrl());
  await page.locator('#conn[data-state=live]').waitFor();
}

// What a card shows: per option its text, count, percentage, the bar's width
// (style, in %) and the width it is drawn at (% of its row), winner and mine.
function readCard(page) {
  return card(page).evaluate((root) => ({
    status: root.dataset.status,
    label: root.querySelector('.poll-label').textContent,
    question: root.querySelector('.poll-question').textContent,
    total: root.querySelector('.poll-total').textContent,
    note: root.querySelector('.poll-note').textContent,
    options: [...root.querySelectorAll('.poll-option')].map((li) => {
      const fill = li.querySelector('.poll-fill');
      const row = li.querySelector('.poll-row');
      return {
        text: li.querySelector('.poll-text').textContent,
        votes: li.querySelector('.poll-votes').textContent,
        pct: li.querySelector('.poll-pct').textContent,
        width: fill.style.width,
        drawn: (fill.getBoundingClientRect().width / row.clientWidth) * 100,
        winner: li.hasAttribute('data-winner'),
        mine: li.hasAttribute('data-mine'),
        disabled: row.tagName === 'BUTTON' ? row.disabled : null,
      };
    }),
  }));
}

// Waits until the card shows these counts, then for the bars to finish
// growing; checks counts, percentages and widths.
async function expectCounts(page, counts, { status = 'open' } = {}) {
  const total = counts.reduce((a, b) => a + b, 0);
  const root = page === overlay ? '#poll' : '#poll-card';
  await page.waitForFunction(({ root, counts, status }) => {
    const el = document.querySelector(root);
    if (!el || el.hidden || el.dataset.status !== status) return false;
    const shown = [...el.querySelectorAll('.poll-votes')].map((v) => Number(v.textContent));
    return shown.length === counts.length && shown.every((n, i) => n === counts[i]);
  }, { root, counts, status }, { timeout: 10000 });
  await sleep(800);  // the bars' width transition (600 ms)
  const got = await readCard(page);
  assert.equal(got.total, `${total} ${total === 1 ? 'vote' : 'votes'}`);
  got.options.forEach((o, i) => {
    const share = total ? (counts[i] * 100) / total : 0;
    assert.equal(o.votes, String(counts[i]));
    assert.equal(o.pct, `${Math.round(share)}%`);
    assert.ok(Math.abs(parseFloat(o.width) - share) < 0.01, `option ${i}: bar width ${o.width}, share ${share}`);
    assert.ok(Math.abs(o.drawn - share) < 2, `option ${i}: drawn at ${o.drawn.toFixed(1)}% of its row, share ${share.toFixed(1)}%`);
  });
  return got;
}

before(async () => {
  server = await startServer({ args: ['--dev', '--viewer-count-interval-ms', '200'] });
  stream = await createStream(server, HOST, { title: 'Acoustic evening', room_name: 'Mina room' });
  const granted = await rest('POST', '/moderators', server.token(HOST), { user_id: 'bob', badge_type: 'moderator' });
  assert.equal(granted.status, 201, granted.text);
  browser = await launch();
  bob = await openPage(browser, { size: 'desktop', ignore: [REFUSED_409] });
  alice = await openPage(browser, { size: 'phone' });
  carol = await openPage(browser, { size: 'desktop' });
  host = await openPage(browser, { size: 'phone' });
  overlay = await openPage(browser, { size: 'desktop' });
  await useToken(bob, server.token(BOB));
  await useToken(alice, server.token(ALICE));
  await useToken(carol, server.token(CAROL));
  await useToken(host, server.token(HOST));
  erinWs = await joinChat(server, stream.id, server.token(ERIN));
  await Promise.all([openChat(bob), openChat(alice), openChat(carol), openChat(host), overlay.goto(overlayUrl())]);
  // A few lines of chat under the card, as in a real stream.
  for (const [page, text] of [[carol, 'good evening from Osaka 🌙'], [alice, 'that last song was so good'], [bob, 'welcome all, be nice ✨']]) {
    await page.fill('#chat-input', text);
    await page.press('#chat-input', 'Enter');
    await page.locator('#messages .msg', { hasText: text }).waitFor();
  }
});

test('the poll form: moderators only, refusals in words, a poll created from it shows on every page and the overlay', async () => {
  await bob.locator('body.can-moderate').waitFor();
  await host.locator('body.can-moderate').waitFor();
  assert.equal(await alice.isVisible('#poll-open'), false, 'a viewer has no poll button');
  assert.equal(await bob.isVisible('#poll-open'), true);
  await bob.click('#poll-open');
  const form = bob.locator('#poll-dialog');
  await form.waitFor();
  const inputs = form.locator('#poll-choices input');
  assert.equal(await inputs.count(), 2, 'two options to start with');
  assert.equal(await form.locator('.poll-choice-remove').first().isDisabled(), true, 'no fewer than two');
  // Add up to five, then the add button stops; remove back down.
  for (let n = 3; n <= 5; n++) {
    await bob.click('#poll-add-choice');
    assert.equal(await inputs.count(), n);
  }
  assert.equal(await bob.isDisabled('#poll-add-choice'), true, 'no more than five');
  await form.locator('#poll-choices li').nth(4).locator('.poll-choice-remove').click();
  await form.locator('#poll-choices li').nth(3).locator('.poll-choice-remove').click();
  assert.equal(await inputs.count(), 3);
  assert.equal(await bob.isEnabled('#poll-add-choice'), true);
  // Refusals in words, before anything is sent.
  await bob.click('#poll-create');
  await form.locator('#poll-form-status[data-tone=error]', { hasText: 'Write a question.' }).waitFor();
  await bob.fill('#poll-question', QUESTION);
  await inputs.nth(0).fill(CHOICES[0]);
  await inputs.nth(1).fill(CHOICES[1]);
  await bob.click('#poll-create');
  await form.locator('#poll-form-status', { hasText: 'Fill in every option, or remove the empty ones.' }).waitFor();
  await inputs.nth(2).fill(CHOICES[2]);
  assert.equal(await bob.isHidden('#poll-form-status'), true, 'the mistake is taken back once the form is edited');
  await bob.selectOption('#poll-duration', '120');
  assert.deepEqual(await form.locator('#poll-duration option').allTextContents(), ['30 s', '1 min', '2 min', '5 min', '10 min']);
  await shot(bob, 'poll-form');
  // The broadcaster's form on a phone.
  await host.click('#poll-open');
  await host.locator('#poll-dialog').waitFor();
  await host.fill('#poll-question', 'Snack break now or after the next song?');
  await host.locator('#poll-choices input').nth(0).fill('Now');
  await host.locator('#poll-choices input').nth(1).fill('After the next song');
  await host.click('#poll-add-choice');
  await host.locator('#poll-choices input').nth(2).fill('No break!');
  await shot(host, 'poll-form');
  await host.click('#poll-close');
  await host.locator('#poll-dialog').waitFor({ state: 'hidden' });

  await bob.click('#poll-create');
  await form.waitFor({ state: 'hidden' });
  for (const page of [bob, alice, carol, host, overlay]) {
    await card(page).locator('.poll-question', { hasText: QUESTION }).waitFor();
    const got = await readCard(page);
    assert.equal(got.status, 'open');
    assert.equal(got.label, 'Poll');
    assert.deepEqual(got.options.map((o) => o.text), CHOICES);
    assert.equal(got.total, '0 votes');
    assert.match(await card(page).locator('.poll-time').textContent(), /^[12]:\d\d left$/);
  }
  pollId = await card(alice).getAttribute('data-poll-id');
  // The server holds what the form sent.
  const got = await rest('GET', `/polls/${pollId}`, server.token(ALICE));
  assert.equal(got.status, 200, got.text);
  const poll = got.json.data;
  assert.equal(poll.question, QUESTION);
  assert.deepEqual(poll.options, CHOICES.map((text) => ({ text, votes: 0 })));
  assert.equal(poll.status, 'open');
  assert.equal(poll.total_votes, 0);
  assert.equal(Date.parse(poll.ends_at) - Date.parse(poll.created_at), 120000);
  // Viewers may vote, only staff may end it.
  assert.equal(await option(alice, 'River').locator('.poll-row').isEnabled(), true);
  assert.equal(await card(alice).locator('.poll-note').textContent(), 'Pick an option to vote.');
  assert.equal(await card(alice).locator('.poll-end').isVisible(), false);
  assert.equal(await card(bob).locator('.poll-end').isVisible(), true);
  assert.equal(await overlay.locator('#poll .poll-row').first().evaluate((e) => e.tagName), 'DIV', 'no voting on the overlay');
  // A second poll while this one is open: refused in words.
  await bob.click('#poll-open');
  await bob.fill('#poll-question', 'Another one?');
  await inputs.nth(0).fill('Yes');
  await inputs.nth(1).fill('No');
  await bob.click('#poll-create');
  await form.locator('#poll-form-status[data-code=poll_open]',
    { hasText: 'A poll is already open in this chat. End it before starting another.' }).waitFor();
  await bob.click('#poll-close');
});

test('two viewers vote by clicking, a third over a WebSocket: the same counts, percentages and bars on every page and the overlay', async () => {
  await option(alice, 'River').locator('.poll-row').click();
  await option(carol, 'Heavy Rotation').locator('.poll-row').click();
  // Erin votes from Node: the answer goes to her alone.
  erinWs.send({ type: 'vote', poll_id: pollId, option: 0 });
  const voted = await erinWs.next('voted');
  assert.deepEqual(voted.data, { poll_id: pollId, option: 0 });
  for (const page of [alice, carol, bob, host, overlay]) await expectCounts(page, [2, 1, 0]);
  // The voter's choice is marked and the card shows results only.
  const mine = await readCard(alice);
  assert.deepEqual(mine.options.map((o) => o.mine), [true, false, false]);
  assert.deepEqual(mine.options.map((o) => o.disabled), [true, true, true], 'no second click');
  assert.equal(mine.note, 'You voted for “River”.');
  assert.deepEqual((await readCard(carol)).options.map((o) => o.mine), [false, true, false]);
  assert.equal((await readCard(bob)).note, 'Pick an option to vote.', 'Bob has not voted');
  // The server counts the same.
  const poll = (await rest('GET', `/polls/${pollId}`, server.token(ALICE))).json.data;
  assert.deepEqual(poll.options.map((o) => o.votes), [2, 1, 0]);
  assert.equal(poll.total_votes, 3);
  // Erin again; someone else with an option that does not exist.
  erinWs.send({ type: 'vote', poll_id: pollId, option: 1 });
  assert.equal((await erinWs.next('error')).code, 'already_voted');
  const other = await joinChat(server, stream.id, server.token(freshViewer()));
  other.send({ type: 'vote', poll_id: pollId, option: 3 });
  assert.equal((await other.next('error')).code, 'invalid_option');
  other.close();
  // With a pinned message the card sits under the pin bar (on the overlay too).
  const pinned = (await rest('GET', '/chat/history', server.token(ALICE))).json.messages.find((m) => m.content.startsWith('welcome all'));
  assert.equal((await rest('POST', '/chat/pin', server.token(HOST), { message_id: pinned.id })).status, 200);
  for (const [page, bar] of [[alice, '#pin-bar'], [bob, '#pin-bar'], [overlay, '#pin']]) {
    await page.locator(bar).waitFor();
    await sleep(100);
    const [pin, box, first] = [await page.locator(bar).boundingBox(), await card(page).boundingBox(),
      await page.locator(page === overlay ? '#lines .msg' : '#messages .msg').first().boundingBox()];
    assert.ok(pin.y + pin.height <= box.y && box.y + box.height <= first.y,
      `pin ${JSON.stringify(pin)}, card ${JSON.stringify(box)}, first line ${JSON.stringify(first)}`);
  }
  await alice.locator('#chat-input').blur();
  await shot(alice, 'poll-open');
  await shot(bob, 'poll-open');
  await shot(overlay, 'overlay-poll');
  await overlay.setViewportSize(SIZES.phone);
  await sleep(300);
  const narrow = await card(overlay).boundingBox();
  assert.ok(narrow.x >= 0 && narrow.x + narrow.width <= SIZES.phone.width, `the overlay's card ${JSON.stringify(narrow)} leaves a 390 px screen`);
  await shot(overlay, 'overlay-poll');
  await overlay.setViewportSize(SIZES.desktop);
});

test('the same viewer from another tab is refused (already_voted) and told so; a reload and a page opened later show the poll and its counts', async () => {
  // A second tab for Alice: a fresh browser context, so this page has no memory of her vote.
  alice2 = await openPage(browser, { size: 'phone' });
  await useToken(alice2, server.token(ALICE));
  await openChat(alice2);
  await expectCounts(alice2, [2, 1, 0]);
  const row = option(alice2, 'Koisuru').locator('.poll-row');
  assert.equal(await row.isEnabled(), true, 'this page does not know Alice voted');
  await row.click();
  const status = card(alice2).locator('.poll-status[data-code=already_voted]');
  await status.waitFor();
  assert.equal(await status.textContent(), 'You have already voted in this poll.');
  const after = await readCard(alice2);
  assert.deepEqual(after.options.map((o) => o.disabled), [true, true, true], 'results only from now on');
  assert.equal(after.note, 'You have voted.');
  await shot(alice2, 'poll-already-voted');
  // Nothing changed anywhere.
  await sleep(700);
  for (const page of [alice2, bob, overlay]) await expectCounts(page, [2, 1, 0]);
  // Alice's first tab, reloaded, remembers her choice.
  await alice.reload();
  await alice.locator('#conn[data-state=live]').waitFor();
  const again = await expectCounts(alice, [2, 1, 0]);
  assert.deepEqual(again.options.map((o) => o.mine), [true, false, false]);
  assert.equal(again.note, 'You voted for “River”.');
  // Dave opens the page now: the open poll arrives with its counts, and he may vote.
  dave = await openPage(browser, { size: 'desktop' });
  await useToken(dave, server.token(DAVE));
  await openChat(dave);
  const seen = await expectCounts(dave, [2, 1, 0]);
  assert.equal(seen.question, QUESTION);
  assert.deepEqual(seen.options.map((o) => o.disabled), [false, false, false]);
  // So does a new overlay.
  await overlay.reload();
  await expectCounts(overlay, [2, 1, 0]);
  // On the wire: a new connection gets the open poll after its history and pin.
  const late = await joinChat(server, stream.id, server.token(freshViewer()));
  const ev = await late.next('poll');
  const order = late.events.map((e) => e.type).filter((t) => ['history', 'pinned', 'poll'].includes(t));
  assert.deepEqual(order, ['history', 'pinned', 'poll']);
  assert.equal(ev.data.id, pollId);
  assert.deepEqual(ev.data.options.map((o) => o.votes), [2, 1, 0]);
  late.close();
});

test('"End poll" closes it early: "Final result" and the winner on every page; a vote then is refused; the card can be dismissed', async () => {
  await card(bob).locator('.poll-end').click();
  for (const page of [bob, alice, alice2, carol, dave, host, overlay]) {
    const got = await expectCounts(page, [2, 1, 0], { status: 'closed' });
    assert.equal(got.label, 'Final result');
    assert.deepEqual(got.options.map((o) => o.winner), [true, false, false]);
    assert.equal(got.note, 'River wins with 2 of 3 votes (67%).');
    assert.equal(await card(page).locator('.poll-time').textContent(), 'Closed');
  }
  assert.equal(await card(bob).locator('.poll-end').isVisible(), false);
  assert.deepEqual((await readCard(dave)).options.map((o) => o.disabled), [true, true, true]);
  const closed = (await rest('GET', `/polls/${pollId}`, server.token(ALICE))).json.data;
  assert.equal(closed.status, 'closed');
  assert.ok(closed.closed_at && Date.parse(closed.closed_at) < Date.parse(closed.ends_at), JSON.stringify(closed));
  const list = await rest('GET', '/polls', server.token(ALICE));
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.data.map((p) => p.id), [pollId]);
  // A vote now.
  const late = await joinChat(server, stream.id, server.token(freshViewer()));
  late.send({ type: 'vote', poll_id: pollId, option: 2 });
  assert.equal((await late.next('error')).code, 'poll_closed');
  late.close();
  await alice.locator('#chat-input').blur();
  await shot(alice, 'poll-final');
  await shot(bob, 'poll-final');
  await shot(overlay, 'overlay-poll-final');
  // Dismissed on Alice's page only.
  assert.equal(await card(alice).locator('.poll-dismiss').isVisible(), true);
  await card(alice).locator('.poll-dismiss').click();
  await card(alice).waitFor({ state: 'hidden' });
  assert.equal(await card(bob).isVisible(), true);
});

test('a poll ended while a page was away shows, once back, as the server holds it: "Final result"', async () => {
  // Frank's chat WebSocket goes through Playwright, which drops it and refuses
  // the page's reconnects while `away` is true.
  const frank = await openPage(browser, { size: 'desktop' });
  await useToken(frank, server.token({ sub: 'frank', username: 'frank', display_name: 'Frank' }));
  let away = false;
  let current = null;
  await frank.routeWebSocket(/\/chat\/ws/, (ws) => {
    if (away) return ws.close({ code: 1000, reason: 'test: away' });
    ws.connectToServer();
    current = ws;
    return undefined;
  });
  await openChat(frank);
  const created = await rest('POST', '/polls', server.token(HOST), { question: 'Encore in English or Japanese?', options: ['English', 'Japanese'], duration_seconds: 60 });
  assert.equal(created.status, 201, created.text);
  await expectCounts(frank, [0, 0]);
  away = true;
  await current.close({ code: 1000, reason: 'test: dropped' });
  await frank.waitForFunction(() => document.querySelector('#conn').dataset.state !== 'live');
  const closed = await rest('POST', `/polls/${created.json.data.id}/close`, server.token(HOST));
  assert.equal(closed.status, 200, closed.text);
  assert.equal(closed.json.data.status, 'closed');
  // Closing it again: 409 poll_closed.
  const again = await rest('POST', `/polls/${created.json.data.id}/close`, server.token(HOST));
  assert.equal(again.status, 409, again.text);
  assert.equal(again.json.code, 'poll_closed');
  assert.equal((await readCard(frank)).status, 'open', 'the page missed the close');
  await sleep(200);
  away = false;
  await frank.locator('#conn[data-state=live]').waitFor({ timeout: 20000 });
  const got = await expectCounts(frank, [0, 0], { status: 'closed' });
  assert.equal(got.label, 'Final result');
  assert.equal(got.note, 'No votes.');
  assertNoConsoleErrors(frank);
  await frank.context().close();
});

test('a 10 s poll closes at its deadline on every page; the overlay keeps the final result about 15 s', async () => {
  const created = await rest('POST', '/polls', server.token(HOST), { question: 'One more song?', options: ['Yes', 'No'], duration_seconds: 10 });
  assert.equal(created.status, 201, created.text);
  const poll = created.json.data;
  const endsAt = Date.parse(poll.ends_at);
  for (const page of [alice, carol, dave, bob, overlay]) await card(page).locator('.poll-question', { hasText: 'One more song?' }).waitFor();
  // The last poll's final result gave way to the new one.
  assert.equal((await readCard(bob)).status, 'open');
  await option(alice, 'Yes').locator('.poll-row').click();
  await option(carol, 'Yes').locator('.poll-row').click();
  await option(dave, 'No').locator('.poll-row').click();
  for (const page of [alice, carol, dave, bob, overlay]) await expectCounts(page, [2, 1]);
  await shot(carol, 'poll-voted');
  // The deadline.
  await overlay.locator('#poll[data-status=closed]').waitFor({ timeout: Math.max(0, endsAt - Date.now()) + 5000 });
  const closedSeen = Date.now();
  assert.ok(closedSeen >= endsAt - 500, `closed ${endsAt - closedSeen} ms before its deadline`);
  for (const page of [alice, carol, dave, bob, host, alice2]) {
    const got = await expectCounts(page, [2, 1], { status: 'closed' });
    assert.equal(got.label, 'Final result');
    assert.deepEqual(got.options.map((o) => o.winner), [true, false]);
    assert.equal(got.note, 'Yes wins with 2 of 3 votes (67%).');
  }
  const final = (await rest('GET', `/polls/${poll.id}`, server.token(ALICE))).json.data;
  assert.equal(final.status, 'closed');
  assert.deepEqual(final.options.map((o) => o.votes), [2, 1]);
  await alice.locator('#chat-input').blur();
  await shot(alice, 'poll-deadline');
  await shot(dave, 'poll-deadline');
  await shot(host, 'poll-deadline-host');
  // The chat pages keep it until dismissed; the overlay lets it go after ~15 s.
  await overlay.locator('#poll').waitFor({ state: 'hidden', timeout: 25000 });
  const lingered = Date.now() - closedSeen;
  assert.ok(lingered > 12000 && lingered < 20000, `the overlay kept the result ${lingered} ms`);
  assert.equal(await overlay.evaluate(() => document.body.classList.contains('poll-on')), false);
  assert.equal(await card(alice).isVisible(), true);
});

test('no page is wider than its screen or logged an error', async () => {
  for (const page of [bob, alice, carol, host, alice2, dave]) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  }
  for (const page of [bob, alice, carol, host, overlay, alice2, dave]) assertNoConsoleErrors(page);
  erinWs.close();
});
