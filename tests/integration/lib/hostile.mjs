// hostile.mjs: helpers for the hostile_*.test.mjs files: raw sockets that
// speak (or break) HTTP and RFC 6455 byte by byte, and the check every such
// test ends with: a normal client still chats at normal speed and /healthz
// answers 200.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { api, joinChat, freshUser, sendAcked } from './server.mjs';

// A TCP connection to the server that collects everything it receives.
//   sock, data (Buffer so far), connectedAt (ms), ended (→ resolves when the
//   server closes or resets)
export function rawConnect(server) {
  return new Promise((resolve, reject) => {
    const sock = connect(server.port, '127.0.0.1');
    const c = { sock, data: Buffer.alloc(0), error: null };
    c.ended = new Promise((r) => {
      sock.on('close', () => r({ at: Date.now(), error: c.error }));
    });
    sock.on('data', (d) => { c.data = Buffer.concat([c.data, d]); });
    sock.on('error', (e) => { c.error = e; });
    sock.once('connect', () => { c.connectedAt = Date.now(); resolve(c); });
    sock.once('error', reject);
  });
}

// Parses an HTTP response (head and Content-Length body) from a raw buffer.
export function parseHttp(buf) {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = buf.subarray(end + 4).toString('utf8');
  let json = null;
  try { json = JSON.parse(body); } catch { /* not JSON */ }
  return { status: Number(statusLine.split(' ')[1]), headers, body, json };
}

// One masked client frame. opts: fin (true), rsv (0..7), mask (true), length
// (announce another payload length than the payload's).
export function frame(opcode, payload = Buffer.alloc(0), { fin = true, rsv = 0, mask = true, length } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = length ?? data.length;
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i] ^= key[i % 4];
  return Buffer.concat([Buffer.from(head), key, masked]);
}

// Parses the server's (unmasked) frames from a buffer: [{opcode, fin, payload}].
export function serverFrames(buf) {
  const out = [];
  let pos = 0;
  while (pos + 2 <= buf.length) {
    const b0 = buf[pos];
    let len = buf[pos + 1] & 0x7f;
    let off = pos + 2;
    if (len === 126) { if (off + 2 > buf.length) break; len = buf.readUInt16BE(off); off += 2; }
    else if (len === 127) { if (off + 8 > buf.length) break; len = Number(buf.readBigUInt64BE(off)); off += 8; }
    if (off + len > buf.length) break;
    out.push({ opcode: b0 & 0x0f, fin: (b0 & 0x80) !== 0, payload: buf.subarray(off, off + len) });
    pos = off + len;
  }
  return out;
}

// The close frame the server sent, as {code, reason}, or null.
export function closeOf(frames) {
  const f = frames.find((x) => x.opcode === 0x8);
  if (!f) return null;
  return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2).toString() };
}

// The text frames the server sent, parsed as JSON events.
export function eventsOf(frames) {
  return frames.filter((x) => x.opcode === 0x1).map((x) => JSON.parse(x.payload.toString()));
}

// A raw chat WebSocket: the upgrade is done by hand so that the test may then
// write any bytes at all. Resolves after the 101 with {sock, data, ended,
// frames(), waitFor(pred)} where data holds what followed the 101.
export async function rawWs(server, streamId, token) {
  const c = await rawConnect(server);
  const key = randomBytes(16).toString('base64');
  c.sock.write(`GET /api/v1/streams/${streamId}/chat/ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const deadline = Date.now() + 5000;
  while (c.data.indexOf('\r\n\r\n') < 0) {
    if (Date.now() > deadline) throw new Error('no 101 within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  const end = c.data.indexOf('\r\n\r\n');
  assert.match(c.data.subarray(0, end).toString(), /^HTTP\/1\.1 101 /);
  const headLength = end + 4;
  c.frames = () => serverFrames(c.data.subarray(headLength));
  c.events = () => eventsOf(c.frames());
  c.waitFor = async (pred, what, timeoutMs = 3000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = pred(c.frames());
      if (v) return v;
      if (Date.now() > until) {
        throw new Error(`timed out waiting for ${what}; got opcodes ${c.frames().map((f) => f.opcode).join(',')}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  c.waitClose = () => c.waitFor((fs) => closeOf(fs), 'a close frame');
  await c.waitFor((fs) => eventsOf(fs).some((e) => e.type === 'history'), 'history');
  return c;
}

// After an attack: /healthz is 200, and a fresh viewer and sender chat with
// the message arriving at normal speed (within `maxMs`). `localAddress`
// connects them from another loopback address (127.0.0.1 may be at its cap).
export async function assertServesNormally(server, streamId, { maxMs = 1000, localAddress } = {}) {
  const health = await api(server, 'GET', '/healthz');
  assert.equal(health.status, 200, `healthz: ${health.status} ${health.text}`);
  const opts = localAddress ? { wsOptions: { localAddress } } : {};
  const viewer = await joinChat(server, streamId, server.token(freshUser('after-viewer')), opts);
  const sender = await joinChat(server, streamId, server.token(freshUser('after-sender')), opts);
  const content = `still here ${Date.now()}`;
  const t0 = Date.now();
  await sendAcked(sender, content);
  const got = await viewer.next((e) => e.type === 'message' && e.data.content === content, 3000);
  const took = got._at - t0;
  assert.ok(took <= maxMs, `the message came back in ${took} ms (at most ${maxMs})`);
  await viewer.close();
  await sender.close();
}
