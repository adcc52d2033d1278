// Text a client chooses reaches sorakd's log quoted: a user id with a newline
// in it cannot split a log line and forge a second one that an operator (or a
// log shipper) would take for the server's own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createStream, joinChat, startServer } from './lib/server.mjs';

const FORGED = '2026-01-01T00:00:00.000Z info admin logged in';
let server;

before(async () => {
  server = await startServer({ args: ['--log-level', 'debug'] });
});
after(async () => {
  await server?.stop();
});

test('a user id with a newline and a terminal escape is logged as one quoted, escaped value', async () => {
  const stream = await createStream(server);
  const sub = `mallory\n${FORGED}\u001b[2J`;
  const chat = await joinChat(server, stream.id, server.token({ sub, username: 'mallory', display_name: 'Mallory' }));
  await chat.close();
  let log = '';
  for (let i = 0; i < 50 && !/ws: close user=/.test(log); i++) {
    await sleep(50);
    log = server.stderrTail();
  }
  const lines = log.split('\n');
  assert.ok(lines.some((l) => l.includes('ws: join user="mallory\\n2026-01-01T00:00:00.000Z info admin logged in\\u001b[2J"')),
    `the join line carries the id quoted and escaped:\n${log}`);
  assert.ok(lines.some((l) => /ws: close user="mallory\\n/.test(l)), `the close line too:\n${log}`);
  assert.ok(!lines.some((l) => l.startsWith(FORGED)), `no forged line:\n${log}`);
  assert.ok(!log.includes('\u001b[2J'), 'no raw terminal escape from the client');
});
