// The other pages in real Chromium: the live stream list (/), the OBS overlay
// (/overlay/{room_id}) and the stats page (/s/{room_id}/stats), each at
// 1280×800 and 390×844, loading nothing from any other origin.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, createStream, joinChat, sendAcked, startServer } from '../integration/lib/server.mjs';
import { assertNoConsoleErrors, launch, openPage, shot, useToken } from './lib/browser.mjs';

const HOST = { sub: 'host', username: 'host', display_name: 'Freya', level: 40, premium: true };
const FAN = { id: 'fan-1', username: 'premium_fan', display_name: 'Premium Fan', level: 25, premium: true };
let server, stream, other, browser, viewer, desktop, phone;
const foreign = [];  // requests to anywhere but the server

async function pages(fn) {
  for (const page of [desktop, phone]) await fn(page);
}

async function gift(user, gift_id, quantity, content) {
  const res = await api(server, 'POST', `/api/v1/admin/streams/${stream.id}/gifts`,
    { token: server.adminKey, body: { user, gift_id, quantity, content } });
  assert.equal(res.status, 201, res.text);
}

before(async () => {
  server = await startServer({ args: ['--dev', '--viewer-count-interval-ms', '200'] });
  stream = await createStream(server, HOST, {
    title: 'Weekend Chat with Freya', room_name: 'Freya JKT48', member: { name: 'Freya Jayawardana', nickname: 'Freya', team: 'KIII' },
  });
  other = await createStream(server, { sub: 'dj', username: 'dj' }, { title: 'Late night <b>beats</b>' });
  viewer = server.token({ sub: 'viewer', username: 'viewer', display_name: 'Viewer' });
  browser = await launch();
  desktop = await openPage(browser, { size: 'desktop' });
  phone = await openPage(browser, { size: 'phone' });
  for (const page of [desktop, phone]) {
    await useToken(page, viewer);
    page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith(server.wsBase)) foreign.push(r.url()); });
  }
});

test('/ lists the live streams with titles, viewers and links', async () => {
  const host = await joinChat(server, stream.id, server.token(HOST));
  const fans = await joinChat(server, stream.id, server.token({ sub: 'fan-2' }));
  await pages(async (page) => {
    await page.goto(server.url + '/');
    const card = page.locator('.stream-card', { hasText: 'Weekend Chat with Freya' });
    await card.waitFor();
    await card.locator('.viewers', { hasText: '👁 2 watching' }).waitFor();
    assert.match(await card.textContent(), /Freya JKT48 — Freya Jayawardana · KIII/);
    // A title with HTML is text.
    assert.equal(await page.locator('.stream-card h2', { hasText: 'Late night' }).textContent(), 'Late night <b>beats</b>');
    assert.equal(await page.locator('.stream-card b').count(), 0);
    await shot(page, 'home');
  });
  await desktop.click(`.stream-card[data-room="${stream.room_id}"] h2 a`);
  await desktop.waitForURL(`${server.url}/s/${stream.room_id}`);
  await desktop.locator('#conn[data-state=live]').waitFor();
  await host.close();
  await fans.close();
});

test('the overlay is transparent and shows new messages at the bottom, with its query options', async () => {
  const host = await joinChat(server, stream.id, server.token(HOST));
  await sendAcked(host, 'said before the overlay opened');
  await desktop.goto(`${server.url}/overlay/${stream.room_id}?token=${viewer}&font=28&lines=6`);
  await phone.goto(`${server.url}/overlay/${stream.room_id}#token=${viewer}&hide_gifts=1`);
  await pages(async (page) => {
    await page.locator('.msg', { hasText: 'said before the overlay opened' }).waitFor();
    const bg = await page.evaluate(() => [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor]);
    assert.deepEqual(bg, ['rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)']);
  });
  assert.equal(await desktop.evaluate(() => getComputedStyle(document.body).fontSize), '28px');
  for (let i = 1; i <= 6; i++) await sendAcked(host, `line ${i} <i>not italic</i>`);
  await gift(FAN, 'star', 5, '🌟✨');
  await sendAcked(host, 'the newest line');
  await pages(async (page) => {
    await page.locator('.msg', { hasText: 'the newest line' }).waitFor();
    assert.match(await page.locator('.msg').last().textContent(), /the newest line$/);
    assert.equal(await page.locator('.msg i').count(), 0);
  });
  // lines=6: only the newest six stay; the gift is among them with its stars.
  assert.equal(await desktop.locator('.msg').count(), 6);
  assert.equal(await desktop.locator('.msg-gift .stars').textContent(), '⭐ 50 stars');
  assert.equal(await desktop.locator('.msg-gift .rank').textContent(), '💎Lv.25');
  // hide_gifts=1 on the phone: no gift.
  assert.equal(await phone.locator('.msg-gift').count(), 0);
  await pages((page) => shot(page, 'overlay'));
  // Deleted messages go from the overlay too.
  const newest = await desktop.locator('.msg').last().getAttribute('data-id');
  const del = await api(server, 'DELETE', `/api/v1/streams/${stream.id}/chat/messages/${newest}`, { token: server.token(HOST) });
  assert.equal(del.status, 204, del.text);
  await desktop.locator(`.msg[data-id="${newest}"]`).waitFor({ state: 'detached' });
  // fade=1: a line fades out and goes about a second after it came.
  await desktop.goto(`${server.url}/overlay/${stream.room_id}?token=${viewer}&fade=1`);
  await sendAcked(host, 'here for a moment');
  const fleeting = desktop.locator('.msg', { hasText: 'here for a moment' });
  await fleeting.waitFor();
  await fleeting.waitFor({ state: 'detached', timeout: 8000 });
  await host.close();
});

test('the stats page draws its charts and the top gifters and chatters', async () => {
  const mallory = await joinChat(server, stream.id, server.token({ sub: 'mallory', display_name: '<svg onload=alert(1)>' }));
  for (let i = 0; i < 14; i++) await sendAcked(mallory, `chatty ${i}`);
  await gift({ id: 'whale', display_name: 'The Whale', level: 60, premium: true }, 'crown', 2);
  await pages(async (page) => {
    await page.goto(`${server.url}/s/${stream.room_id}/stats`);
    await page.locator('body[data-loaded=true]').waitFor();
    assert.ok(await page.locator('#chart-messages svg rect.bar').count() >= 1);
    assert.ok(await page.locator('#chart-stars svg rect.bar').count() >= 1);
    // One bar per minute of the timeline, each with its value, the tallest reaching past half the plot.
    const stats = (await api(server, 'GET', `/api/v1/streams/${stream.id}/stats`, { token: viewer })).json;
    for (const [chart, key] of [['#chart-messages', 'messages'], ['#chart-stars', 'stars']]) {
      const titles = await page.$$eval(`${chart} rect.bar title`, (ts) => ts.map((t) => t.textContent));
      assert.deepEqual(titles.map((t) => Number(/: (\d+) /.exec(t)[1])), stats.timeline.map((m) => m[key]), chart);
      const heights = await page.$$eval(`${chart} rect.bar`, (bars) => bars.map((b) => Number(b.getAttribute('height'))));
      assert.ok(Math.max(...heights) > 166 / 2, `${chart} bars: ${heights}`);
    }
    const gifters = await page.locator('#top-gifters li .name').allTextContents();
    assert.deepEqual(gifters.slice(0, 2), ['The Whale', 'Premium Fan']);
    assert.match(await page.locator('#top-gifters li').first().textContent(), /⭐ 200 stars/);
    const chatters = await page.locator('#top-chatters li .name').allTextContents();
    assert.equal(chatters[0], '<svg onload=alert(1)>');
    assert.equal(await page.locator('#top-chatters svg').count(), 0);
    assert.match(await page.locator('#totals').textContent(), /250Stars/);
    await shot(page, 'stats');
  });
  await mallory.close();
});

test('no page loaded anything from another origin or logged an error', () => {
  assert.deepEqual(foreign, []);
  assertNoConsoleErrors(desktop);
  assertNoConsoleErrors(phone);
});
