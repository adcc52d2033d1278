// listen.test.mjs: each worker listens on its own socket of one port
// (SO_REUSEPORT). That must not let a second sorakd share a port that is
// taken: it exits 1 saying so, and the first one keeps every connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { SORAKD, startServer, createStream, joinChat, freshUser, sendAcked, tempDir, waitFor } from './lib/server.mjs';

function runToExit(args, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const child = spawn(SORAKD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`still running after ${timeoutMs} ms: ${out}`)); }, timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test('a second sorakd on a port in use exits 1, and the first keeps serving on it', async () => {
  const server = await startServer();
  try {
    const stream = await createStream(server, { sub: 'owner', username: 'owner' });
    const dir = tempDir();
    const second = await runToExit([
      '--listen', `127.0.0.1:${server.port}`,
      '--store', `sqlite:${dir}/other.db`, '--data-dir', dir, '--jwt-secret', server.secret,
    ]);
    assert.equal(second.code, 1, second.out);
    assert.match(second.out, /Cannot listen on 127\.0\.0\.1:\d+: Address already in use/);

    // Every new connection still reaches the first server, on both of its workers.
    const clients = [];
    for (let i = 0; i < 40; i++) clients.push(await joinChat(server, stream.id, server.token(freshUser('v'))));
    const ack = await sendAcked(clients[0], 'still here');
    const got = (c) => c.ofType('message').some((m) => m.data.id === ack.data.id);
    await waitFor(() => clients.every(got), {
      what: () => `every viewer to get the message (${clients.filter(got).length} of ${clients.length})`,
    });
    for (const c of clients) c.close();
  } finally {
    await server.stop();
  }
});
