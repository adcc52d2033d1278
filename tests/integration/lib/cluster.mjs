// cluster.mjs: several sorakd acting as one, for the integration tests: a throwaway Redis
// (scripts/redis-test.sh), one PostgreSQL database (lib/server.mjs), N nodes with the same secret
// and admin key, and optionally nginx in front with the config of docs/deployment.md.
//
//   const c = await startNginxCluster({ args: ['--rate-limit', '0'] });
//   // c looks like one server to lib/server.mjs's helpers: c.url, c.port and c.wsBase are
//   // nginx's; c.token(), c.admin as for startServer(); c.nodes are the sorakd behind it.
//
// PostgreSQL only (the nodes share a store): callers skip unless ON_POSTGRES. Everything started
// here listens on 127.0.0.1 and is stopped by PID when the test file ends.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { createDatabase, startServer, tempDir, sleep } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const REDIS_TEST_SH = resolve(here, '../../../scripts/redis-test.sh');
export const DEPLOYMENT_MD = resolve(here, '../../../docs/deployment.md');
export const NGINX = process.env.SORAK_TEST_NGINX || '/usr/sbin/nginx';

// ---- Redis ------------------------------------------------------------------

// A throwaway redis-server: {url, dir, kill9(), restart(), stop()}.
export function startRedis() {
  const dir = tempDir();
  const run = (cmd) => execFileSync('bash', [REDIS_TEST_SH, cmd, dir], { encoding: 'utf8' }).trim();
  const redis = { dir, url: run('start') };
  redis.kill9 = () => run('kill9');
  redis.restart = () => run('restart');
  redis.stop = () => run('stop');
  stopAtEnd.push(() => redis.stop());
  return redis;
}

const stopAtEnd = [];
after(async () => {
  for (const stop of stopAtEnd.reverse()) {
    try { await stop(); } catch { /* already gone */ }
  }
});

// ---- Nodes ------------------------------------------------------------------

// `count` sorakd on one fresh database and one Redis, same secret and admin key.
export async function startNodes({ count = 2, args = [], redis } = {}) {
  redis ??= startRedis();
  const db = createDatabase();
  const secret = randomBytes(24).toString('hex');
  const adminKey = 'adm_' + randomBytes(18).toString('hex');
  const nodes = [];
  for (let n = 0; n < count; n++) {
    nodes.push(await startServer({ secret, adminKey, args: ['--store', db.url, '--broker', redis.url, ...args] }));
  }
  return { redis, db, nodes, secret, adminKey };
}

// ---- nginx ------------------------------------------------------------------

// The nginx block of docs/deployment.md (between its nginx-config markers), exactly as written.
export function deploymentNginxConfig() {
  const text = readFileSync(DEPLOYMENT_MD, 'utf8');
  const m = /<!-- nginx-config:begin -->\s*```nginx\n([\s\S]*?)```\s*<!-- nginx-config:end -->/.exec(text);
  if (!m) throw new Error(`${DEPLOYMENT_MD}: no \`\`\`nginx block between the nginx-config markers`);
  return m[1];
}

// The documented config with only the addresses changed: `listen 80;` → the loopback port, and
// the upstream's `server HOST:PORT` lines → the nodes (their parameters kept). Throws when the
// document no longer has exactly those lines, so the doc and the test cannot drift apart.
export function nginxConfigFor(port, nodePorts) {
  const doc = deploymentNginxConfig();
  const listens = doc.match(/^\s*listen 80;$/gm) ?? [];
  if (listens.length !== 1) throw new Error(`docs/deployment.md: expected one "listen 80;", found ${listens.length}`);
  const servers = [...doc.matchAll(/^(\s*)server (\d+\.\d+\.\d+\.\d+:\d+)( [^;\n]*)?;$/gm)];
  if (servers.length < 1) throw new Error('docs/deployment.md: no upstream "server HOST:PORT ...;" line');
  const params = servers[0][3] ?? '';
  const indent = servers[0][1];
  const upstream = nodePorts.map((p) => `${indent}server 127.0.0.1:${p}${params};`).join('\n');
  let first = true;
  return doc
    .replace(/^\s*listen 80;$/m, (l) => l.replace('listen 80;', `listen 127.0.0.1:${port};`))
    .replace(/^(\s*)server (\d+\.\d+\.\d+\.\d+:\d+)( [^;\n]*)?;\n/gm, () => {
      if (!first) return '';
      first = false;
      return upstream + '\n';
    });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

function portOpen(port) {
  return new Promise((res) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); res(true); });
    c.once('error', () => res(false));
  });
}

// nginx (Debian's) in the foreground on a free loopback port, in front of `nodePorts`:
// {port, url, pid, dir, config, stop(), errorLog()}.
export async function startNginx(nodePorts) {
  const dir = tempDir();
  chmodSync(dir, 0o755);  // nginx's workers run as nobody when the tests run as root
  mkdirSync(join(dir, 'temp'), { mode: 0o777 });
  const port = await freePort();
  const config = nginxConfigFor(port, nodePorts);
  writeFileSync(join(dir, 'sorak.conf'), config);
  const temp = (name) => `${name}_temp_path ${join(dir, 'temp', name)};`;
  writeFileSync(join(dir, 'nginx.conf'), [
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'worker_processes 1;',
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
    `  include ${join(dir, 'sorak.conf')};`,
    '}',
    '',
  ].join('\n'));
  const child = spawn(NGINX, ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  child.once('error', () => {});
  const nginx = {
    port, url: `http://127.0.0.1:${port}`, pid: child.pid, dir, config,
    errorLog: () => { try { return readFileSync(join(dir, 'error.log'), 'utf8'); } catch { return ''; } },
  };
  nginx.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');  // fast shutdown: open WebSockets are closed, not waited for
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
    await exited;
    clearTimeout(timer);
  };
  stopAtEnd.push(() => nginx.stop());
  process.once('exit', () => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await portOpen(port)) return nginx;
    await sleep(50);
  }
  await nginx.stop();
  throw new Error(`nginx did not listen on ${port}: ${stderr} ${nginx.errorLog()}`);
}

// Two nodes behind nginx, shaped like one server for lib/server.mjs's helpers (url, port,
// wsBase are nginx's; token(), admin, secret, adminKey are the nodes'), plus nodes, redis, db
// and nginx. `args` go to every node.
export async function startNginxCluster({ args = [], count = 2 } = {}) {
  const cluster = await startNodes({ count, args });
  const nginx = await startNginx(cluster.nodes.map((n) => n.port));
  const [first] = cluster.nodes;
  return {
    ...cluster, nginx,
    url: nginx.url, port: nginx.port, wsBase: `ws://127.0.0.1:${nginx.port}`,
    admin: first.admin, token: first.token,
    label: `nginx :${nginx.port} in front of ${cluster.nodes.map((n) => n.label).join(', ')}`,
  };
}

// ---- The seed clients' target -------------------------------------------------

// SORAK_TEST_BEHIND_NGINX=1 (the ctests integration-pg.*.nginx): the seed suites run against two
// nodes behind nginx instead of one sorakd, with viewer counts published every second.
export const BEHIND_NGINX = Boolean(process.env.SORAK_TEST_BEHIND_NGINX);
export async function startTarget({ args = [] } = {}) {
  if (!BEHIND_NGINX) return startServer({ args });
  return startNginxCluster({ args: ['--viewer-count-interval-ms', '1000', ...args] });
}

// Behind nginx: waits until every node counts `count` viewers of the stream (each node publishes
// its own count through Redis; the others add it within a count period). One server: returns.
export async function viewersSettled(target, streamId, count, { timeoutMs = 10000 } = {}) {
  if (!target.nodes) return;
  const deadline = Date.now() + timeoutMs;
  let seen = [];
  while (Date.now() < deadline) {
    seen = await Promise.all(target.nodes.map(async (node) => {
      const res = await fetch(`${node.url}/api/v1/streams/${streamId}`,
        { headers: { Authorization: `Bearer ${node.token({ sub: 'count-probe' })}` } });
      return (await res.json()).viewers;
    }));
    if (seen.every((v) => v === count)) return;
    await sleep(50);
  }
  throw new Error(`the nodes count ${JSON.stringify(seen)} viewers of ${streamId}, not ${count} each`);
}
