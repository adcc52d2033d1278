// The web pages and assets as a hostile client sees them: every way out of
// the web dir (plain "..", percent-encoded %2e%2e and %2f, backslashes,
// absolute paths, a symlink pointing out) is refused with a JSON error and
// leaks nothing; pages and assets carry the right Content-Type and caching
// headers; unknown API paths keep their JSON 404; the dev token endpoint
// exists only under --dev.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { api, openWs, startServer, tempDir } from './lib/server.mjs';

const repoWeb = resolve(dirname(fileURLToPath(import.meta.url)), '../../web');
const SECRET = 'TOP-SECRET-OUTSIDE-THE-WEB-DIR';
let server, devServer, outside;

// A raw GET with the target exactly as given (fetch would normalise "..").
function rawGet(srv, target) {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path: target, method: 'GET' }, (r) => {
      let body = '';
      r.on('data', (d) => { body += d; });
      r.on('end', () => res({ status: r.statusCode, headers: r.headers, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

before(async () => {
  // A copy of web/ with a secret beside it and a symlink pointing out to it.
  const base = tempDir();
  const web = join(base, 'web');
  cpSync(repoWeb, web, { recursive: true });
  outside = join(base, 'secret.js');
  writeFileSync(outside, SECRET);
  writeFileSync(join(base, 'secret.html'), SECRET);
  symlinkSync(outside, join(web, 'assets', 'escape.js'));
  mkdirSync(join(web, 'assets', 'sub'));
  writeFileSync(join(web, 'assets', 'sub', 'x.js'), SECRET);
  server = await startServer({ args: ['--web-dir', web] });
  devServer = await startServer({ args: ['--dev'] });
});

test('each page is served as HTML with a no-cache policy and a strict CSP', async () => {
  for (const path of ['/', '/s/100001', '/s/100001/stats', '/overlay/100001', '/s/01a2133c-3674-7000-af06-2ac10bf241a2']) {
    const res = await rawGet(server, path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', path);
    assert.equal(res.headers['cache-control'], 'no-cache', path);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
    assert.match(res.headers['content-security-policy'], /script-src 'self'/, path);
    assert.match(res.body, /^<!doctype html>/i, path);
  }
  assert.match((await rawGet(server, '/s/100001')).body, /src="\/assets\/chat\.js"/);
  assert.match((await rawGet(server, '/overlay/100001')).body, /overlay\.css/);
});

test('assets have their content types and a short public cache', async () => {
  const types = { '/assets/chat.js': 'text/javascript; charset=utf-8', '/assets/style.css': 'text/css; charset=utf-8',
    '/assets/favicon.svg': 'image/svg+xml' };
  for (const [path, type] of Object.entries(types)) {
    const res = await rawGet(server, path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers['content-type'], type, path);
    assert.equal(res.headers['cache-control'], 'public, max-age=300', path);
  }
  const head = await api(server, 'HEAD', '/assets/chat.js');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
});

test('traversal, encoded traversal, backslashes, absolute paths and symlinks out are refused as JSON', async () => {
  const attempts = [
    '/assets/../../secret.js', '/assets/..', '/assets/%2e%2e', '/assets/%2E%2E/secret.js',
    '/assets/..%2f..%2fsecret.js', '/assets/%2e%2e%2f%2e%2e%2fsecret.js', '/assets/..%5c..%5csecret.js',
    '/assets/..\\..\\secret.js', '/assets/%2fetc%2fpasswd', '/assets//etc/passwd', '/assets/%00.js',
    '/assets/escape.js', '/assets/sub/x.js', '/assets/sub%2fx.js', '/assets/.hidden.js', '/../secret.html',
    '/s/..%2f..%2fsecret.html', '/s/%2e%2e', '/overlay/..', '/index.html', '/chat.html', '/assets/',
    '/assets/%252e%252e%252fsecret.js', '//etc/passwd', '/web/index.html',
  ];
  for (const target of attempts) {
    const res = await rawGet(server, target);
    assert.ok(res.status === 400 || res.status === 404, `${target} → ${res.status}`);
    assert.equal(res.headers['content-type'], 'application/json', target);
    const body = JSON.parse(res.body);
    assert.equal(typeof body.error, 'string', target);
    assert.ok(['not_found', 'invalid_path', 'bad_request'].includes(body.code), `${target} → ${body.code}`);
    assert.ok(!res.body.includes(SECRET), `${target} leaked the secret`);
  }
  assert.equal((await rawGet(server, '/assets/%2e%2e')).status, 400);
  assert.equal(JSON.parse((await rawGet(server, '/assets/..%5c..%5csecret.js')).body).code, 'invalid_path');
});

test('unknown paths keep their JSON 404; pages take only GET and HEAD', async () => {
  for (const path of ['/api/v1/nope', '/api/v1/streams/100001/nope', '/nope', '/s', '/s/100001/stats/more', '/assets']) {
    const res = await api(server, 'GET', path);
    assert.equal(res.status, 404, path);
    assert.equal(res.json?.code, 'not_found', path);
  }
  const post = await api(server, 'POST', '/s/100001', { body: {} });
  assert.equal(post.status, 405);
  assert.equal(post.json.code, 'method_not_allowed');
});

test('a --web-dir that does not exist stops sorakd at start-up with a message', async () => {
  await assert.rejects(startServer({ args: ['--web-dir', join(tempDir(), 'missing')] }), /web-dir|Directory does not exist/i);
});

test('POST /api/v1/dev/token mints a working token under --dev, and does not exist otherwise', async () => {
  const made = await api(devServer, 'POST', '/api/v1/dev/token', { body: { username: 'alice', display_name: 'Alice Chen 🎤' } });
  assert.equal(made.status, 201, made.text);
  assert.deepEqual(made.json.user, { id: 'alice', username: 'alice', display_name: 'Alice Chen 🎤', avatar_url: '', level: 0, is_premium: false });
  assert.equal(made.json.expires_in, 86400);
  // The token works: it opens the chat and sends as Alice.
  const ws = await openWs(devServer, '100001', made.json.token);
  const hist = await ws.next('history');
  assert.ok(Array.isArray(hist.data));
  ws.send({ type: 'message', content: 'hello via dev login', client_id: 'd-1' });
  const echo = await ws.next((e) => e.type === 'message' && e.data.content === 'hello via dev login');
  assert.equal(echo.data.user.display_name, 'Alice Chen 🎤');
  await ws.close();

  for (const body of [{}, { username: '' }, { username: 'a b' }, { username: 'x'.repeat(33) }, { username: '<b>' },
    { username: 'ok', display_name: 'bad\u0001' }, { username: 'ok', level: -1 }, { username: 'ok', premium: 'yes' }]) {
    const res = await api(devServer, 'POST', '/api/v1/dev/token', { body });
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.json.code, 'invalid_field', JSON.stringify(body));
  }
  assert.equal((await api(devServer, 'POST', '/api/v1/dev/token', { body: 'nope' })).json.code, 'invalid_json');

  for (const method of ['POST', 'GET']) {
    const res = await api(server, method, '/api/v1/dev/token', method === 'POST' ? { body: { username: 'alice' } } : {});
    assert.equal(res.status, 404, method);
    assert.equal(res.json.code, 'not_found');
  }
});
