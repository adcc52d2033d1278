// tls.test.mjs: native TLS (--tls-cert / --tls-key): https and wss on one port,
// with a self-signed certificate made by the openssl CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { SORAKD, mintToken, tempDir, waitFor } from './lib/server.mjs';

const run = promisify(execFile);
const secret = 'tls-test-secret-0123456789';
let dir;
let proc;
let port;
let stderr = '';

// Starts sorakd with extra args; resolves with {proc, port} once it prints
// its "listening on https://" line (lib/server.mjs expects http://).
function startTls(args) {
  const child = spawn(SORAKD, [
    '--listen', '127.0.0.1:0', '--store', `sqlite:${join(dir, 'sorak.db')}`, '--jwt-secret', secret,
    '--data-dir', dir, '--threads', '2', '--log-level', 'warn', ...args,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line within 15 s: ${out} ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^sorakd listening on (https?):\/\/127\.0\.0\.1:(\d+)\r?$/m.exec(out);
      if (m) { clearTimeout(timer); resolve({ proc: child, scheme: m[1], port: Number(m[2]) }); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(Object.assign(new Error(`exited ${code}: ${stderr}`), { code })); });
  });
}

function stopProc(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// An https request that accepts the self-signed certificate.
function https(method, path, { token, body } = {}) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    const data = body === undefined ? undefined : JSON.stringify(body);
    if (data) headers['Content-Type'] = 'application/json';
    const req = httpsRequest({ host: '127.0.0.1', port, method, path, headers, rejectUnauthorized: false }, (res) => {
      const tls = res.socket.encrypted === true;
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, json, text, tls });
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// A wss chat client recording every event.
function wss(streamId, token, extra = '') {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/api/v1/streams/${streamId}/chat/ws?token=${token}${extra}`,
    { rejectUnauthorized: false, perMessageDeflate: false });
  const c = { ws, events: [], closed: null };
  c.closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  ws.on('message', (d) => c.events.push(JSON.parse(d.toString())));
  c.next = (pred, what, timeoutMs = 5000) => waitFor(() => c.events.find(pred), { timeoutMs, what });
  c.send = (o) => ws.send(JSON.stringify(o));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(c));
    ws.once('error', reject);
  });
}

before(async () => {
  dir = tempDir();
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1']);
  // A 64 KiB queue for the slow-consumer test below; thinning starts near it, not at the default
  // quarter (16 KiB), which one burst of the test's 60 messages (~36 KB) passes when the machine is busy.
  const s = await startTls(['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
    '--rate-limit', '0', '--rate-limit-mod', '0', '--max-queue-bytes', '65536', '--soft-queue-bytes', '61440']);
  proc = s.proc;
  port = s.port;
  assert.equal(s.scheme, 'https', 'the listening line names https');
});

after(async () => {
  await stopProc(proc);
});

test('curl -k https://…/healthz answers 200 over TLS', async () => {
  const { stdout } = await run('curl', ['-sk', '-o', '-', '-w', '\n%{http_code} %{ssl_verify_result}',
    `https://127.0.0.1:${port}/healthz`]);
  const [body, status] = stdout.split('\n');
  assert.deepEqual(JSON.parse(body), { status: 'ok' });
  assert.match(status, /^200 /);
});

test('a wss client gets history, live messages and acks; REST works over https', async () => {
  const owner = mintToken(secret, { sub: 'tls-owner', username: 'owner' });
  const created = await https('POST', '/api/v1/streams', { token: owner, body: { title: 'TLS stream' } });
  assert.equal(created.status, 201, created.text);
  assert.ok(created.tls);
  const stream = created.json;

  const sender = await wss(stream.id, owner);
  await sender.next((e) => e.type === 'history', 'sender history');
  sender.send({ type: 'message', content: 'before the viewer', client_id: 'tls-1' });
  const ack = await sender.next((e) => e.type === 'ack' && e.client_id === 'tls-1', 'ack over wss');
  assert.ok(ack.data.id);

  const viewer = await wss(stream.id, mintToken(secret, { sub: 'tls-viewer', username: 'viewer' }));
  const history = await viewer.next((e) => e.type === 'history', 'viewer history');
  assert.deepEqual(history.data.map((m) => m.content), ['before the viewer']);

  // A burst: every message arrives, in order (one SSL write carries many frames).
  const t0 = Date.now();
  for (let i = 0; i < 60; i++) sender.send({ type: 'message', content: `live ${i} ` + 'x'.repeat(300) });
  await waitFor(() => viewer.events.filter((e) => e.type === 'message').length >= 60,
    { timeoutMs: 5000, what: () => `60 live messages, got ${viewer.events.filter((e) => e.type === 'message').length}` });
  const live = viewer.events.filter((e) => e.type === 'message').map((e) => e.data.content.split(' ').slice(0, 2).join(' '));
  assert.deepEqual(live, Array.from({ length: 60 }, (_, i) => `live ${i}`));
  assert.ok(Date.now() - t0 < 3000, `delivered promptly (${Date.now() - t0} ms)`);

  // Application ping and the REST history over https agree.
  viewer.send({ type: 'ping' });
  await viewer.next((e) => e.type === 'pong', 'pong');
  const page = await https('GET', `/api/v1/streams/${stream.id}/chat/history?limit=100`, { token: owner });
  assert.equal(page.status, 200);
  assert.equal(page.json.messages.length, 61);

  viewer.ws.close(1000);
  assert.equal((await viewer.closed).code, 1000, 'the close handshake completes over TLS');
  sender.ws.close(1000);
  await sender.closed;
});

test('a lossless wss viewer that stops reading is cut with 1008; an active wss viewer gets every message', async () => {
  const owner = mintToken(secret, { sub: 'tls-owner', username: 'owner' });
  const stream = (await https('POST', '/api/v1/streams', { token: owner, body: { title: 'TLS slow' } })).json;
  const paused = await wss(stream.id, mintToken(secret, { sub: 'tls-paused' }), '&lossless=true');
  // It must get every message: lossless, so that a burst on a slow machine (ASan: 2,607 of 2,609) cannot thin it.
  const active = await wss(stream.id, mintToken(secret, { sub: 'tls-active' }), '&lossless=true');
  const sender = await wss(stream.id, owner);
  await paused.next((e) => e.type === 'history', 'history');
  paused.ws._socket.pause();

  // Enough ~2.3 KB messages to fill the paused reader's kernel buffers and then
  // the server's 64 KiB queue; at most 8 in flight, so the active reader keeps up.
  let wmemMax = 4 * 1024 * 1024;
  try { wmemMax = Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]) || wmemMax; } catch { /* not Linux */ }
  const N = Math.min(12000, Math.ceil((wmemMax + 1024 * 1024 + 65536) / 2300) + 300);
  const body = '😀'.repeat(490);
  const acks = () => sender.events.filter((e) => e.type === 'ack').length;
  for (let n = 0; n < N; n++) {
    sender.send({ type: 'message', content: `${n} ${body}`, client_id: `slow-${n}` });
    if (n + 1 - acks() >= 8) await waitFor(() => n + 1 - acks() < 8, { timeoutMs: 20000, intervalMs: 1, what: 'acks' });
  }
  const count = () => active.events.filter((e) => e.type === 'message').length;
  await waitFor(() => count() >= N, { timeoutMs: 30000, what: () => `all ${N} messages at the active viewer (${count()})` });
  const order = active.events.filter((e) => e.type === 'message').map((e) => Number(e.data.content.split(' ')[0]));
  assert.deepEqual(order, Array.from({ length: N }, (_, i) => i));

  paused.ws._socket.resume();
  const closed = await Promise.race([paused.closed, new Promise((r) => setTimeout(() => r(null), 10000))]);
  assert.ok(closed, 'the paused viewer was cut');
  // Its close frame waits behind the bytes it does not read; the server drops
  // the connection once its 5 s close wait is over (1006 on this side), which a
  // loaded machine can reach before the resume.
  if (closed.code !== 1006) {
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'slow consumer');
  }
  const got = paused.events.filter((e) => e.type === 'message').length;
  assert.ok(got < N, `it got only part of the stream (${got} of ${N})`);
  active.ws.close(1000);
  sender.ws.close(1000);
});

test('plain http:// to the TLS port gets a clean 400 JSON error, and the server goes on', async () => {
  const { stdout } = await run('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', `http://127.0.0.1:${port}/healthz`]);
  const [body, status] = stdout.split('\n');
  assert.equal(status, '400');
  assert.equal(JSON.parse(body).code, 'https_required');

  // A ws:// upgrade is refused the same way.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/streams/x/chat/ws?token=t`);
  const refused = await new Promise((resolve) => {
    ws.once('unexpected-response', (req, res) => resolve(res.statusCode));
    ws.once('error', (e) => resolve(e.message));
  });
  assert.equal(refused, 400);

  // Bytes that are neither TLS nor HTTP: the connection is closed, nothing else.
  const sock = netConnect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  await new Promise((r) => { sock.once('close', r); sock.on('error', () => {}); sock.resume(); });

  const health = await https('GET', '/healthz');
  assert.equal(health.status, 200);
  assert.equal(proc.exitCode, null, 'the server is still running');
});

test('a certificate that cannot be loaded stops sorakd at start-up with a clear message', async () => {
  const bad = join(dir, 'bad.pem');
  writeFileSync(bad, 'not a certificate\n');
  const saved = stderr;
  await assert.rejects(startTls(['--tls-cert', bad, '--tls-key', join(dir, 'key.pem')]), (e) => {
    assert.equal(e.code, 1);
    assert.match(e.message, /--tls-cert .*bad\.pem/);
    return true;
  });
  stderr = saved;
  await assert.rejects(startTls(['--tls-cert', join(dir, 'cert.pem')]), (e) => {
    assert.equal(e.code, 2);
    assert.match(e.message, /--tls-key go together/);
    return true;
  });
});
