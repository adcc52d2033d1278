// retention.test.mjs: --retention-days (CONTRACT §12) against the real sorakd, on SQLite and
// (integration-pg.retention) on PostgreSQL, where the old rows fill a whole month partition that
// the pass drops.
//
// The old rows are written before sorakd starts by `sorak-seed` (bench/seed_store.cpp), through
// the project's own store code, into the very store the server then opens: a stream that began
// 41 days ago with 30 messages 40 days ago (every third a star gift, from nine users, six of whom
// never speak again), 20 messages 2 days ago (every fourth a gift, three users), and two sent live.
// With --retention-days 7 exactly the 30 old ones must go from history, replay and the Showroom
// feed, every other one must stay, and the figures a user sees (totals, stars, gifts, top
// chatters and gifters, the leaderboard) must not move, after the pass and after restarts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  startServer, tempDir, createDatabase, ON_POSTGRES, api, allHistory, joinChat, sendAcked, freshUser, waitFor,
} from './lib/server.mjs';
import { seedStore, metric } from './lib/seed.mjs';

const DAY = 86_400_000;
const now = Date.now();
const startedAt = now - 41 * DAY;
const oldAt = now - 40 * DAY;
const newAt = now - 2 * DAY;
const ROOM = '731001';

let dir;
let storeUrl;
let streamId;
let secret;
let adminKey;
let apiKey;
let before_;  // what a user saw before any pruning

const serverArgs = (extra = []) => ['--store', storeUrl, '--rate-limit', '0', ...extra];

async function start(extra = []) {
  const server = await startServer({ dataDir: dir, secret, adminKey, args: serverArgs(extra) });
  secret = server.secret;
  adminKey = server.adminKey;
  return server;
}

// Everything a reader can see of the stream, through the public API.
async function look(server) {
  const token = server.token(freshUser('reader'));
  const history = (await allHistory(server, streamId, token)).messages.map((m) => m.id);
  const feedRes = await api(server, 'GET', `/api/jkt48/chat-stream-sr?room_id=${ROOM}&apikey=${apiKey}&limit=1000`);
  assert.equal(feedRes.status, 200, feedRes.text);
  const replay = async (fromMs) => {
    const from = Math.floor((fromMs - startedAt) / 1000) - 1;
    const res = await api(server, 'GET', `/api/v1/streams/${streamId}/chat/replay?from=${from}&to=${from + 3600}`, { token });
    assert.equal(res.status, 200, res.text);
    return res.json.data.map((m) => m.id);
  };
  const stats = await api(server, 'GET', `/api/v1/streams/${streamId}/stats?top=100`, { token });
  assert.equal(stats.status, 200, stats.text);
  const board = await api(server, 'GET', `/api/v1/streams/${streamId}/gifts/leaderboard?limit=100`, { token });
  assert.equal(board.status, 200, board.text);
  const s = stats.json;
  return {
    history,
    feed: feedRes.json.chat_messages.map((m) => m.id).reverse(),
    feedStats: { ...feedRes.json.stats, messages_per_minute: undefined },
    replayOld: await replay(oldAt),
    replayNew: await replay(newAt),
    figures: {
      total_messages: s.total_messages, chat_messages: s.chat_messages, unique_users: s.unique_users,
      total_stars: s.total_stars, gift_count: s.gift_count, top_gifts: s.top_gifts, gifts: s.gifts,
      top_chatters: s.top_chatters.map((e) => [e.user.id, e.user.display_name, e.messages]),
      top_gifters: s.top_gifters.map((e) => [e.user.id, e.stars, e.gifts]),
    },
    leaderboard: board.json.leaderboard.map((e) => [e.user.id, e.stars, e.gifts]),
  };
}

let oldIds;
let keptIds;

before(async () => {
  dir = tempDir();
  storeUrl = ON_POSTGRES ? createDatabase().url : `sqlite:${join(dir, 'sorak.db')}`;
  const [old] = seedStore(dir, ['--store', storeUrl, '--room-id', ROOM, '--started-at-ms', String(startedAt),
    '--messages', '30', '--start-ms', String(oldAt), '--step-ms', '60000', '--gift-every', '3', '--users', '9']);
  streamId = old.stream_id;
  seedStore(dir, ['--store', storeUrl, '--stream', streamId, '--messages', '20', '--start-ms', String(newAt),
    '--step-ms', '60000', '--gift-every', '4', '--users', '3']);

  // The first server keeps everything: two live messages, then what a reader sees.
  const server = await start();
  apiKey = (await api(server, 'POST', '/api/v1/admin/api-keys', { headers: server.admin, body: { name: 'ret' } })).json.key;
  const fan = await joinChat(server, streamId, server.token(freshUser('fan')));
  await sendAcked(fan, 'still here today');
  fan.send({ type: 'gift', gift_id: 'star', quantity: 2, client_id: 'live-gift' });
  await fan.next((e) => e.type === 'ack' && e.client_id === 'live-gift');
  await fan.close();
  before_ = await look(server);
  await server.stop();

  const all = before_.history;
  assert.equal(all.length, 52, 'the fixture: 30 old, 20 newer, 2 live');
  oldIds = all.slice(0, 30);
  keptIds = all.slice(30);
  assert.equal(before_.replayOld.length, 30);
  assert.deepEqual(before_.replayOld, oldIds);
  assert.equal(before_.figures.total_messages, 52);
  assert.ok(before_.figures.top_chatters.some(([id]) => id === 'seed-user-8'), 'an author of old messages only');
});

test('--retention-days 7 prunes exactly the messages older than 7 days; the figures do not move', async () => {
  const server = await start(['--retention-days', '7', '--retention-interval-seconds', '1']);
  await waitFor(async () => (await metric(server, 'sorak_retention_pruned_messages_total')) === 30,
    { timeoutMs: 15000, what: '30 messages pruned' });
  const after = await look(server);
  assert.deepEqual(after.history, keptIds, 'history: every newer message, none of the old');
  assert.deepEqual(after.feed, before_.feed.filter((id) => keptIds.includes(id)), 'the Showroom feed');
  assert.equal(after.feed.length, 22);
  assert.deepEqual(after.replayOld, [], 'replay of the old part is empty');
  assert.deepEqual(after.replayNew, before_.replayNew, 'replay of the newer part is whole');
  assert.deepEqual(after.figures, before_.figures, 'stats');
  assert.deepEqual(after.feedStats, before_.feedStats, 'the Showroom stats');
  assert.deepEqual(after.leaderboard, before_.leaderboard, 'the gift leaderboard');
  for (const id of oldIds.slice(0, 3)) {
    const res = await api(server, 'GET', `/api/v1/streams/${streamId}/chat/history?before=${id}`,
      { token: server.token(freshUser('r')) });
    assert.equal(res.status, 400, 'a pruned message is no cursor any more');
  }
  // Later passes (every second here) find nothing more.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await metric(server, 'sorak_retention_pruned_messages_total'), 30);

  // Restarted, the room opens from the store: the baseline plus the messages left.
  await server.restart();
  const reopened = await look(server);
  assert.deepEqual(reopened.history, keptIds);
  assert.deepEqual(reopened.figures, before_.figures, 'stats after a restart');
  assert.deepEqual(reopened.leaderboard, before_.leaderboard, 'the leaderboard after a restart');
  assert.equal(await metric(server, 'sorak_retention_pruned_messages_total'), 0, 'nothing left to prune');

  // And counting goes on from there.
  const fan = await joinChat(server, streamId, server.token(freshUser('late')));
  await sendAcked(fan, 'one more');
  await fan.close();
  const more = await look(server);
  assert.equal(more.figures.total_messages, before_.figures.total_messages + 1);
  assert.equal(more.history.length, 23);
  await server.stop();
});

test('without --retention-days nothing is pruned', async () => {
  const server = await start();
  const seen = await look(server);
  assert.equal(seen.history.length, 23);
  assert.equal(await metric(server, 'sorak_retention_pruned_messages_total'), 0);
  await server.stop();
});

test('a negative --retention-days is refused at start', async () => {
  await assert.rejects(startServer({ dataDir: tempDir(), args: ['--retention-days', '-1'] }), /exited \(code 2/);
});
