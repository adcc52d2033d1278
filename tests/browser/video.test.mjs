// The video beside the chat (CONTRACT §12) in real Chromium. ffmpeg makes a
// short HLS stream (12 s of testsrc in 2 s segments, a VOD playlist) in a
// temp dir, served by a tiny Node http server on 127.0.0.1 with the right
// content types. A stream whose playback_url names it plays in the chat page
// (muted, with controls, its currentTime advancing) beside the chat on a
// desktop and above it on a phone; natively where Chromium says it plays HLS
// (canPlayType), through hls.js (/assets/vendor/hls.js, loaded only then)
// where it does not. A stream without playback_url has no video area and the
// chat takes the page's width. A playlist that does not load is said in words
// in the video area, without a retry loop. Nothing is fetched from any other
// origin than sorakd and the video's.
//
// The codec: H.264 in MPEG-TS segments when this Chromium's MSE takes H.264
// (MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"')), else VP9
// in fMP4 segments. The test says which it used (a diagnostic line).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { api, createStream, joinChat, sendAcked, sleep, startServer, tempDir } from '../integration/lib/server.mjs';
import { assertNoConsoleErrors, launch, openPage, shot, useToken } from './lib/browser.mjs';

const HOST = { sub: 'host-mika', username: 'mika', display_name: 'Mika', level: 30, premium: true };
const TYPES = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
};
let server, browser, hlsDir, media, mediaUrl, codec, viewer;
let withVideo, plain, broken;
const requests = [];  // paths asked of the media server
const pages = [];

// ffmpeg's HLS of `seconds` of testsrc: H.264/TS or VP9/fMP4.
function makeHls(dir, kind, seconds = 12) {
  const src = ['-f', 'lavfi', '-i', `testsrc=size=640x360:rate=25`, '-t', String(seconds)];
  const gop = ['-g', '50', '-keyint_min', '50', '-sc_threshold', '0'];
  const hls = ['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod'];
  const args = kind === 'h264'
    ? [...src, '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', ...gop, ...hls,
      '-hls_segment_filename', join(dir, 'seg%d.ts'), join(dir, 'index.m3u8')]
    : [...src, '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-pix_fmt', 'yuv420p', ...gop,
      ...hls, '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
      '-hls_segment_filename', join(dir, 'seg%d.m4s'), join(dir, 'index.m3u8')];
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120000 });
}

function ffmpegPresent() {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The video element's state, read in the page.
const videoState = (page) => page.evaluate(() => {
  const v = document.querySelector('#video');
  return {
    t: v.currentTime, paused: v.paused, muted: v.muted, controls: v.controls, engine: v.dataset.engine ?? null,
    width: v.videoWidth, error: v.error?.code ?? null, boxHidden: document.querySelector('#video-box').hidden,
  };
});

// The video is playing: its currentTime advances.
async function assertPlaying(page) {
  await page.waitForFunction(() => document.querySelector('#video').currentTime > 0.3, null, { timeout: 15000 });
  const a = await videoState(page);
  await sleep(1000);
  const b = await videoState(page);
  assert.ok(b.t > a.t + 0.4, `currentTime advances: ${a.t} → ${b.t}`);
  assert.equal(b.paused, false);
  assert.equal(b.muted, true, 'muted autoplay');
  assert.equal(b.controls, true);
  assert.equal(b.width, 640);
  return b;
}

const box = (page, sel) => page.locator(sel).boundingBox();

before(async () => {
  assert.ok(ffmpegPresent(), 'ffmpeg is needed (scripts/install-deps.sh --test installs it)');
  browser = await launch();
  // Which codec this Chromium plays through MSE.
  const probe = await openPage(browser);
  const h264 = await probe.evaluate(() => MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'));
  await probe.context().close();
  codec = h264 ? 'h264' : 'vp9';
  hlsDir = tempDir();
  makeHls(hlsDir, codec);
  assert.ok(readdirSync(hlsDir).length >= 6, `ffmpeg wrote ${readdirSync(hlsDir).join(', ')}`);
  media = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    requests.push(path);
    const name = path.slice(1);
    let body;
    try {
      if (!/^[\w-]+\.\w+$/.test(name)) throw new Error('not a file of the dir');
      body = readFileSync(join(hlsDir, name));
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain', 'Access-Control-Allow-Origin': '*' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(name)] || 'application/octet-stream',
      'Content-Length': body.length,
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': 'no-cache',
    });
    res.end(body);
  });
  await new Promise((r) => media.listen(0, '127.0.0.1', r));
  mediaUrl = `http://127.0.0.1:${media.address().port}`;

  server = await startServer({ args: ['--dev', '--viewer-count-interval-ms', '200'] });
  viewer = server.token({ sub: 'viewer', username: 'viewer', display_name: 'Viewer' });
  // One stream gets its playback_url at creation, one by PATCH; one has none.
  withVideo = await createStream(server, HOST, {
    title: 'Test pattern live', room_name: 'Mika room', member: { name: 'Mika', nickname: 'mika', team: 'Team T' },
    playback_url: `${mediaUrl}/index.m3u8`,
  });
  assert.equal(withVideo.playback_url, `${mediaUrl}/index.m3u8`);
  plain = await createStream(server, { sub: 'dj', username: 'dj' }, { title: 'Radio only' });
  assert.equal(plain.playback_url, null);
  broken = await createStream(server, { sub: 'oops', username: 'oops' }, { title: 'Broken video' });
  const patched = await api(server, 'PATCH', `/api/v1/streams/${broken.id}`,
    { token: server.adminKey, body: { playback_url: `${mediaUrl}/missing/index.m3u8` } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.json.playback_url, `${mediaUrl}/missing/index.m3u8`);
});

after(() => media?.close());

async function page(size, opts) {
  const p = await openPage(browser, { size, ...opts });
  await useToken(p, viewer);
  p.foreign = [];
  p.asked = [];
  p.on('request', (r) => {
    const url = r.url();
    p.asked.push(url);
    if (!url.startsWith(server.url) && !url.startsWith(server.wsBase) && !url.startsWith(mediaUrl) && !url.startsWith('blob:')) p.foreign.push(url);
  });
  pages.push(p);
  return p;
}

test(`the video plays beside the chat on a desktop (codec chosen for this Chromium)`, async (t) => {
  t.diagnostic(`codec: ${codec === 'h264' ? 'H.264 in MPEG-TS segments' : 'VP9 in fMP4 segments'}`);
  const desktop = await page('desktop');
  await desktop.goto(`${server.url}/s/${withVideo.room_id}`);
  await desktop.locator('#conn[data-state=live]').waitFor();
  const state = await assertPlaying(desktop);
  const native = await desktop.evaluate(() => document.createElement('video').canPlayType('application/vnd.apple.mpegurl'));
  t.diagnostic(`canPlayType(HLS) = "${native}", engine: ${state.engine}`);
  assert.equal(state.engine, native ? 'native' : 'hls.js');
  // hls.js is loaded only when the browser cannot play HLS itself.
  assert.equal(desktop.asked.some((u) => u.endsWith('/assets/vendor/hls.js')), !native);
  assert.ok(requests.includes('/index.m3u8'));
  // Beside the chat: the video on the left, the 380 px chat on the right.
  const [video, chat] = [await box(desktop, '#video-box'), await box(desktop, '.chat')];
  assert.ok(video.x + video.width <= chat.x + 1, 'the video is left of the chat');
  assert.ok(Math.abs(chat.width - 380) < 2, `the chat column is ${chat.width}px`);
  assert.ok(video.width > 800, `the video is ${video.width}px wide`);
  assert.ok(video.y < 100 && video.height > 400);
  // The chat works beside it.
  const host = await joinChat(server, withVideo.id, server.token(HOST));
  await sendAcked(host, 'can you all see the test pattern?');
  await desktop.locator('#messages .msg', { hasText: 'test pattern' }).waitFor();
  host.close();
  await desktop.locator('#chat-input').blur();
  await shot(desktop, 'video');
  assertNoConsoleErrors(desktop);
  assert.deepEqual(desktop.foreign, []);
});

test('on a phone the video is on top and the chat below', async () => {
  const phone = await page('phone');
  await phone.goto(`${server.url}/s/${withVideo.room_id}`);
  await phone.locator('#conn[data-state=live]').waitFor();
  await assertPlaying(phone);
  const [video, chat] = [await box(phone, '#video-box'), await box(phone, '.chat')];
  assert.ok(video.y + video.height <= chat.y + 1, 'the video is above the chat');
  assert.ok(video.width >= 380, `the video is ${video.width}px wide`);
  assert.ok(chat.height > 400, `the chat is ${chat.height}px tall`);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await shot(phone, 'video');
  assertNoConsoleErrors(phone);
  assert.deepEqual(phone.foreign, []);
});

test('where the browser has no native HLS, hls.js (served by sorakd) plays it', async () => {
  const p = await page('desktop');
  // This Chromium without native HLS: canPlayType says '' for HLS.
  await p.addInitScript(() => {
    const canPlay = HTMLMediaElement.prototype.canPlayType;
    HTMLMediaElement.prototype.canPlayType = function (type) {
      return /mpegurl/i.test(type) ? '' : canPlay.call(this, type);
    };
  });
  await p.goto(`${server.url}/s/${withVideo.room_id}`);
  const state = await assertPlaying(p);
  assert.equal(state.engine, 'hls.js');
  assert.ok(p.asked.some((u) => u === `${server.url}/assets/vendor/hls.js`), 'hls.js came from sorakd');
  assert.equal(await p.evaluate(() => typeof window.Hls), 'function');
  assertNoConsoleErrors(p);
  assert.deepEqual(p.foreign, []);
});

test('without a playback_url there is no video area: the chat takes the page\'s width', async () => {
  const desktop = await page('desktop');
  await desktop.goto(`${server.url}/s/${plain.room_id}`);
  await desktop.locator('#conn[data-state=live]').waitFor();
  assert.equal(await desktop.isHidden('#video-box'), true);
  assert.equal(await desktop.locator('body.has-video').count(), 0);
  const chat = await box(desktop, '.chat');
  assert.ok(chat.width >= 1270, `the chat is ${chat.width}px wide`);
  assert.equal(await desktop.textContent('#stream-title'), 'Radio only');
  assert.equal(await desktop.isVisible('#live-pill'), true);
  assert.equal(desktop.asked.some((u) => u.endsWith('/assets/vendor/hls.js')), false);
  await shot(desktop, 'chat-no-video');
  const phone = await page('phone');
  await phone.goto(`${server.url}/s/${plain.room_id}`);
  await phone.locator('#conn[data-state=live]').waitFor();
  assert.equal(await phone.isHidden('#video-box'), true);
  assert.ok((await box(phone, '.chat')).width >= 385);
  await shot(phone, 'chat-no-video');
  for (const p of [desktop, phone]) assertNoConsoleErrors(p);
});

test('a video that cannot load is said in words in the video area, once', async () => {
  for (const force of [false, true]) {
    // The browser logs the failed request itself ("Failed to load resource"): expected here.
    const p = await page('desktop', { ignore: [/Failed to load resource/] });
    if (force) {
      await p.addInitScript(() => {
        const canPlay = HTMLMediaElement.prototype.canPlayType;
        HTMLMediaElement.prototype.canPlayType = function (type) {
          return /mpegurl/i.test(type) ? '' : canPlay.call(this, type);
        };
      });
    }
    const before = requests.filter((r) => r.startsWith('/missing/')).length;
    await p.goto(`${server.url}/s/${broken.room_id}`);
    const error = p.locator('#video-error');
    await error.waitFor({ timeout: 15000 });
    assert.match(await error.textContent(), /^The video cannot be (loaded|played)/);
    assert.equal(await p.getAttribute('#video-box', 'data-state'), 'error');
    const asked = requests.filter((r) => r.startsWith('/missing/')).length - before;
    await sleep(3000);
    const later = requests.filter((r) => r.startsWith('/missing/')).length - before;
    assert.equal(later, asked, 'no request after the error');
    assert.ok(later <= 6, `${later} requests for the missing playlist`);
    // The chat still works.
    await p.locator('#conn[data-state=live]').waitFor();
    if (!force) await shot(p, 'video-error');
    assertNoConsoleErrors(p);
    assert.deepEqual(p.foreign, []);
  }
});
