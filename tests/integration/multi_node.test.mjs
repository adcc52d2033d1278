// multi_node.test.mjs: two sorakd on one PostgreSQL database and one Redis
// (`--broker redis://…`) act as one server: a message sent on either node reaches
// the viewers of both, in the one stream order the store gave it, and both count the
// same statistics; a message resent with its client_id through the other node is
// stored once; a deletion and a ban made on one node take effect on the other at once; while Redis is down
// /readyz says 503 broker_unavailable, and when it is back chat flows between the
// nodes again with neither restarted, and what a node missed meanwhile its viewers
// get from the store, in order.
//
// PostgreSQL only (ctest integration-pg.multi_node): nodes share a store. Redis is
// a throwaway redis-server (lib/cluster.mjs: scripts/redis-test.sh), stopped by PID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ON_POSTGRES, startServer, createStream, joinChat, allHistory, freshUser, sendAcked, api, sleep, waitFor,
} from './lib/server.mjs';
import { startNodes } from './lib/cluster.mjs';
import { createServer } from 'node:http';

const skip = !ON_POSTGRES && 'several nodes share a store only on PostgreSQL (run as ctest integration-pg.multi_node)';
const owner = { sub: 'owner', username: 'owner' };
const PER_SENDER = 50;
const COUNT_PERIOD_MS = 2000;  // viewer counts go out this often (the default is 5000)

let cluster = null;  // lib/cluster.mjs startNodes: {redis, db, nodes}, Redis stopped when the file ends
async function nodes() {
  cluster ??= await startNodes({ count: 2, args: ['--rate-limit', '0', '--viewer-count-interval-ms', String(COUNT_PERIOD_MS), '--webhook-allow-private'] });
  return cluster;
}

const messagesOf = (client) => client.ofType('message').map((m) => m.data.id);

test('a message sent on either node reaches the viewers of both, in one stream order', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'two nodes' });
  const viewers = [await joinChat(a, stream.id, a.token(freshUser('va'))), await joinChat(b, stream.id, b.token(freshUser('vb')))];
  const senders = [await joinChat(a, stream.id, a.token(freshUser('sa'))), await joinChat(b, stream.id, b.token(freshUser('sb')))];
  await Promise.all(senders.map(async (s, n) => {
    for (let i = 0; i < PER_SENDER; i++) await sendAcked(s, `node ${n} message ${i}`);
  }));
  for (const v of viewers) {
    await waitFor(() => messagesOf(v).length >= 2 * PER_SENDER, {
      timeoutMs: 10000, what: () => `${2 * PER_SENDER} messages live (has ${messagesOf(v).length})`,
    });
  }
  const { messages } = await allHistory(b, stream.id, b.token(freshUser('reader')), { limit: 100 });
  const order = messages.map((m) => m.id);
  assert.equal(order.length, 2 * PER_SENDER);
  for (const [n, v] of viewers.entries()) {
    assert.deepEqual(messagesOf(v), order, `the viewer on node ${n} saw every message once, in the history's order`);
  }
  // Statistics counted from the messages are the same whichever node answers.
  const stats = await Promise.all([a, b].map(async (node) =>
    (await api(node, 'GET', `/api/v1/streams/${stream.id}/stats`, { token: node.token(owner) })).json));
  const counted = ({ total_messages, unique_users, chat_messages, top_chatters }) =>
    ({ total_messages, unique_users, chat_messages, top_chatters });
  assert.equal(stats[0].total_messages, 2 * PER_SENDER);
  assert.deepEqual(counted(stats[1]), counted(stats[0]), 'the same statistics from either node');
  for (const c of [...viewers, ...senders]) await c.close();
});

test('a message resent with its client_id through the other node is stored once', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'resend across nodes' });
  const user = freshUser('resender');
  // Node b has the room open already: it learns of the message through the broker.
  const viewer = await joinChat(b, stream.id, b.token(freshUser('viewer')));
  const first = await joinChat(a, stream.id, a.token(user));
  const ack1 = await sendAcked(first, 'only once', { client_id: 'resend-1' });
  await first.close();
  await waitFor(() => messagesOf(viewer).length === 1, { what: 'the message live on node b' });
  // The sender lost its connection before it saw the ack, and reconnects through the other node.
  const again = await joinChat(b, stream.id, b.token(user));
  const ack2 = await sendAcked(again, 'only once', { client_id: 'resend-1' });
  assert.equal(ack2.data.id, ack1.data.id, 'the resend is acked with the stored message');
  const { messages } = await allHistory(b, stream.id, b.token(owner));
  assert.deepEqual(messages.map((m) => m.id), [ack1.data.id], 'stored once');
  await sleep(200);
  assert.deepEqual(messagesOf(viewer), [ack1.data.id], 'and shown once');
  for (const c of [viewer, again]) await c.close();
});

test('slow mode holds across nodes: a message through one node starts the wait on the other', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'slow across nodes' });
  const set = await api(a, 'PATCH', `/api/v1/streams/${stream.id}/chat/settings`, { token: a.token(owner), body: { slow_mode_seconds: 30 } });
  assert.equal(set.status, 200, set.text);
  const user = freshUser('slowpoke');
  const onB = await joinChat(b, stream.id, b.token(user));  // node b has the room open, slow mode and all
  const onA = await joinChat(a, stream.id, a.token(user));
  const first = await sendAcked(onA, 'first, through node a');
  // That very message (the notice 'Slow mode is on' may come live to node b too, committed after the PATCH answered).
  await waitFor(() => onB.ofType('message').some((e) => e.data.id === first.data.id), { what: 'the message on node b' });
  onB.send({ type: 'message', content: 'second, through node b', client_id: 'slow-2' });
  const e = await onB.next((ev) => ev.type === 'error' || ev.type === 'ack');
  assert.equal(e.type, 'error', JSON.stringify(e));
  assert.equal(e.code, 'slow_mode');
  assert.ok(e.retry_after_ms > 25000 && e.retry_after_ms <= 30000, `retry_after_ms ${e.retry_after_ms}`);
  for (const c of [onA, onB]) await c.close();
});

test('a user\'s rate limit holds across nodes: messages through one node count on the other', { skip }, async () => {
  const { redis, db, nodes: [a] } = await nodes();
  // Two more nodes on the same Redis and database with a rate limit of 3 messages in 30 s.
  const limited = [];
  for (let n = 0; n < 2; n++) {
    limited.push(await startServer({ secret: a.secret, adminKey: a.adminKey,
      args: ['--store', db.url, '--broker', redis.url, '--rate-limit', '3/30'] }));
  }
  const [c, d] = limited;
  const stream = await createStream(c, owner, { title: 'limited across nodes' });
  const user = freshUser('chatty');
  const onD = await joinChat(d, stream.id, d.token(user));
  const onC = await joinChat(c, stream.id, c.token(user));
  await sendAcked(onC, 'one');
  await sendAcked(onC, 'two');
  await waitFor(() => onD.ofType('message').length === 2, { what: 'both messages on node d' });
  await sendAcked(onD, 'three, through the other node');
  onD.send({ type: 'message', content: 'four', client_id: 'chatty-4' });
  const e = await onD.next((ev) => ev.type === 'error' || ev.type === 'ack');
  assert.equal(e.type, 'error', JSON.stringify(e));
  assert.equal(e.code, 'rate_limited', 'three in 30 s, whichever nodes took them');
  for (const x of [onC, onD]) await x.close();
  for (const x of limited) await x.stop();
});

test('a deletion and a ban made on one node take effect on the other at once', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'moderated across nodes' });
  const path = (rest) => `/api/v1/streams/${stream.id}${rest}`;
  const viewer = await joinChat(b, stream.id, b.token(freshUser('viewer')));
  const rude = freshUser('rude');
  const author = await joinChat(b, stream.id, b.token(rude));
  const bad = (await sendAcked(author, 'something rude')).data.id;

  assert.equal((await api(a, 'DELETE', path(`/chat/messages/${bad}`), { token: a.token(owner) })).status, 204);
  assert.deepEqual(await viewer.next('message_deleted'), { type: 'message_deleted', data: { message_id: bad } });

  const ban = await api(a, 'POST', path('/bans'), { token: a.token(owner), body: { user_id: rude.sub, reason: 'spam' } });
  assert.ok(ban.status >= 200 && ban.status < 300, ban.text);
  await waitFor(async () => {
    author.send({ type: 'message', content: 'again' });
    const e = await author.next((ev) => ev.type === 'error' || ev.type === 'ack', 2000);
    return e.type === 'error' && e.code === 'banned';
  }, { timeoutMs: 3000, what: 'the ban made on node a refuses on node b' });
  for (const c of [viewer, author]) await c.close();
});

test('a blocked term and a pin made on one node hold on the other at once', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'terms and pins across nodes' });
  const path = (rest) => `/api/v1/streams/${stream.id}${rest}`;
  const fan = await joinChat(b, stream.id, b.token(freshUser('fan')));
  const said = (await sendAcked(fan, 'read the rules please')).data.id;
  assert.equal((await api(a, 'POST', path('/chat/blocked-terms'), { token: a.token(owner), body: { term: 'Spoiler' } })).status, 201);
  await waitFor(async () => {
    fan.send({ type: 'message', content: 'ＳＰＯＩＬＥＲ: he wins' });
    const e = await fan.next((ev) => ev.type === 'error' || ev.type === 'ack', 2000);
    return e.type === 'error' && e.code === 'blocked_term';
  }, { timeoutMs: 3000, what: 'the term added on node a refuses on node b' });
  assert.equal((await api(a, 'POST', path('/chat/pin'), { token: a.token(owner), body: { message_id: said } })).status, 200);
  assert.equal((await fan.next('pinned')).data.id, said, 'the pin made on node a reaches a viewer on node b');
  assert.equal((await api(b, 'GET', path('/chat/pin'), { token: b.token(freshUser()) })).json.data.id, said);
  const late = await joinChat(b, stream.id, b.token(freshUser('late')));
  assert.equal((await late.next('pinned')).data.id, said);
  for (const c of [fan, late]) await c.close();
});

test('a poll across nodes: one vote per user whichever node takes it, counts and the final result on both', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'a poll across nodes' });
  const onA = await joinChat(a, stream.id, a.token(freshUser('on-a')));
  const onB = await joinChat(b, stream.id, b.token(freshUser('on-b')));
  const created = await api(b, 'POST', `/api/v1/streams/${stream.id}/polls`, {
    token: b.token(owner), body: { question: 'Which?', options: ['left', 'right'], duration_seconds: 10 } });
  assert.equal(created.status, 201, created.text);
  const pollId = created.json.data.id;
  assert.equal((await onA.next('poll')).data.id, pollId, 'the poll opened on node b reaches node a');
  const vote = (c, option) => {
    c.send({ type: 'vote', poll_id: pollId, option });
    return c.next((e) => e.type === 'voted' || e.type === 'error', 5000);
  };
  // One user on both nodes at once: one vote counts.
  const twice = freshUser('twice');
  const [t1, t2] = [await joinChat(a, stream.id, a.token(twice)), await joinChat(b, stream.id, b.token(twice))];
  const answers = await Promise.all([vote(t1, 0), vote(t2, 1)]);
  assert.deepEqual(answers.map((e) => e.type).sort(), ['error', 'voted'], JSON.stringify(answers));
  assert.equal(answers.find((e) => e.type === 'error').code, 'already_voted');
  assert.equal((await vote(onA, 1)).type, 'voted');
  assert.equal((await vote(onB, 1)).type, 'voted');
  for (const c of [onA, onB]) {
    const final = await c.next((e) => e.type === 'poll' && e.data.status === 'closed', 15000);
    assert.equal(final.data.total_votes, 3);
  }
  await sleep(1500);
  for (const c of [onA, onB]) assert.equal(c.ofType('poll').filter((e) => e.data.status === 'closed').length, 1, 'one final result per viewer');
  for (const c of [onA, onB, t1, t2]) await c.close();
});

test('a webhook registered on one node gets every event of both nodes once, each from the node where it happened', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const got = [];
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => { got.push(JSON.parse(Buffer.concat(chunks).toString('utf8'))); res.writeHead(204).end(); });
  });
  await new Promise((res) => receiver.listen(0, '127.0.0.1', res));
  const stream = await createStream(a, owner, { title: 'hooked twice' });
  const hook = await api(a, 'POST', '/api/v1/admin/webhooks', { headers: a.admin,
    body: { url: `http://127.0.0.1:${receiver.address().port}/`, events: ['message', 'moderation'], stream_id: stream.id } });
  assert.equal(hook.status, 201, hook.text);
  await sleep(2500);  // node b reads the webhooks again within 2 s
  const senders = [await joinChat(a, stream.id, a.token(freshUser('ha'))), await joinChat(b, stream.id, b.token(freshUser('hb')))];
  const acked = [];
  await Promise.all(senders.map(async (s, n) => {
    for (let i = 0; i < 25; i++) acked.push((await sendAcked(s, `hooked ${n}.${i}`)).data.id);
  }));
  const ban = await api(b, 'POST', `/api/v1/streams/${stream.id}/bans`, { token: b.token(owner), body: { user_id: 'spammer-9' } });
  assert.ok(ban.status < 300, ban.text);
  await waitFor(() => got.filter((d) => d.event === 'message').length >= 50 && got.some((d) => d.type === 'ban'),
    { timeoutMs: 15000, what: () => `50 messages and the ban at the receiver (has ${got.length})` });
  await sleep(2000);  // a duplicate from the other node would have come by now
  const ids = got.map((d) => d.id);
  assert.equal(new Set(ids).size, ids.length, 'no delivery twice');
  assert.deepEqual(got.filter((d) => d.event === 'message').map((d) => d.data.id).sort(), [...acked].sort(),
    'each message once, whichever node took it');
  assert.equal(got.filter((d) => d.type === 'ban').length, 1, 'the ban once');
  const log = (await api(b, 'GET', `/api/v1/admin/webhooks/${hook.json.id}/deliveries?limit=200`, { headers: b.admin })).json;
  assert.equal(log.deliveries.length, got.length, 'one delivery log, whichever node is asked');
  for (const c of senders) await c.close();
  receiver.close();
});

test('a node with no room of the stream shows the viewers of the others: the stream, the list, the Showroom API', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'watched on one node' });
  const viewers = [await joinChat(a, stream.id, a.token(freshUser('w1'))), await joinChat(a, stream.id, a.token(freshUser('w2')))];
  const apiKey = (await api(b, 'POST', '/api/v1/admin/api-keys', { headers: b.admin, body: { name: 'counts' } })).json.key;
  const onB = async () => {
    const one = await api(b, 'GET', `/api/v1/streams/${stream.id}`, { token: b.token(owner) });
    const list = await api(b, 'GET', '/api/v1/streams?status=live', { token: b.token(owner) });
    const showroom = await api(b, 'GET', `/api/jkt48/live/showroom?apikey=${apiKey}`);
    return [one.json.viewers, list.json.streams.find((x) => x.id === stream.id)?.viewers,
      showroom.json.live_streams.find((x) => x.room_id === stream.room_id)?.viewers];
  };
  let seen = [];
  await waitFor(async () => { seen = await onB(); return seen.every((v) => v === 2); }, {
    timeoutMs: COUNT_PERIOD_MS + 3000, intervalMs: 100, what: () => `node b to show 2 viewers everywhere (${seen})`,
  });
  await viewers[1].close();
  await waitFor(async () => { seen = await onB(); return seen.every((v) => v === 1); }, {
    timeoutMs: COUNT_PERIOD_MS + 3000, intervalMs: 100, what: () => `node b to show 1 viewer once one left (${seen})`,
  });
  await viewers[0].close();
});

test('Redis killed: /readyz says broker_unavailable; restarted: chat flows between the nodes again', { skip }, async () => {
  const { redis, nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'redis restarts' });
  const viewer = await joinChat(b, stream.id, b.token(freshUser('viewer')));
  const sender = await joinChat(a, stream.id, a.token(freshUser('sender')));
  await sendAcked(sender, 'before');
  await viewer.next('message');

  const metric = async (node, name) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await api(node, 'GET', '/metrics')).text)?.[1]);
  assert.equal(await metric(b, 'sorak_broker_connected'), 1);
  const recoveredBefore = await metric(b, 'sorak_broker_recovered_total');

  redis.kill9();
  await waitFor(async () => (await api(a, 'GET', '/readyz')).status === 503, { timeoutMs: 5000, what: '/readyz 503' });
  assert.equal((await api(a, 'GET', '/readyz')).json.code, 'broker_unavailable');
  assert.equal(await metric(a, 'sorak_broker_connected'), 0);
  const missed = [];
  for (let i = 0; i < 5; i++) missed.push((await sendAcked(sender, `while redis is down ${i}`)).data.id);
  assert.equal(missed.length, 5, 'chat is still taken and stored');

  redis.restart();
  await waitFor(async () => (await api(a, 'GET', '/readyz')).status === 200 && (await api(b, 'GET', '/readyz')).status === 200,
    { timeoutMs: 10000, what: 'both nodes ready again' });
  const id = (await sendAcked(sender, 'after')).data.id;
  await waitFor(() => messagesOf(viewer).includes(id), { timeoutMs: 5000, what: 'the message sent after the restart on node b' });
  await sleep(200);
  const { messages } = await allHistory(b, stream.id, b.token(freshUser('reader')));
  assert.equal(messages.length, 7);
  assert.deepEqual(messagesOf(viewer), messages.map((m) => m.id),
    'the viewer on node b got what was sent while Redis was down (read from the store), in order, once');
  assert.equal(await metric(b, 'sorak_broker_connected'), 1);
  // The 5 sent while Redis was down are read from the store. So may be 'after' too: it is committed
  // before it is published, and node b reads the store when Redis is back or when 'after' arrives past
  // the gap, whichever comes first (the viewer got it once either way, asserted above).
  const recovered = await metric(b, 'sorak_broker_recovered_total') - recoveredBefore;
  assert.ok(recovered === 5 || recovered === 6, `node b read the 5 back (and perhaps 'after'): ${recovered}`);
  for (const c of [viewer, sender]) await c.close();
});

test('a deletion and a ban made while Redis is down reach the other node once it is back', { skip }, async () => {
  const { redis, nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'moderated during an outage' });
  const path = (rest) => `/api/v1/streams/${stream.id}${rest}`;
  const viewer = await joinChat(b, stream.id, b.token(freshUser('viewer')));
  const rude = freshUser('rude');
  const author = await joinChat(b, stream.id, b.token(rude));
  const bad = (await sendAcked(author, 'something rude')).data.id;
  const pinnable = (await sendAcked(viewer, 'welcome all')).data.id;
  await viewer.next('message');
  // Node a has the room open too (its own viewer), as a moderator's node would.
  const mod = await joinChat(a, stream.id, a.token(owner));
  await waitFor(() => mod.ofType('history').length > 0, { what: 'the room open on node a' });

  redis.kill9();
  await waitFor(async () => (await api(a, 'GET', '/readyz')).status === 503, { timeoutMs: 5000, what: '/readyz 503' });
  assert.equal((await api(a, 'DELETE', path(`/chat/messages/${bad}`), { token: a.token(owner) })).status, 204);
  const ban = await api(a, 'POST', path('/bans'), { token: a.token(owner), body: { user_id: rude.sub, reason: 'spam' } });
  assert.ok(ban.status >= 200 && ban.status < 300, ban.text);
  assert.equal((await api(a, 'POST', path('/chat/blocked-terms'), { token: a.token(owner), body: { term: 'leak' } })).status, 201);
  assert.equal((await api(a, 'POST', path('/chat/pin'), { token: a.token(owner), body: { message_id: pinnable } })).status, 200);
  await sleep(300);
  assert.equal(viewer.ofType('message_deleted').length, 0, 'node b cannot know yet');
  assert.equal(viewer.ofType('pinned').length, 0, 'node b cannot know of the pin yet');

  redis.restart();
  await waitFor(async () => (await api(b, 'GET', '/readyz')).status === 200, { timeoutMs: 10000, what: 'node b ready again' });
  assert.deepEqual(await viewer.next('message_deleted', 5000), { type: 'message_deleted', data: { message_id: bad } },
    'the viewer on node b is told of the deletion made while Redis was down');
  author.send({ type: 'message', content: 'again', client_id: 'after-the-ban' });
  const e = await author.next((ev) => ev.type === 'error' || ev.type === 'ack', 3000);
  assert.equal(e.type, 'error');
  assert.equal(e.code, 'banned', 'the ban made through node a while Redis was down refuses on node b');
  assert.equal((await viewer.next('pinned', 5000)).data.id, pinnable, 'the pin made while Redis was down reaches node b');
  viewer.send({ type: 'message', content: 'LEAK', client_id: 'after-the-term' });
  const refused = await viewer.next((ev) => ev.type === 'error' || (ev.type === 'ack' && ev.client_id === 'after-the-term'), 3000);
  assert.equal(refused.code, 'blocked_term', 'the term added while Redis was down refuses on node b');
  await sleep(200);
  assert.equal(viewer.ofType('message_deleted').length, 1, 'told once');
  for (const c of [viewer, author, mod]) await c.close();
});

// Last: it kills node b.
test('a node killed with kill -9: its viewers leave the count within 10 s, and reconnect to the other with since= missing nothing', { skip }, async () => {
  const { nodes: [a, b] } = await nodes();
  const stream = await createStream(a, owner, { title: 'a node dies' });
  const watcher = await joinChat(a, stream.id, a.token(freshUser('watcher')));
  const claims = [freshUser('on-b-1'), freshUser('on-b-2')];
  const onB = [];
  for (const c of claims) onB.push(await joinChat(b, stream.id, b.token(c)));
  const counts = () => watcher.ofType('viewer_count').map((e) => e.data.count);
  await waitFor(() => counts().at(-1) === 3, { timeoutMs: 3 * COUNT_PERIOD_MS + 2000, what: () => `a count of 3 on node a (${counts()})` });

  const sender = await joinChat(a, stream.id, a.token(freshUser('sender')));
  await sendAcked(sender, 'seen by all');
  const lastSeen = await Promise.all(onB.map((c) => c.next('message')));
  await b.kill9();
  const killed = Date.now();
  const missed = [];
  for (let i = 0; i < 3; i++) missed.push((await sendAcked(sender, `while b is dead ${i}`)).data.id);

  // The watcher and the sender are on node a.
  await waitFor(() => counts().at(-1) === 2, { timeoutMs: 12000, what: () => `the count down to 2 on node a (${counts()})` });
  const took = Date.now() - killed;
  assert.ok(took <= 10000, `node b's viewers left the count ${took} ms after it died (within 10 s)`);

  for (const [k, c] of claims.entries()) {
    const back = await joinChat(a, stream.id, a.token(c), { since: lastSeen[k].data.id });
    assert.equal(back.history.recovered, true);
    assert.deepEqual(back.history.data.map((m) => m.id), missed, 'exactly what was sent while it reconnected, in order');
    await back.close();
  }
  for (const c of [watcher, sender]) await c.close();
});
