// server.mjs: start the real `sorakd` for an integration test and talk to it.
//
// Every server started here is stopped by PID in a root-level after() hook and,
// as a last resort, SIGKILLed when the test process exits. The server's stderr
// is kept and written to the test's stderr only when the test file fails (or
// live, when SORAK_TEST_VERBOSE=1). Temporary data directories are removed at
// exit unless SORAK_TEST_KEEP=1.
//
// The store: SQLite in the data directory, or with SORAK_TEST_STORE=postgres a
// fresh PostgreSQL database per data directory (the ctest `integration-pg.*`
// duplicates; see "PostgreSQL" below). A restart on the same data directory
// keeps its database; the databases are dropped when the test file ends.
//
//   const server = await startServer({ args: ['--rate-limit', '0'] });
//   const stream = await createStream(server, { sub: 'owner', username: 'owner' });
//   const viewer = await openWs(server, stream.id, server.token({ sub: 'alice' }));
//   const history = await viewer.next('history');
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { WebSocket } from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const buildDir = resolve(here, '../../../build');
export const SORAKD = process.env.SORAKD || join(buildDir, 'sorakd');
export const SORAK = process.env.SORAK || join(buildDir, 'sorak');

const verbose = process.env.SORAK_TEST_VERBOSE === '1';
const STDERR_KEEP = 256 * 1024;

const servers = new Set();   // every server object started by this process
// A sanitizer build of sorakd (make test-sanitize) reports memory errors, leaks
// and undefined behaviour on stderr; any such report fails the test file.
const SANITIZER_REPORT = /ERROR: (?:Address|Leak)Sanitizer|runtime error: |SUMMARY: (?:Address|UndefinedBehavior|Leak)Sanitizer/;
const sanitizerReports = new Set();  // labels of servers that printed one
const logs = [];             // {label, chunks[]} for the failure dump
const tempDirs = new Set();  // removed at exit (unless SORAK_TEST_KEEP=1)

after(async () => {
  await Promise.all([...servers].map((s) => s.stop()));
  try {
    dropDatabases();
  } catch (e) {  // cleanup only: the tests have their verdict (the cluster is thrown away at postgres.stop)
    writeSync(2, `server.mjs: could not drop the test databases: ${e.message}\n`);
  }
  if (sanitizerReports.size) throw new Error(`sanitizer report in the stderr of ${[...sanitizerReports].join(', ')}`);
});

process.on('exit', (code) => {
  for (const s of servers) {
    const child = s.proc;
    if (child && child.exitCode === null && child.signalCode === null) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  if (sanitizerReports.size) process.exitCode = 1;  // reports printed as a server exited
  const failed = code !== 0 || (process.exitCode ?? 0) !== 0;
  if (failed && !verbose) {
    for (const log of logs) {
      const text = log.chunks.join('');
      if (!text) continue;
      writeSync(2, `\n----- ${log.label} stderr -----\n${text}\n----- end of ${log.label} stderr -----\n`);
    }
  }
  if (failed && process.env.SORAK_TEST_KEEP !== '1' && logs.length) {
    writeSync(2, '(set SORAK_TEST_KEEP=1 to keep the servers\' data directories)\n');
  }
  if (process.env.SORAK_TEST_KEEP !== '1') {
    try { dropDatabases(); } catch { /* the server may be gone already */ }
    for (const dir of tempDirs) {
      try { rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ }
    }
  }
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls cond() until it returns a truthy value; rejects after timeoutMs
// (`what`, a string or a function returning one, names it in the error).
export async function waitFor(cond, { timeoutMs = 5000, intervalMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(intervalMs);
  }
}

let serverCounter = 0;

// A temporary directory, removed when the test process exits.
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'sorak-it-'));
  tempDirs.add(dir);
  return dir;
}

// Starts sorakd on a free loopback port. See the file comment.
// `secret` / `adminKey` fix the credentials (random by default). With
// baseArgs: false none of the default flags is passed (the caller configures
// the server through args and env, e.g. SORAK_LISTEN=127.0.0.1:0).
export async function startServer({ args = [], dataDir, env = {}, secret, adminKey, baseArgs = true } = {}) {
  const dir = dataDir || tempDir();
  const server = {
    url: null, wsBase: null, port: null, pid: null,
    secret: secret ?? randomBytes(24).toString('hex'),
    adminKey: adminKey ?? 'adm_' + randomBytes(18).toString('hex'),
    dataDir: dir,
    args,
    proc: null,
    exit: null,          // {code, signal} of the last exit
    stdout: '',          // everything the server printed on stdout
    label: `sorakd#${++serverCounter}`,
  };
  server.admin = { Authorization: `Bearer ${server.adminKey}` };
  server.token = (claims = {}, opts = {}) => mintToken(server.secret, claims, opts);

  server._launch = async () => {
    const log = { label: `${server.label} (${dir})`, chunks: [], size: 0 };
    logs.push(log);
    server.stderrTail = () => log.chunks.join('');  // the newest stderr of this launch (bounded)
    const childEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('SORAK_')) childEnv[k] = v;  // keep the server's config ours alone
    }
    Object.assign(childEnv, env);
    // The defaults, minus any flag the caller passes itself.
    const ownStore = args.some((a) => a === '--store' || a.startsWith('--store='));
    const defaults = [
      ['--listen', '127.0.0.1:0'],
      ['--store', baseArgs && !ownStore ? storeUrlFor(dir) : ''],
      ['--jwt-secret', server.secret],
      ['--admin-key', server.adminKey],
      ['--data-dir', dir],
      ['--threads', '2'],
      ['--log-level', 'warn'],
    ].filter(([flag]) => !args.some((a) => a === flag || a.startsWith(`${flag}=`)));
    const argv = baseArgs ? [...defaults.flat(), ...args] : [...args];
    const child = spawn(SORAKD, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    server.proc = child;
    server.pid = child.pid;
    server.exit = null;
    const exited = new Promise((res) => {
      child.once('exit', (code, signal) => {
        server.exit = { code, signal };
        res({ code, signal });
      });
    });
    child._exited = exited;
    child.stderr.on('data', (d) => {
      const s = d.toString();
      if (verbose) process.stderr.write(`[${server.label}] ${s}`);
      if (SANITIZER_REPORT.test((log.chunks.at(-1) ?? '').slice(-100) + s)) sanitizerReports.add(server.label);
      log.chunks.push(s);
      log.size += s.length;
      while (log.size > STDERR_KEEP && log.chunks.length > 1) log.size -= log.chunks.shift().length;
    });
    let out = '';
    const ready = new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(
        `${server.label} did not print "sorakd listening on http://127.0.0.1:PORT" within 15 s`)), 15000);
      child.stdout.on('data', (d) => {
        out += d.toString();
        server.stdout += d.toString();
        const m = /^sorakd listening on http:\/\/127\.0\.0\.1:(\d+)\r?$/m.exec(out);
        if (m) { clearTimeout(timer); res(Number(m[1])); }
      });
      child.once('error', (e) => { clearTimeout(timer); rej(new Error(`cannot start ${SORAKD}: ${e.message}`)); });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        rej(new Error(`${server.label} exited (code ${code}, signal ${signal}) before it was ready; ` +
          `stdout: ${JSON.stringify(out)}; stderr: ${log.chunks.join('').slice(-4000)}`));
      });
    });
    let port;
    try {
      port = await ready;
    } catch (e) {
      try { child.kill('SIGKILL'); } catch { /* ignore */ }
      throw e;
    }
    server.port = port;
    server.url = `http://127.0.0.1:${port}`;
    server.wsBase = `ws://127.0.0.1:${port}`;
    return server;
  };

  // SIGTERM, then SIGKILL after 5 s. Resolves with {code, signal}.
  server._stopProc = async () => {
    const child = server.proc;
    if (!child) return server.exit;
    if (child.exitCode !== null || child.signalCode !== null) return server.exit;
    try { child.kill('SIGTERM'); } catch { /* ignore */ }
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* ignore */ } }, 5000);
    const res = await child._exited;
    clearTimeout(timer);
    return res;
  };
  server.stop = () => server._stopProc();
  server.kill9 = async () => {
    const child = server.proc;
    if (!child || child.exitCode !== null || child.signalCode !== null) return server.exit;
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* ignore */ }
    return child._exited;
  };
  server.restart = async () => {
    await server.stop();
    return server._launch();
  };

  servers.add(server);
  await server._launch();
  return server;
}

// ---- PostgreSQL -----------------------------------------------------------
//
// Under SORAK_TEST_STORE=postgres the server behind SORAK_TEST_POSTGRES_URL (or
// the URL in the file SORAK_TEST_POSTGRES_URL_FILE, written by
// `scripts/pg-test.sh start`: the ctest fixture `postgres`) is the store. Every
// data directory gets its own database, created with psql:
//
//   const db = createDatabase();            // {name, url}, dropped when the file ends
//   await startServer({ args: ['--store', db.url] });
//   postgresCtl('kill9'); postgresCtl('restart');          // fault tests

export const TEST_STORE = process.env.SORAK_TEST_STORE || 'sqlite';
export const ON_POSTGRES = TEST_STORE === 'postgres';
export const PG_TEST_SH = resolve(here, '../../../scripts/pg-test.sh');
if (!['sqlite', 'postgres'].includes(TEST_STORE)) {
  throw new Error(`SORAK_TEST_STORE=${TEST_STORE}: expected sqlite or postgres`);
}

// The test server's admin URL (database `postgres`), or null when there is none.
export function postgresUrl() {
  if (process.env.SORAK_TEST_POSTGRES_URL) return process.env.SORAK_TEST_POSTGRES_URL;
  const file = process.env.SORAK_TEST_POSTGRES_URL_FILE;
  if (!file) return null;
  try {
    return readFileSync(file, 'utf8').trim() || null;
  } catch (e) {
    throw new Error(`SORAK_TEST_POSTGRES_URL_FILE=${file}: ${e.message} (is the ctest fixture \`postgres\` running? ` +
      'scripts/pg-test.sh start DIR writes it)');
  }
}

// The directory `scripts/pg-test.sh start` ran on (for kill9/restart/stop), or null.
export function postgresDir() {
  const file = process.env.SORAK_TEST_POSTGRES_URL_FILE;
  return file ? dirname(file) : null;
}

// Runs `scripts/pg-test.sh CMD DIR` on the test server (kill9, halt, restart):
// for fault tests, which must leave it running for the tests after them.
export function postgresCtl(cmd) {
  const dir = postgresDir();
  if (!dir) throw new Error('postgresCtl needs SORAK_TEST_POSTGRES_URL_FILE (the ctest fixture `postgres`)');
  return execFileSync('bash', [PG_TEST_SH, cmd, dir], { encoding: 'utf8', timeout: 120000 });
}

function requirePostgresUrl() {
  const url = postgresUrl();
  if (!url) {
    throw new Error('SORAK_TEST_STORE=postgres needs SORAK_TEST_POSTGRES_URL or SORAK_TEST_POSTGRES_URL_FILE ' +
      '(ctest sets them; by hand: scripts/pg-test.sh start /tmp/pg, then SORAK_TEST_POSTGRES_URL_FILE=/tmp/pg/url)');
  }
  return url;
}

// url with its database (the path) replaced by `db`.
function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

// Runs one SQL statement through psql on the admin database.
function psql(sql) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', requirePostgresUrl(), '-c', sql], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PGCONNECT_TIMEOUT: '10' }, timeout: 60000,
  });
}

// Writes every dirty page now, so a crash right after replays only what came
// since: a fault test's recovery then takes seconds, however much the suites
// before it wrote (CREATE DATABASE logs its whole template in PostgreSQL 15).
export function postgresCheckpoint() {
  psql('CHECKPOINT');
}

const databases = new Map();  // name → {name, url}, not dropped yet
const dirDatabases = new Map();  // data directory → its database

// A new, empty database on the test server: {name, url}. Dropped when this test
// file ends (kept with SORAK_TEST_KEEP=1).
export function createDatabase() {
  const name = `sorak_${randomBytes(6).toString('hex')}`;
  psql(`CREATE DATABASE ${name}`);
  const db = { name, url: withDatabase(requirePostgresUrl(), name) };
  databases.set(name, db);
  return db;
}

// Drops every database this process created (forcing out any connection left behind).
function dropDatabases() {
  if (process.env.SORAK_TEST_KEEP === '1') return;
  for (const name of [...databases.keys()]) {
    databases.delete(name);
    psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  dirDatabases.clear();
}

// The --store of a server on data directory `dir`: SQLite inside it, or the
// directory's own PostgreSQL database (the same one again on a restart).
function storeUrlFor(dir) {
  if (!ON_POSTGRES) return `sqlite:${join(dir, 'sorak.db')}`;
  if (!dirDatabases.has(dir)) dirDatabases.set(dir, createDatabase());
  return dirDatabases.get(dir).url;
}

// ---- tokens -------------------------------------------------------------

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const HMAC = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

// A JWT signed with node:crypto. claims are copied as given, with `iat` and
// `exp` (now + expSeconds; expSeconds null → no exp) added unless present.
// alg 'none' produces an unsigned token; `header` adds/overrides header fields;
// `signWith` signs with another secret (bad signature).
export function mintToken(secret, claims = {}, { alg = 'HS256', header = {}, expSeconds = 3600, signWith } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iat: now, ...claims };
  if (expSeconds !== null && !('exp' in claims)) payload.exp = now + expSeconds;
  const head = { alg, typ: 'JWT', ...header };
  const signingInput = `${b64url(JSON.stringify(head))}.${b64url(JSON.stringify(payload))}`;
  if (alg === 'none') return `${signingInput}.`;
  const hash = HMAC[alg];
  if (!hash) throw new Error(`mintToken: unsupported alg ${alg}`);
  const sig = createHmac(hash, signWith ?? secret).update(signingInput).digest();
  return `${signingInput}.${b64url(sig)}`;
}

// ---- REST ---------------------------------------------------------------

// → {status, json, text, headers}; json is null when the body is not JSON.
export async function api(server, method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Uint8Array) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
    }
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
  }
  const res = await fetch(server.url + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, json, text, headers: res.headers };
}

// POST /api/v1/streams as ownerClaims' user; asserts 201 and returns the Stream.
export async function createStream(server, ownerClaims = { sub: 'owner', username: 'owner' }, body = {}) {
  const token = server.token(ownerClaims);
  const res = await api(server, 'POST', '/api/v1/streams', { token, body: { title: 'Test stream', ...body } });
  if (res.status !== 201 || !res.json || !res.json.id) {
    throw new Error(`createStream: expected 201 with a Stream, got ${res.status} ${res.text}`);
  }
  return res.json;
}

// Walks every history page of a stream (newest page first) and returns all
// messages oldest first, plus the pages as returned.
export async function allHistory(server, streamId, token, { limit } = {}) {
  const pages = [];
  let before = null;
  for (let i = 0; i < 10000; i++) {
    const q = new URLSearchParams();
    if (limit !== undefined) q.set('limit', String(limit));
    if (before) q.set('before', before);
    const qs = q.toString();
    const res = await api(server, 'GET',
      `/api/v1/streams/${streamId}/chat/history${qs ? '?' + qs : ''}`, { token });
    if (res.status !== 200) throw new Error(`history page ${i}: ${res.status} ${res.text}`);
    pages.push(res.json);
    if (!res.json.has_more) break;
    if (!res.json.next_cursor) throw new Error(`history page ${i}: has_more true but no next_cursor`);
    before = res.json.next_cursor;
  }
  const messages = [];
  for (let i = pages.length - 1; i >= 0; i--) messages.push(...pages[i].messages);
  return { messages, pages };
}

// ---- WebSocket ----------------------------------------------------------

export function wsUrl(server, streamId, token, { since, query } = {}) {
  const q = new URLSearchParams();
  if (token !== undefined && token !== null) q.set('token', token);
  if (since !== undefined && since !== null) q.set('since', since);
  if (query) for (const [k, v] of new URLSearchParams(query)) q.set(k, v);
  const qs = q.toString();
  return `${server.wsBase}/api/v1/streams/${streamId}/chat/ws${qs ? '?' + qs : ''}`;
}

// Opens a chat WebSocket; resolves once open. The client records every event
// (parsed JSON; a non-JSON frame is recorded as {type: '__raw', raw}).
//   next(type | predicate, timeoutMs=3000) → the next event of that type not yet returned by next()
//   events, send(obj), sendRaw(data, {binary}), closed (→ {code, reason}), close(),
//   counts (events per type), pings (WebSocket pings received),
//   pause()/resume() of the underlying socket, ws.
export function openWs(server, streamId, token, { since, query, wsOptions = {}, url } = {}) {
  const target = url || wsUrl(server, streamId, token, { since, query });
  const ws = new WebSocket(target, { perMessageDeflate: false, ...wsOptions });
  const client = {
    ws, url: target, events: [], counts: {}, pings: 0, closeInfo: null,
    _taken: new Set(), _waiters: [],
  };
  let resolveClosed;
  client.closed = new Promise((r) => { resolveClosed = r; });
  const wake = () => {
    for (const w of [...client._waiters]) w.check();
  };
  ws.on('message', (data, isBinary) => {
    let ev;
    const text = data.toString();
    try { ev = JSON.parse(text); } catch { ev = null; }
    if (!ev || typeof ev !== 'object' || Array.isArray(ev)) ev = { type: '__raw', raw: text, binary: isBinary };
    Object.defineProperty(ev, '_at', { value: Date.now(), enumerable: false });
    client.events.push(ev);
    client.counts[ev.type] = (client.counts[ev.type] || 0) + 1;
    wake();
  });
  ws.on('ping', () => { client.pings++; });
  ws.on('error', (e) => { client.lastError = e; });
  ws.on('close', (code, reason) => {
    client.closeInfo = { code, reason: reason.toString(), at: Date.now() };
    resolveClosed(client.closeInfo);
    wake();
  });

  const matcher = (type) => (typeof type === 'function' ? type : (e) => e.type === type);
  client.next = (type, timeoutMs = 3000) => new Promise((res, rej) => {
    const match = matcher(type);
    const desc = typeof type === 'function' ? 'matching event' : `"${type}" event`;
    const waiter = {
      check() {
        for (let i = 0; i < client.events.length; i++) {
          if (client._taken.has(i)) continue;
          if (match(client.events[i])) {
            client._taken.add(i);
            done();
            res(client.events[i]);
            return;
          }
        }
        if (client.closeInfo) {
          done();
          rej(new Error(`connection closed (${client.closeInfo.code} ${client.closeInfo.reason}) ` +
            `before a ${desc}; received: ${summary()}`));
        }
      },
    };
    const timer = setTimeout(() => {
      done();
      rej(new Error(`no ${desc} within ${timeoutMs} ms; received: ${summary()}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      client._waiters = client._waiters.filter((w) => w !== waiter);
    };
    client._waiters.push(waiter);
    waiter.check();
  });
  const summary = () => {
    const s = client.events.map((e) => (e.type === 'error' ? `error:${e.code}` : e.type));
    return s.length > 30 ? `${s.slice(0, 10).join(',')} … ${s.slice(-15).join(',')} (${s.length})` : s.join(',') || '(nothing)';
  };
  client.summary = summary;
  client.ofType = (type) => client.events.filter((e) => e.type === type);
  client.send = (obj) => ws.send(JSON.stringify(obj));
  client.sendRaw = (data, { binary = false } = {}) => ws.send(data, { binary });
  client.close = (code = 1000, reason) => {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    return client.closed;
  };
  client.terminate = () => { ws.terminate(); return client.closed; };
  client.pause = () => ws._socket.pause();
  client.resume = () => ws._socket.resume();
  client.isOpen = () => ws.readyState === WebSocket.OPEN;

  return new Promise((res, rej) => {
    const timer = setTimeout(() => { ws.terminate(); rej(new Error(`WebSocket ${target} did not open within 5 s`)); }, 5000);
    ws.once('open', () => { clearTimeout(timer); res(client); });
    ws.once('unexpected-response', (req, resp) => {
      clearTimeout(timer);
      let body = '';
      resp.on('data', (d) => { body += d; });
      resp.on('end', () => rej(Object.assign(
        new Error(`WebSocket upgrade refused: HTTP ${resp.statusCode} ${body}`), { status: resp.statusCode, body })));
      resp.on('error', () => rej(new Error(`WebSocket upgrade refused: HTTP ${resp.statusCode}`)));
    });
    ws.once('error', (e) => { clearTimeout(timer); rej(e); });
  });
}

// Opens a connection and waits for its history and first viewer_count.
export async function joinChat(server, streamId, token, opts = {}) {
  const client = await openWs(server, streamId, token, opts);
  client.history = await client.next('history');
  return client;
}

// Sends a message with a fresh client_id and resolves with the ack.
let clientSeq = 0;
export async function sendAcked(client, content, extra = {}, timeoutMs = 5000) {
  const client_id = extra.client_id || `c-${process.pid}-${++clientSeq}-${randomUUID().slice(0, 8)}`;
  client.send({ type: 'message', content, ...extra, client_id });
  return client.next((e) => e.type === 'ack' && e.client_id === client_id, timeoutMs);
}

// A user's claims with a unique sub (each user has its own rate-limit budget).
let userSeq = 0;
export function freshUser(name = 'user', extra = {}) {
  const n = ++userSeq;
  return { sub: `${name}-${n}-${randomUUID().slice(0, 8)}`, username: `${name}${n}`, display_name: `${name} ${n}`, ...extra };
}

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const TS_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// A UUID v7 shaped id that no server ever issued.
export function unknownId() {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
