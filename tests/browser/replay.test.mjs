// The chat replay (CONTRACT §12) in real Chromium: GET …/chat/replay windows
// checked from Node (exact windows, has_more paging over 500 messages,
// deleted messages left out, refusals), and the page /s/{room_id}/replay
// playing an ended stream's chat in time: each message appears exactly when
// the page's clock passes its offset_ms, pause stops the clock, a seek shows
// the messages up to the new position at once, ?t= starts there, 2× runs
// twice as fast, and the chat page of an ended stream and the home page link
// to it. Messages are sent in real time (the server stamps created_at) and
// their offsets read back from the API.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, createStream, joinChat, sendAcked, sleep, startServer, waitFor } from '../integration/lib/server.mjs';
import { assertNoConsoleErrors, launch, openPage, shot, useToken } from './lib/browser.mjs';

const HOST = { sub: 'host-aiko', username: 'aiko', display_name: 'Aiko', level: 50, premium: true, badges: ['verified'] };
const FAN = { sub: 'fan-rin', username: 'rin', display_name: 'Rin', level: 25, premium: true };
let server, browser, stream, dense, viewer, desktop, phone;
const at = {};   // content key → the message as the replay API gives it (with offset_ms)

const replayUrl = (s, query = '') => `${server.url}/s/${s.room_id}/replay${query}`;
const replayApi = (s, from, to, token = viewer) => api(server, 'GET',
  `/api/v1/streams/${s.id}/chat/replay?from=${from}${to === undefined ? '' : `&to=${to}`}`, { token });

// 3723000 → "1:02:03", as the page writes it.
function clockText(ms) {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

// What the page shows, read in one go (the clock and the list change together).
const snapshot = (page) => page.evaluate(() => ({
  ms: Number(document.querySelector('#clock').dataset.ms),
  clock: document.querySelector('#clock').textContent,
  state: document.body.dataset.state,
  ids: [...document.querySelectorAll('#messages .msg')].map((li) => li.dataset.id),
  at: performance.now(),
}));

const seekTo = (page, ms) => page.evaluate((v) => {
  const seek = document.querySelector('#seek');
  seek.value = String(v / 1000);
  seek.dispatchEvent(new Event('input', { bubbles: true }));
  seek.dispatchEvent(new Event('change', { bubbles: true }));
}, ms);

const settled = (page) => page.waitForFunction(() => document.body.dataset.state !== 'loading');
const ids = (...keys) => keys.map((k) => at[k].id);

before(async () => {
  browser = await launch();
  server = await startServer({ args: ['--dev', '--rate-limit', '0', '--rate-limit-mod', '0'] });
  viewer = server.token({ sub: 'viewer', username: 'viewer', display_name: 'Viewer' });
  stream = await createStream(server, HOST, {
    title: 'Replay night', room_name: 'Aiko room', member: { name: 'Aiko', nickname: 'aiko', team: 'Team K' },
  });
  const started = Date.parse(stream.started_at);
  const host = await joinChat(server, stream.id, server.token(HOST));
  const fan = await joinChat(server, stream.id, server.token(FAN));
  const until = (ms) => sleep(Math.max(0, started + ms - Date.now()));
  // The timeline: messages at about 1 s, 3 s, 4.5 s, 5.2 s (deleted) and 6 s; the end at 7 s.
  await until(1000);
  const first = (await sendAcked(host, 'first: welcome to the replay')).data;
  await until(3000);
  await sendAcked(fan, 'second: a reply to the host', { reply_to: first.id });
  await until(4500);
  await sendAcked(fan, 'for Aiko', { type: 'gift', gift_id: 'star', quantity: 3 });
  await until(5200);
  const oops = (await sendAcked(fan, 'oops: deleted later')).data;
  await until(6000);
  await sendAcked(host, 'third: see you next time');
  const del = await api(server, 'DELETE', `/api/v1/streams/${stream.id}/chat/messages/${oops.id}`, { token: server.token(HOST) });
  assert.equal(del.status, 204, del.text);
  await until(7000);
  const end = await api(server, 'PATCH', `/api/v1/streams/${stream.id}`, { token: server.token(HOST), body: { status: 'ended' } });
  assert.equal(end.status, 200, end.text);
  stream = end.json;
  host.close();
  fan.close();

  desktop = await openPage(browser, { size: 'desktop' });
  phone = await openPage(browser, { size: 'phone' });
  for (const page of [desktop, phone]) await useToken(page, viewer);
});

test('the replay API returns the messages in a window, with their offsets, deleted ones left out', async () => {
  const all = await replayApi(stream, 0, 60);
  assert.equal(all.status, 200, all.text);
  assert.equal(all.json.started_at, stream.started_at);
  assert.equal(all.json.ended_at, stream.ended_at);
  assert.ok(all.json.ended_at, 'an ended stream has ended_at');
  assert.equal(all.json.has_more, false);
  const keys = { first: 'first:', second: 'second:', gift: 'for Aiko', third: 'third:' };
  assert.deepEqual(all.json.data.map((m) => m.content),
    ['first: welcome to the replay', 'second: a reply to the host', 'for Aiko', 'third: see you next time']);
  for (const [key, start] of Object.entries(keys)) at[key] = all.json.data.find((m) => m.content.startsWith(start));
  // offset_ms is created_at − started_at, and the timeline shows.
  for (const m of all.json.data) {
    assert.equal(m.offset_ms, Date.parse(m.created_at) - Date.parse(stream.started_at), `${m.content}: offset_ms`);
  }
  const offsets = ids('first', 'second', 'gift', 'third').map((_, i) => all.json.data[i].offset_ms);
  assert.deepEqual([...offsets].sort((a, b) => a - b), offsets);
  assert.ok(at.first.offset_ms >= 900 && at.first.offset_ms < 2500, `first at ${at.first.offset_ms} ms`);
  assert.ok(at.third.offset_ms - at.second.offset_ms >= 2500, 'the messages are seconds apart');
  assert.equal(at.gift.message_type, 'gift');
  assert.equal(at.second.reply_to, at.first.id);
  // A window holding exactly the second message and the gift. (Half a millisecond of margin: the
  // server turns seconds into milliseconds by truncating, so "1.001" can mean 1000 ms.)
  const mid = await replayApi(stream, ((at.first.offset_ms + 1.5) / 1000).toFixed(4), ((at.third.offset_ms - 0.5) / 1000).toFixed(4));
  assert.equal(mid.status, 200, mid.text);
  assert.deepEqual(mid.json.data.map((m) => m.id), ids('second', 'gift'));
  // from is inclusive (has_more paging asks again from the last offset_ms / 1000), to is not.
  const from = await replayApi(stream, (at.second.offset_ms / 1000).toFixed(3), (at.third.offset_ms / 1000 - 0.0005).toFixed(4));
  assert.deepEqual(from.json.data.map((m) => m.id), ids('second', 'gift'));
  // Before the first message: nothing. to defaults to from + 300.
  const early = await replayApi(stream, 0, (at.first.offset_ms / 1000).toFixed(3));
  assert.deepEqual(early.json.data, []);
  const dflt = await replayApi(stream, 0.5);
  assert.deepEqual(dflt.json.data.map((m) => m.id), ids('first', 'second', 'gift', 'third'));
  // Refusals.
  const long = await replayApi(stream, 0, 3601);
  assert.equal(long.status, 400, long.text);
  assert.equal(long.json.code, 'invalid_field');
  assert.equal((await replayApi(stream, -1, 5)).json?.code, 'invalid_field');
  const anon = await replayApi(stream, 0, 60, null);
  assert.equal(anon.status, 401, anon.text);
  // The room id works as well as the stream id.
  const byRoom = await api(server, 'GET', `/api/v1/streams/${stream.room_id}/chat/replay?from=0&to=60`, { token: viewer });
  assert.deepEqual(byRoom.json.data.map((m) => m.id), ids('first', 'second', 'gift', 'third'));
});

test('the page plays the chat in time: a message shows exactly when the clock passes its offset', async () => {
  await desktop.goto(replayUrl(stream));
  await desktop.locator('#stream-title', { hasText: 'Replay night' }).waitFor();
  await desktop.waitForFunction(() => document.body.dataset.state === 'playing');
  assert.equal(await desktop.textContent('#replay-pill'), 'ENDED');
  const length = Date.parse(stream.ended_at) - Date.parse(stream.started_at);
  assert.equal(await desktop.textContent('#length'), clockText(length));
  const shots = [];
  const deadline = Date.now() + 20000;
  for (;;) {
    const s = await snapshot(desktop);
    shots.push(s);
    if (s.state === 'ended' || Date.now() > deadline) break;
    await sleep(30);
  }
  const last = shots.at(-1);
  assert.equal(last.state, 'ended', 'the replay reaches the end');
  assert.equal(last.ms, Math.floor(length));
  assert.equal(last.clock, clockText(length));
  for (const s of shots) {
    assert.equal(s.clock, clockText(s.ms), 'the clock reads h:mm:ss');
    for (const key of ['first', 'second', 'gift', 'third']) {
      const m = at[key];
      assert.equal(s.ids.includes(m.id), s.ms >= m.offset_ms,
        `at ${s.ms} ms "${m.content}" (${m.offset_ms} ms) is ${s.ids.includes(m.id) ? '' : 'not '}shown`);
    }
  }
  // Each message was seen missing just before its offset and shown just after.
  for (const key of ['first', 'second', 'gift', 'third']) {
    const off = at[key].offset_ms;
    assert.ok(shots.some((s) => s.ms < off && s.ms > off - 500), `${key}: a look within 0.5 s before`);
    assert.ok(shots.some((s) => s.ms >= off && s.ms < off + 500), `${key}: a look within 0.5 s after`);
  }
  // The clock runs at the speed of the wall clock.
  const a = shots.find((s) => s.ms > 1500);
  const b = shots.findLast((s) => s.ms < length - 200);
  const rate = (b.ms - a.ms) / (b.at - a.at);
  assert.ok(rate > 0.85 && rate < 1.15, `the clock runs at ${rate.toFixed(2)}× real time`);
  // Drawn as on the chat page: badges, 💎Lv.N, the gift with its stars, the reply's quote; the offset as the time.
  assert.deepEqual(last.ids, ids('first', 'second', 'gift', 'third'));
  const line = (key) => desktop.locator(`#messages .msg[data-id="${at[key].id}"]`);
  assert.deepEqual(await line('first').locator('.badge').allTextContents(), ['Host', '✓']);
  assert.equal(await line('first').locator('.rank').textContent(), '💎Lv.50');
  assert.equal(await line('first').locator('.time').textContent(), clockText(at.first.offset_ms));
  assert.equal(await line('second').locator('.reply-quote').textContent(), '↩ Aiko: first: welcome to the replay');
  assert.equal(await line('second').locator('.rank').textContent(), '💎Lv.25');
  assert.equal(await line('gift').locator('.gift-what').textContent(), 'sent 3× Star');
  assert.equal(await line('gift').locator('.stars').textContent(), '⭐ 30 stars');
  assert.equal(await desktop.locator('#messages .msg', { hasText: 'oops' }).count(), 0);
  assert.equal(await desktop.getAttribute('#play', 'aria-label'), 'Play again from the start');
  await shot(desktop, 'replay');
});

test('pause stops the clock; play goes on from there', async () => {
  await desktop.click('#play');  // ↺: from the start
  await desktop.waitForFunction(() => document.body.dataset.state === 'playing' && Number(document.querySelector('#clock').dataset.ms) > 300);
  await desktop.click('#play');
  const paused = await snapshot(desktop);
  assert.equal(paused.state, 'paused');
  assert.equal(await desktop.getAttribute('#play', 'aria-label'), 'Play');
  await sleep(1500);
  const later = await snapshot(desktop);
  assert.equal(later.ms, paused.ms, 'the clock stands still while paused');
  assert.deepEqual(later.ids, paused.ids);
  await desktop.click('#play');
  await desktop.waitForFunction((ms) => Number(document.querySelector('#clock').dataset.ms) > ms + 300, paused.ms);
  await desktop.click('#play');
});

test('seeking jumps: the messages up to there show at once, and it plays on from there', async () => {
  // Paused, past the third message: all four at once.
  await seekTo(desktop, at.third.offset_ms + 500);
  await settled(desktop);
  let s = await snapshot(desktop);
  assert.equal(s.state, 'paused');
  assert.equal(s.ms, at.third.offset_ms + 500);
  assert.equal(s.clock, clockText(at.third.offset_ms + 500));
  assert.deepEqual(s.ids, ids('first', 'second', 'gift', 'third'));
  // Back to between the first and the second: only the first.
  const back = Math.round((at.first.offset_ms + at.second.offset_ms) / 2);
  await seekTo(desktop, back);
  await settled(desktop);
  s = await snapshot(desktop);
  assert.equal(s.ms, back);
  assert.deepEqual(s.ids, ids('first'));
  // Playing, a seek keeps playing; the second shows when the clock gets there.
  await desktop.click('#play');
  await seekTo(desktop, at.second.offset_ms - 400);
  await settled(desktop);
  s = await snapshot(desktop);
  assert.equal(s.state, 'playing');
  assert.deepEqual(s.ids, ids('first'));
  await desktop.locator(`#messages .msg[data-id="${at.second.id}"]`).waitFor({ timeout: 2000 });
  s = await snapshot(desktop);
  assert.ok(s.ms >= at.second.offset_ms);
  await desktop.click('#play');
});

test('2× plays twice as fast', async () => {
  await desktop.selectOption('#speed', '2');
  await seekTo(desktop, 0);
  await settled(desktop);
  await desktop.click('#play');
  const a = await snapshot(desktop);
  await sleep(1500);
  const b = await snapshot(desktop);
  const rate = (b.ms - a.ms) / (b.at - a.at);
  assert.ok(rate > 1.7 && rate < 2.3, `2×: the clock runs at ${rate.toFixed(2)}× real time`);
  await desktop.click('#play');
  await desktop.selectOption('#speed', '1');
});

test('?t=SECONDS starts there (phone)', async () => {
  const t = at.gift.offset_ms + 300;
  await phone.goto(replayUrl(stream, `?t=${(t / 1000).toFixed(3)}`));
  await phone.waitForFunction(() => document.body.dataset.state === 'playing');
  const s = await snapshot(phone);
  assert.ok(s.ms >= t && s.ms < t + 500, `starts at ${s.ms} ms, asked ${t}`);
  assert.deepEqual(s.ids, ids('first', 'second', 'gift'));
  await phone.locator(`#messages .msg[data-id="${at.third.id}"]`).waitFor({ timeout: at.third.offset_ms - t + 2000 });
  await phone.waitForFunction(() => document.body.dataset.state === 'ended');
  await shot(phone, 'replay');
  for (const page of [desktop, phone]) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  }
});

test('has_more: over 500 messages in a window are read page by page; a seek shows the last 50', async () => {
  dense = await createStream(server, HOST, { title: 'Busy chat' });
  const host = await joinChat(server, dense.id, server.token(HOST));
  const N = 520;
  for (let i = 1; i <= N; i++) await sendAcked(host, `busy line ${i}`);
  host.close();
  const end = await api(server, 'PATCH', `/api/v1/streams/${dense.id}`, { token: server.token(HOST), body: { status: 'ended' } });
  assert.equal(end.status, 200, end.text);
  dense = end.json;
  // From Node: 500, has_more, then the rest from the last offset.
  const seen = new Map();
  let from = 0;
  let pages = 0;
  for (;;) {
    const res = await replayApi(dense, (from / 1000).toFixed(3), 600);
    assert.equal(res.status, 200, res.text);
    pages++;
    assert.ok(res.json.data.length <= 500);
    for (const m of res.json.data) seen.set(m.id, m);
    if (!res.json.has_more) break;
    assert.equal(res.json.data.length, 500, 'a page with has_more is full');
    from = res.json.data.at(-1).offset_ms;
    assert.ok(pages < 10);
  }
  assert.ok(pages >= 2, 'more than one page');
  assert.deepEqual([...seen.values()].map((m) => m.content), Array.from({ length: N }, (_, i) => `busy line ${i + 1}`));
  // The page: at the end, the last 50 at once.
  const length = Date.parse(dense.ended_at) - Date.parse(dense.started_at);
  await desktop.goto(replayUrl(dense, `?t=${Math.ceil(length / 1000)}`));
  await desktop.waitForFunction(() => document.body.dataset.state === 'ended');
  const texts = await desktop.$$eval('#messages .msg .text', (els) => els.map((e) => e.textContent));
  assert.deepEqual(texts, Array.from({ length: 50 }, (_, i) => `busy line ${N - 49 + i}`), `${texts.length} shown: ${texts[0]} … ${texts.at(-1)}`);
  // From the start, at 4×, all 520 go by (the list keeps the newest 300).
  await desktop.selectOption('#speed', '4');
  await desktop.click('#play');
  await desktop.waitForFunction(() => document.body.dataset.state === 'ended', null, { timeout: Math.max(10000, length / 4 + 5000) });
  const after = await desktop.$$eval('#messages .msg .text', (els) => els.map((e) => e.textContent));
  assert.equal(after.length, 300);
  assert.deepEqual(after.slice(-3), [`busy line ${N - 2}`, `busy line ${N - 1}`, `busy line ${N}`]);
  await desktop.selectOption('#speed', '1');
  await shot(desktop, 'replay-busy');
});

test('a live stream: the replay runs up to now, keeps up with new messages, and ends when the stream does', async () => {
  let live = await createStream(server, HOST, { title: 'Still live' });
  const host = await joinChat(server, live.id, server.token(HOST));
  const early = (await sendAcked(host, 'said before the replay opened')).data;
  await desktop.goto(replayUrl(live));
  await desktop.locator(`#messages .msg[data-id="${early.id}"]`).waitFor();
  assert.equal(await desktop.textContent('#replay-pill'), 'LIVE');
  const len1 = await desktop.textContent('#length');
  await sleep(1200);
  assert.notEqual(await desktop.textContent('#length'), len1, 'the length grows while live');
  const fresh = (await sendAcked(host, 'said while the replay plays')).data;
  await desktop.locator(`#messages .msg[data-id="${fresh.id}"]`).waitFor({ timeout: 8000 });
  host.close();
  const end = await api(server, 'PATCH', `/api/v1/streams/${live.id}`, { token: server.token(HOST), body: { status: 'ended' } });
  assert.equal(end.status, 200, end.text);
  live = end.json;
  await desktop.waitForFunction(() => document.body.dataset.state === 'ended', null, { timeout: 8000 });
  assert.equal(await desktop.textContent('#replay-pill'), 'ENDED');
  assert.equal(await desktop.textContent('#length'), clockText(Date.parse(live.ended_at) - Date.parse(live.started_at)));
  assert.deepEqual(await desktop.$$eval('#messages .msg', (els) => els.map((e) => e.dataset.id)), [early.id, fresh.id]);
});

test('the chat page of an ended stream and the home page link to the replay', async () => {
  await desktop.goto(`${server.url}/s/${stream.room_id}`);
  const link = desktop.locator('#replay-link');
  await link.waitFor();
  assert.equal(await link.textContent(), '▶ Watch the chat replay');
  assert.equal(await link.getAttribute('href'), `/s/${stream.room_id}/replay`);
  assert.equal(await desktop.textContent('#live-pill'), 'ENDED');
  await shot(desktop, 'chat-ended');
  await link.click();
  await desktop.waitForURL(replayUrl(stream));
  await desktop.waitForFunction(() => document.body.dataset.state === 'playing');
  await desktop.goto(`${server.url}/`);
  const card = desktop.locator(`.replay-card[data-stream="${stream.id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('.replay-open').getAttribute('href'), `/s/${stream.room_id}/replay`);
  assert.equal(await desktop.locator(`.stream-card[data-room="${stream.room_id}"]`).count(), 0, 'not among the live streams');
  await shot(desktop, 'home-replays');
});

test('without a login the page asks for one; no console errors anywhere', async () => {
  const anon = await openPage(browser, { size: 'phone' });
  await anon.goto(replayUrl(stream));
  await anon.locator('#replay-notice', { hasText: 'Log in to watch the chat replay.' }).waitFor();
  assert.equal(await anon.isDisabled('#play'), true);
  await anon.click('#replay-notice button');
  await anon.fill('#login-name', 'Late Viewer');
  await anon.click('#login-dialog button[type=submit]');
  await anon.waitForFunction(() => document.body.dataset.state === 'playing');
  for (const page of [desktop, phone, anon]) assertNoConsoleErrors(page);
});
