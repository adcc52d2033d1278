// behind_nginx.test.mjs: two sorakd on one PostgreSQL and one Redis behind Debian's nginx,
// configured with the block of docs/deployment.md (only the addresses changed): WebSockets and
// REST go through it to both nodes, chat crosses between them, /metrics stays private, and when
// a node dies its viewers come back through nginx to the other with since= and miss nothing.
// The seed clients run through the same setup as integration-pg.seed000.nginx and
// integration-pg.seed_example.nginx (SORAK_TEST_BEHIND_NGINX=1).
//
// PostgreSQL only (ctest integration-pg.behind_nginx): the nodes share a store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ON_POSTGRES, createStream, joinChat, openWs, freshUser, sendAcked, api, sleep, waitFor } from './lib/server.mjs';
import { deploymentNginxConfig, startNginxCluster } from './lib/cluster.mjs';

const skip = !ON_POSTGRES && 'several nodes share a store only on PostgreSQL (run as ctest integration-pg.behind_nginx)';
const owner = { sub: 'owner', username: 'owner' };

let cluster = null;
async function started() {
  cluster ??= await startNginxCluster({ args: ['--rate-limit', '0', '--viewer-count-interval-ms', '1000'] });
  return cluster;
}

async function wsConnections(node) {
  const text = (await api(node, 'GET', '/metrics')).text;
  return Number(/^sorak_websocket_connections (\d+)$/m.exec(text)?.[1]);
}

test('nginx runs the config of docs/deployment.md with only the addresses changed', { skip }, async () => {
  const c = await started();
  const doc = deploymentNginxConfig().split('\n');
  const ran = c.nginx.config.split('\n');
  const changed = ran.filter((l) => !doc.includes(l));
  const dropped = doc.filter((l) => !ran.includes(l));
  assert.ok(changed.every((l) => /^\s*(server 127\.0\.0\.1:\d+ max_fails=2 fail_timeout=5s;|listen 127\.0\.0\.1:\d+;)$/.test(l)),
    changed.join('\n'));
  assert.ok(dropped.every((l) => /^\s*(server 10\.0\.0\.\d+:8080 max_fails=2 fail_timeout=5s;|listen 80;)$/.test(l)),
    dropped.join('\n'));
  assert.equal(changed.filter((l) => l.includes('listen')).length, 1);
  assert.deepEqual(changed.filter((l) => l.includes('server ')).map((l) => Number(/:(\d+)/.exec(l)[1])),
    c.nodes.map((n) => n.port));
});

test('through nginx: viewers spread over both nodes, and chat reaches all of them in one order', { skip }, async () => {
  const c = await started();
  const stream = await createStream(c, owner, { title: 'behind nginx' });
  const viewers = [];
  for (let i = 0; i < 4; i++) viewers.push(await joinChat(c, stream.id, c.token(freshUser(`v${i}`))));
  const perNode = await Promise.all(c.nodes.map(wsConnections));
  assert.ok(perNode.every((n) => n >= 1), `least_conn put viewers on every node: ${perNode}`);
  const sent = [];
  for (const [i, v] of viewers.entries()) sent.push((await sendAcked(v, `through nginx ${i}`)).data.id);
  for (const v of viewers) {
    await waitFor(() => v.ofType('message').length >= sent.length, { what: 'every message at every viewer' });
    assert.deepEqual(v.ofType('message').map((m) => m.data.id).sort(), [...sent].sort());
  }
  const orders = viewers.map((v) => v.ofType('message').map((m) => m.data.id).join());
  assert.equal(new Set(orders).size, 1, 'one order on both nodes');
  // The count is the same through nginx whichever node answers.
  await waitFor(async () => {
    const answers = await Promise.all([0, 1, 2, 3].map(async () =>
      (await api(c, 'GET', `/api/v1/streams/${stream.id}`, { token: c.token(owner) })).json.viewers));
    return answers.every((n) => n === 4);
  }, { timeoutMs: 5000, intervalMs: 100, what: '4 viewers from every answer' });
  for (const v of viewers) await v.close();
});

test('/metrics is not served through nginx; the probes and REST are', { skip }, async () => {
  const c = await started();
  assert.equal((await api(c, 'GET', '/metrics')).status, 404);
  assert.equal((await api(c, 'GET', '/readyz')).status, 200);
  assert.equal((await api(c, 'GET', '/healthz')).status, 200);
  const list = await api(c, 'GET', '/api/v1/streams');
  assert.equal(list.status, 200);
  // Bodies up to sorakd's own 64 KiB limit get through; past it sorakd's JSON 413, not nginx's page.
  const big = await api(c, 'POST', '/api/v1/streams', { token: c.token(owner), body: { title: 'x'.repeat(70000) } });
  assert.equal(big.status, 413);
});

test('--trusted-proxy: the per-address caps count the client nginx names, not nginx', { skip }, async () => {
  // Its own node behind nginx (the caps are counted per node): at most 2 WebSockets per client
  // address, trusting loopback (nginx).
  const c = await startNginxCluster({ count: 1, args: ['--max-connections-per-ip', '2', '--trusted-proxy', '127.0.0.1'] });
  const stream = await createStream(c, owner, { title: 'capped behind nginx' });
  const from = (addr) => ({ wsOptions: { headers: { 'X-Forwarded-For': addr } } });
  const open = [];
  for (let i = 0; i < 2; i++) open.push(await openWs(c, stream.id, c.token(freshUser(`a${i}`)), from('203.0.113.7')));
  await assert.rejects(openWs(c, stream.id, c.token(freshUser('a2')), from('203.0.113.7')), /429/,
    'a third from one client address is refused');
  // Another client behind the same nginx is not counted with it.
  for (let i = 0; i < 2; i++) open.push(await openWs(c, stream.id, c.token(freshUser(`b${i}`)), from('198.51.100.4')));
  // What a client writes itself is left of what nginx appends: it cannot pose as another.
  await assert.rejects(openWs(c, stream.id, c.token(freshUser('b2')), from('192.0.2.1, 198.51.100.4')), /429/);
  await open[0].close();
  // Its place comes back once the node sees nginx close the upstream connection (a moment after the client's close).
  await waitFor(async () => {
    try {
      open.push(await openWs(c, stream.id, c.token(freshUser('a3')), from('203.0.113.7')));
      return true;
    } catch (e) {
      if (/429/.test(String(e.message))) return false;
      throw e;
    }
  }, { timeoutMs: 5000, intervalMs: 100, what: 'the closed connection\'s place to come back' });
  for (const w of open.slice(1)) await w.close();
  for (const n of c.nodes) await n.stop();
  await c.nginx.stop();
});

test('a node killed with kill -9: REST keeps answering through nginx, and its viewers come back with since= missing nothing', { skip }, async () => {
  const c = await started();
  const stream = await createStream(c, owner, { title: 'a node dies behind nginx' });
  const claims = [0, 1, 2, 3].map((i) => freshUser(`k${i}`));
  const viewers = [];
  for (const cl of claims) viewers.push(await joinChat(c, stream.id, c.token(cl)));
  const first = await sendAcked(viewers[0], 'before the crash');
  for (const v of viewers) await v.next((e) => e.type === 'message' && e.data.id === first.data.id);
  const [, victim] = c.nodes;
  const onVictim = await wsConnections(victim);
  assert.ok(onVictim >= 1, 'a viewer is on the node that dies');
  await victim.kill9();
  // Viewers on the dead node see their connection close; the others stay.
  await waitFor(() => viewers.some((v) => v.closeInfo !== null), { timeoutMs: 5000, what: 'a viewer cut by the crash' });
  await sleep(500);  // nginx closes the dead node's connections one by one
  const cut = viewers.filter((v) => v.closeInfo !== null);
  const alive = viewers.find((v) => v.closeInfo === null);
  assert.ok(alive, 'the viewers on the other node stay connected');
  assert.ok(cut.length <= onVictim, `only the dead node's viewers were cut (${cut.length} of ${onVictim} there)`);
  const missed = [];
  for (let i = 0; i < 3; i++) missed.push((await sendAcked(alive, `while a node is dead ${i}`)).data.id);
  // REST through nginx: every request answered (the dead node is skipped).
  for (let i = 0; i < 10; i++) {
    const res = await api(c, 'GET', `/api/v1/streams/${stream.id}/chat/history`, { token: c.token(owner) });
    assert.equal(res.status, 200, `request ${i}: ${res.status} ${res.text}`);
    assert.deepEqual(res.json.messages.slice(-3).map((m) => m.id), missed);
  }
  for (const v of cut) {
    const k = viewers.indexOf(v);
    const back = await joinChat(c, stream.id, c.token(claims[k]), { since: first.data.id });
    assert.equal(back.history.recovered, true);
    assert.deepEqual(back.history.data.map((m) => m.id), missed, 'exactly what was sent while it was away, in order');
    await back.close();
  }
  for (const v of viewers) if (v.closeInfo === null) await v.close();
});
