// room_open_join.mjs: the late joiner of `make bench`'s room-open case (bench/run.sh).
//
// Waits until the busy room's load is connected (sorakd's `sorak_viewers` gauge reaches
// --viewers), waits --delay seconds more so the messages are flowing, then opens the first
// WebSocket to the long stream (its room not open yet) and times the open: from the upgrade
// request to the `history` event. Prints one JSON line:
//   {"open_ms", "history_messages", "newest_content", "joined_after_load_s"}
// and exits 1 (with the reason on stderr) when no history came within --timeout seconds.
//
// Usage: node bench/room_open_join.mjs --url http://127.0.0.1:PORT --stream ID --secret-file FILE
//          [--viewers 510] [--delay 3] [--timeout 60]
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' }, stream: { type: 'string' }, 'secret-file': { type: 'string' },
    viewers: { type: 'string', default: '1' }, delay: { type: 'string', default: '3' },
    timeout: { type: 'string', default: '60' },
  },
});
for (const k of ['url', 'stream', 'secret-file']) if (!opt[k]) fail(`--${k} is required`);
const deadline = Date.now() + Number(opt.timeout) * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(why) {
  console.error(`room_open_join: ${why}`);
  process.exit(1);
}

// An HS256 user token, as sorakd checks them.
function token(secret) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'late-joiner', username: 'late', iat: now, exp: now + 600 })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function viewersConnected() {
  const text = await (await fetch(`${opt.url}/metrics`)).text();
  return Number(/^sorak_viewers (\S+)$/m.exec(text)?.[1] ?? 0);
}

async function waitForLoad() {
  while (await viewersConnected() < Number(opt.viewers)) {
    if (Date.now() > deadline) fail(`fewer than ${opt.viewers} viewers connected before the timeout`);
    await sleep(100);
  }
}

// Resolves with {ms, history} for one join of the long stream.
function join(secret) {
  const url = `${opt.url.replace(/^http/, 'ws')}/api/v1/streams/${opt.stream}/chat/ws?token=${token(secret)}`;
  return new Promise((resolve) => {
    const t0 = performance.now();
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => { ws.terminate(); fail('no history before the timeout'); }, deadline - Date.now());
    ws.on('message', (data) => {
      const ev = JSON.parse(data.toString());
      if (ev.type !== 'history') return;
      const ms = performance.now() - t0;
      clearTimeout(timer);
      ws.close();
      resolve({ ms, history: ev.data });
    });
    ws.on('error', (e) => fail(`WebSocket: ${e.message}`));
  });
}

const secret = readFileSync(opt['secret-file'], 'utf8').trim();
await waitForLoad();
const loaded = performance.now();
await sleep(Number(opt.delay) * 1000);
const { ms, history } = await join(secret);
console.log(JSON.stringify({
  open_ms: Number(ms.toFixed(1)), history_messages: history.length, newest_content: history.at(-1)?.content ?? null,
  joined_after_load_s: Number(((performance.now() - loaded - ms) / 1000).toFixed(2)),
}));
