// dev_mode.test.mjs: what `make run` (sorakd --dev) prints (CONTRACT §1): the web URL, the demo
// stream's id and room id, an API key, a broadcaster and a viewer token, and the admin key; each of
// them works, and the API key survives a restart unless it was revoked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, joinChat, sendAcked, waitFor } from './lib/server.mjs';

let server;
after(async () => { await server?.stop(); });

// The banner's value for `label`, e.g. "API key".
function shown(label) {
  const m = new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(server.stdout);
  return m?.[1];
}

async function banner() {
  await waitFor(() => shown('admin key'), { what: 'the dev banner' });
  return {
    stream: shown('demo stream id'), room: shown('demo room id'), apiKey: shown('API key'),
    broadcaster: shown('broadcaster token'), viewer: shown('viewer token'), admin: shown('admin key'),
  };
}

test('the dev banner prints a demo stream, tokens, an admin key and an API key that all work', async () => {
  server = await startServer({ args: ['--dev'] });
  const b = await banner();
  assert.match(b.room, /^\d+$/);
  assert.match(b.apiKey, /^sk_[0-9a-f]{40}$/);
  assert.equal(b.admin, server.adminKey);

  // The broadcaster chats in the demo room; the Showroom API sees the line with the printed key.
  const chat = await joinChat(server, b.room, b.broadcaster);
  await sendAcked(chat, 'hello from the dev banner');
  await chat.close();
  const feed = await api(server, 'GET', `/api/jkt48/chat-stream-sr?room_id=${b.room}&apikey=${b.apiKey}`);
  assert.equal(feed.status, 200, feed.text);
  assert.ok(feed.json.chat_messages.some((m) => m.message === 'hello from the dev banner'), feed.text);

  // The viewer token reads history; the key is stored hashed and listed as the dev key.
  const history = await api(server, 'GET', `/api/v1/streams/${b.stream}/chat/history`, { token: b.viewer });
  assert.equal(history.status, 200, history.text);
  const keys = await api(server, 'GET', '/api/v1/admin/api-keys', { headers: server.admin });
  assert.equal(keys.status, 200, keys.text);
  assert.equal(keys.json.api_keys.length, 1);
  assert.ok(!keys.text.includes(b.apiKey), 'the key itself is never listed');

  // A restart prints the same key (it is kept in the data dir) ...
  server.stdout = '';
  await server.restart();
  const again = await banner();
  assert.equal(again.apiKey, b.apiKey);
  assert.equal(again.room, b.room, 'the same demo stream');

  // ... unless it was revoked: then a new one is made, and the old one is refused.
  assert.equal((await api(server, 'DELETE', `/api/v1/admin/api-keys/${keys.json.api_keys[0].id}`,
    { headers: server.admin })).status, 204);
  server.stdout = '';
  await server.restart();
  const fresh = await banner();
  assert.notEqual(fresh.apiKey, b.apiKey);
  const old = await api(server, 'GET', `/api/jkt48/chat-stream-sr?room_id=${b.room}&apikey=${b.apiKey}`);
  assert.equal(old.status, 401, old.text);
  const ok = await api(server, 'GET', `/api/jkt48/chat-stream-sr?room_id=${b.room}&apikey=${fresh.apiKey}`);
  assert.equal(ok.status, 200, ok.text);
});
