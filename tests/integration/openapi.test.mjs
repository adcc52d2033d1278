// openapi.test.mjs: docs/openapi.yaml against the real server.
//
//  - the spec is a well-formed OpenAPI 3.1 document whose schemas compile (Ajv, JSON Schema 2020-12);
//  - every route sorakd registers (the `r.add("METHOD", path, …)` calls in src/http, and the
//    WebSocket upgrade path) is an operation of the spec, and every operation of the spec is a route:
//    a new endpoint without a spec fails here, and so does a spec'd endpoint the server lacks;
//  - GET /api/openapi.yaml serves docs/openapi.yaml byte for byte;
//  - every operation is called at least once against a real sorakd (successes and the main errors),
//    and every answer is checked: its status is declared for that operation, its Content-Type is
//    declared for that status, its body validates against the declared schema (strict: the objects
//    whose keys the server fixes allow no others and require every key it always sends), and the
//    headers declared for it are present. A request body the test expects the server to accept is
//    also checked against the operation's request schema.
//
// An operation whose route this sorakd binary does not serve (404 "No such endpoint" / 405) fails
// with a message naming it; the last test lists every operation that was not exercised and why.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import {
  startServer, createStream, joinChat, openWs, sendAcked, api, freshUser, unknownId, waitFor, sleep, tempDir,
} from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../..');
const SPEC_FILE = join(ROOT, 'docs/openapi.yaml');
const HTTP_SRC = join(ROOT, 'src/http');

const specBytes = readFileSync(SPEC_FILE);
const spec = YAML.parse(specBytes.toString('utf8'), { uniqueKeys: true });

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Every operation of the spec: "METHOD /path" → {method, path, op, item}.
const operations = new Map();
for (const [path, item] of Object.entries(spec.paths ?? {})) {
  for (const m of METHODS) if (item[m]) operations.set(`${m.toUpperCase()} ${path}`, { method: m.toUpperCase(), path, op: item[m], item });
}

// ---- the spec's own references --------------------------------------------------------------

function pointer(doc, ref) {
  assert.ok(ref.startsWith('#/'), `only local references are used: ${ref}`);
  let node = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

// An OpenAPI object (response, parameter, header, request body) with its $ref followed.
function deref(obj) {
  let seen = 0;
  while (obj && typeof obj === 'object' && typeof obj.$ref === 'string' && !obj.$ref.startsWith('#/components/schemas/')) {
    const next = pointer(spec, obj.$ref);
    assert.ok(next, `unresolved $ref ${obj.$ref}`);
    obj = next;
    assert.ok(++seen < 10, 'a $ref cycle');
  }
  return obj;
}

// ---- Ajv: the components' schemas as one JSON Schema 2020-12 document ------------------------

const ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
const SCHEMAS_ID = 'https://sorak.invalid/openapi-schemas';

// A copy of `schema` whose references to #/components/schemas/X point into the document added below.
function forAjv(schema) {
  if (Array.isArray(schema)) return schema.map(forAjv);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string') {
      assert.ok(v.startsWith('#/components/schemas/'), `a schema may only refer to #/components/schemas/…: ${v}`);
      out[k] = `${SCHEMAS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`;
    } else {
      out[k] = forAjv(v);
    }
  }
  return out;
}
ajv.addSchema({ $id: SCHEMAS_ID, $defs: forAjv(spec.components?.schemas ?? {}) });

// Ajv's errors as one line, naming the unexpected key or the allowed values where Ajv knows them.
function describeErrors(errors, root) {
  return (errors ?? []).map((e) => {
    let s = `${root}${e.instancePath} ${e.message}`;
    if (e.params?.additionalProperty !== undefined) s += ` ("${e.params.additionalProperty}")`;
    if (e.params?.allowedValues) s += ` (${JSON.stringify(e.params.allowedValues)})`;
    if (e.params?.allowedValue !== undefined) s += ` (${JSON.stringify(e.params.allowedValue)})`;
    return s;
  }).filter((s, i, all) => all.indexOf(s) === i).join('; ');
}

const compiled = new WeakMap();
function validatorFor(schema) {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile(forAjv(schema)));
  return compiled.get(schema);
}

// ---- calling the server and checking its answers -------------------------------------------

const attempted = new Map();      // "METHOD /path" → Set of statuses seen
const missingInBinary = new Map(); // "METHOD /path" → what the server said

const essence = (ct) => (ct ?? '').split(';')[0].trim().toLowerCase();

function fill(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (_, k) => {
    assert.ok(params[k] !== undefined, `${template}: no value for {${k}}`);
    return encodeURIComponent(String(params[k]));
  });
}

// A request body the server is expected to accept must satisfy the operation's request schema.
function checkRequestBody(key, op, body) {
  const rb = deref(op.requestBody);
  assert.ok(rb, `${key}: the test sends a body but the spec declares no requestBody`);
  const media = rb.content?.['application/json'];
  assert.ok(media?.schema, `${key}: requestBody has no application/json schema`);
  const v = validatorFor(media.schema);
  if (!v(body)) {
    specFail(`${key}: a request body the server should accept does not match the spec's request schema: ` +
      `${describeErrors(v.errors, 'request')}; body: ${JSON.stringify(body).slice(0, 300)}`);
  }
}

// Does this answer say the route does not exist in this binary?
function routeMissing(res) {
  if (res.status === 404 && res.json?.code === 'not_found' && /^No such endpoint/.test(res.json.error ?? '')) return 'answered 404 "No such endpoint"';
  if (res.status === 405 && res.json?.code === 'method_not_allowed') return `answered 405 (the path takes ${res.headers.get('allow')})`;
  return null;
}

// While a flow() runs, answers that do not match the spec are collected here and reported when the
// flow ends, so one drift does not hide the others; outside a flow they fail at once.
let softFailures = null;
function specFail(msg) {
  if (!softFailures) assert.fail(msg);
  // The same mismatch again (another answer of the same operation): counted, not repeated.
  const head = msg.split('\n')[0];
  const seen = softFailures.find((f) => f.head === head);
  if (seen) seen.count++;
  else softFailures.push({ head, msg, count: 1, toString() { return this.count > 1 ? `${this.msg} (and ${this.count - 1} more answers like it)` : this.msg; } });
}
// A check of the server's behaviour that should not stop the flow (reported with the spec mismatches).
function soft(cond, msg) { if (!cond) specFail(msg); }

// A test that exercises operations: it goes on past answers that do not match the spec, and fails
// at its end listing all of them (a wrong status, a missing route or a thrown error stops it at once).
function flow(name, body) {
  test(name, async (t) => {
    softFailures = [];
    let thrown;
    try { await body(t); } catch (e) { thrown = e; }
    const found = softFailures;
    softFailures = null;
    if (thrown) {
      if (found.length) thrown.message += `\n(before that, answers that did not match the spec:\n  ${found.join('\n  ')})`;
      throw thrown;
    }
    if (found.length) assert.fail(`answers that do not match docs/openapi.yaml:\n  ${found.join('\n  ')}`);
  });
}

// Checks one real answer against the spec. `res` is {status, text, json, headers} (lib/server.mjs api()).
function checkResponse(method, template, res, { expect, record = true } = {}) {
  const key = `${method} ${template}`;
  const entry = operations.get(key);
  assert.ok(entry, `${key} is not an operation of docs/openapi.yaml`);
  const why = routeMissing(res);
  if (why) {
    missingInBinary.set(key, why);
    assert.fail(`sorakd does not serve ${key}: it ${why}. The route is missing from this binary ` +
      `(${process.env.SORAKD || 'build/sorakd'}), so the operation cannot be exercised.`);
  }
  if (record) {
    if (!attempted.has(key)) attempted.set(key, new Set());
    attempted.get(key).add(res.status);
  }
  if (expect !== undefined) assert.equal(res.status, expect, `${key}: expected ${expect}, got ${res.status} ${res.text.slice(0, 500)}`);
  const { op } = entry;
  const declared = op.responses?.[String(res.status)] ?? op.responses?.[`${Math.floor(res.status / 100)}XX`];
  if (!declared) {
    specFail(`${key}: status ${res.status} is not declared in the spec (it declares ${Object.keys(op.responses ?? {}).join(', ')}); ` +
      `body: ${res.text.slice(0, 500)}`);
    return res;
  }
  const response = deref(declared);
  for (const [name, h] of Object.entries(response.headers ?? {})) {
    const header = deref(h);
    const value = res.headers.get(name);
    if (value === null) {
      specFail(`${key} → ${res.status}: the spec declares the header ${name}, the answer has none`);
      continue;
    }
    if (header.schema) {
      const s = deref(header.schema);
      const v = validatorFor(header.schema);
      const typed = s.type === 'integer' || s.type === 'number' ? Number(value) : value;
      if (!v(typed)) specFail(`${key} → ${res.status}: header ${name}: ${value}: ${describeErrors(v.errors, name)}`);
    }
  }
  const ct = res.headers.get('content-type');
  if (!response.content) {
    if (res.text !== '') specFail(`${key} → ${res.status}: the spec declares no body, the server sent one (${ct}): ${res.text.slice(0, 200)}`);
    return res;
  }
  const mediaKey = ct && (Object.keys(response.content).find((k) => k.toLowerCase() === ct.toLowerCase()) ??
    Object.keys(response.content).find((k) => essence(k) === essence(ct)));
  if (!mediaKey) {
    specFail(`${key} → ${res.status}: Content-Type ${ct} is not declared (the spec declares ${Object.keys(response.content).join(', ')})`);
    return res;
  }
  const media = response.content[mediaKey];
  let value = res.text;
  if (essence(mediaKey) === 'application/json') {
    try {
      value = JSON.parse(res.text);
    } catch (e) {
      specFail(`${key} → ${res.status}: the body is not JSON (${e.message}): ${res.text.slice(0, 200)}`);
      return res;
    }
  }
  const v = validatorFor(media.schema);
  if (!v(value)) {
    specFail(`${key} → ${res.status}: the answer does not match the spec: ` +
      `${describeErrors(v.errors, 'response')}\n    body: ${res.text.slice(0, 600)}`);
  }
  return res;
}

let server;   // the server every test talks to (--dev: the dev token route exists)

// Calls an operation: call('PATCH', '/api/v1/streams/{stream_id}', {params, query, token, body, headers}, 200).
async function call(method, template, { params, query, token, body, headers, srv = server } = {}, expect) {
  const key = `${method} ${template}`;
  const entry = operations.get(key);
  assert.ok(entry, `${key} is not an operation of docs/openapi.yaml`);
  if (body !== undefined && typeof body === 'object' && expect >= 200 && expect < 300) checkRequestBody(key, entry.op, body);
  let path = fill(template, params);
  if (query) path += `?${new URLSearchParams(query)}`;
  const res = await api(srv, method, path, { token, body, headers });
  return checkResponse(method, template, res, { expect });
}

// A raw GET with the given headers (the WebSocket upgrade): resolves on 101 or on a plain answer.
function rawGet(srv, path, headers) {
  return new Promise((resolvePromise, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, path, method: 'GET', headers });
    const asRes = (res, text) => ({
      status: res.statusCode, text, json: (() => { try { return JSON.parse(text); } catch { return null; } })(),
      headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])),
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolvePromise(asRes(res, '')); });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolvePromise(asRes(res, body)));
    });
    req.on('error', reject);
    req.end();
  });
}

// A kept-alive TCP connection for hand-written requests: request(text) → the next answer.
function rawConnection(srv) {
  const sock = net.connect(srv.port, '127.0.0.1');
  let buf = Buffer.alloc(0), ended = false, waiter = null;
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); waiter?.(); });
  sock.on('close', () => { ended = true; waiter?.(); });
  sock.on('error', () => { /* seen as close */ });
  const opened = new Promise((res, rej) => { sock.once('connect', res); sock.once('error', rej); });
  const request = (text) => new Promise((res, rej) => {
    waiter = () => {
      const end = buf.indexOf('\r\n\r\n');
      const head = end >= 0 ? buf.subarray(0, end).toString('latin1') : null;
      const headers = new Headers();
      for (const line of head ? head.split('\r\n').slice(1) : []) {
        const i = line.indexOf(':');
        headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? 0);
      if (!head || buf.length < end + 4 + length) {
        if (ended) { waiter = null; rej(new Error(`connection closed before a whole answer to ${text.split('\r\n')[0]}`)); }
        return;
      }
      const body = buf.subarray(end + 4, end + 4 + length).toString('utf8');
      buf = buf.subarray(end + 4 + length);
      waiter = null;
      let json = null;
      try { json = JSON.parse(body); } catch { /* not JSON */ }
      res({ status: Number(head.split(' ')[1]), text: body, json, headers });
    };
    sock.write(text);
    waiter();
  });
  return { opened, request, close: () => sock.destroy() };
}

// ---- the routes sorakd registers, read from its sources -----------------------------------------

// Path expressions the reader below cannot evaluate on its own: a loop variable, with the source
// lines that make it what it is here. If those lines change, this table must be updated (the test
// says so) instead of silently reading the wrong paths.
const LOOP_VARIABLES = {
  'routes_moderation.cpp': {
    path: {
      values: ['/api/v1/streams/{stream_id}/timeouts', '/api/v1/streams/{stream_id}/bans'],
      source: [
        'const std::string base = "/api/v1/streams/{stream_id}/";',
        'for (auto kind : {sanction_kind::timeout, sanction_kind::ban}) {',
        'return k == sanction_kind::timeout ? "timeouts" : "bans";',
        'const std::string path = base + plural(kind);',
      ],
    },
  },
};

// The argument starting at src[i], up to the comma (or closing parenthesis) at depth 0.
function readArg(src, i) {
  let depth = 0, out = '';
  for (; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      const end = src.indexOf('"', i + 1);
      out += src.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') { if (depth === 0) break; depth--; }
    if (c === ',' && depth === 0) break;
    out += c;
  }
  return out.trim();
}

// Splits on `+` outside strings and parentheses.
function splitPlus(expr) {
  const parts = [];
  let depth = 0, cur = '', inStr = false;
  for (const c of expr) {
    if (c === '"') inStr = !inStr;
    if (!inStr && c === '(') depth++;
    if (!inStr && c === ')') depth--;
    if (!inStr && depth === 0 && c === '+') { parts.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  parts.push(cur.trim());
  return parts;
}

// The paths an r.add path expression stands for, or null when it cannot be read.
function evalPath(expr, consts, prefixers, loops) {
  let results = [''];
  for (const term of splitPlus(expr)) {
    let values = null;
    let m;
    if ((m = /^"([^"]*)"$/.exec(term))) values = [m[1]];
    else if ((m = /^std::string(?:_view)?\(\s*"([^"]*)"\s*\)$/.exec(term))) values = [m[1]];
    else if ((m = /^(?:std::string(?:_view)?\(\s*)?(\w+)\s*\)?$/.exec(term)) && (consts.has(m[1]) || loops[m[1]])) {
      values = consts.has(m[1]) ? [consts.get(m[1])] : loops[m[1]].values;
    } else if ((m = /^(\w+)\(\s*"([^"]*)"\s*\)$/.exec(term)) && prefixers.has(m[1]) && consts.has(prefixers.get(m[1]))) {
      values = [consts.get(prefixers.get(m[1])) + m[2]];
    }
    if (!values) return null;
    results = results.flatMap((r) => values.map((v) => r + v));
  }
  return results.map((p) => p.replace(/\/{2,}/g, '/'));
}

function routesInSources() {
  const routes = new Map();  // "METHOD /path" → "file:line"
  const problems = [];
  const files = readdirSync(HTTP_SRC).filter((f) => /\.(cpp|hpp)$/.test(f) && !/_test\.cpp$/.test(f)).sort();
  for (const f of files) {
    const src = readFileSync(join(HTTP_SRC, f), 'utf8');
    const consts = new Map();
    for (const m of src.matchAll(/\b(?:const|constexpr)\s+(?:std::string_view|std::string|auto)\s+(\w+)\s*=\s*"([^"]*)"\s*;/g)) consts.set(m[1], m[2]);
    // auto path = [base](std::string_view rest) { return std::string(base) + std::string(rest); };
    const prefixers = new Map();
    for (const m of src.matchAll(/\bauto\s+(\w+)\s*=\s*\[&?(\w+)\]\s*\(\s*std::string_view\s+(\w+)\s*\)\s*\{\s*return\s+std::string\(\s*\2\s*\)\s*\+\s*std::string\(\s*\3\s*\)\s*;\s*\}/g)) {
      prefixers.set(m[1], m[2]);
    }
    const loops = LOOP_VARIABLES[f] ?? {};
    for (const [name, l] of Object.entries(loops)) {
      for (const line of l.source) {
        if (!src.includes(line)) problems.push(`${f}: LOOP_VARIABLES.${name} in openapi.test.mjs expects the line \`${line}\`, which is gone: update the table`);
      }
    }
    for (const m of src.matchAll(/\br\.add\(\s*/g)) {
      const line = src.slice(0, m.index).split('\n').length;
      const start = m.index + m[0].length;
      const methodExpr = readArg(src, start);
      const mm = /^"([A-Z]+)"$/.exec(methodExpr);
      const rest = src.indexOf(',', start + methodExpr.length);
      const pathExpr = readArg(src, rest + 1);
      const paths = mm ? evalPath(pathExpr, consts, prefixers, loops) : null;
      if (!paths) {
        problems.push(`${f}:${line}: cannot read r.add(${methodExpr}, ${pathExpr}, …): make it a literal or teach openapi.test.mjs (LOOP_VARIABLES)`);
        continue;
      }
      for (const p of paths) routes.set(`${mm[1]} ${p}`, `${f}:${line}`);
    }
    // The WebSocket upgrade is routed before the table (http_server.cpp), by this pattern.
    for (const m of src.matchAll(/\bchat_ws_pattern\s*=\s*"([^"]+)"/g)) routes.set(`GET ${m[1]}`, `${f} (chat_ws_pattern)`);
  }
  return { routes, problems };
}

// ---- fixtures ------------------------------------------------------------------------------------

const owner = { sub: 'oa-owner', username: 'owner', display_name: 'Owner' };
const mod = { sub: 'oa-mod', username: 'moddy', display_name: 'Moddy' };
const tok = (claims) => server.token(claims);
const S = '/api/v1/streams/{stream_id}';
let stream;   // live, owned by `owner`, `mod` its moderator

const uniqueRoom = () => String(700000000 + Math.floor(Math.random() * 99999999));

before(async () => {
  server = await startServer({ args: ['--dev', '--rate-limit', '0', '--api-key-rate-limit', '0', '--webhook-allow-private'] });
  stream = await createStream(server, owner, { title: 'openapi' });
  const r = await api(server, 'POST', `/api/v1/streams/${stream.id}/moderators`, { token: tok(owner), body: { user_id: mod.sub } });
  assert.equal(r.status, 201, r.text);
});

// ---- the spec itself -----------------------------------------------------------------------------

test('docs/openapi.yaml is a well-formed OpenAPI 3.1 document whose schemas compile', () => {
  assert.match(String(spec.openapi), /^3\.1\.\d+$/);
  assert.ok(spec.info?.title && spec.info?.version, 'info.title and info.version');
  // Every $ref resolves.
  const walk = (node, at) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}/${i}`));
    if (node === null || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') assert.ok(pointer(spec, node.$ref) !== undefined, `${at}: unresolved $ref ${node.$ref}`);
    for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k}`);
  };
  walk(spec, '#');
  const ids = new Set();
  const schemes = new Set(Object.keys(spec.components?.securitySchemes ?? {}));
  const tags = new Set((spec.tags ?? []).map((t) => t.name));
  for (const [key, { path, op, item }] of operations) {
    assert.ok(op.operationId, `${key}: operationId`);
    assert.ok(!ids.has(op.operationId), `${key}: operationId ${op.operationId} is used twice`);
    ids.add(op.operationId);
    assert.ok(op.summary, `${key}: summary`);
    for (const t of op.tags ?? []) assert.ok(tags.has(t), `${key}: tag ${t} is not declared`);
    assert.ok(Array.isArray(op.security), `${key}: security must be explicit ([] for none)`);
    for (const req of op.security) for (const name of Object.keys(req)) assert.ok(schemes.has(name), `${key}: unknown security scheme ${name}`);
    // The path's {placeholders} are exactly its required path parameters.
    const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref);
    const inPath = params.filter((p) => p.in === 'path');
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(inPath.map((p) => p.name).sort(), names, `${key}: path parameters`);
    for (const p of inPath) assert.equal(p.required, true, `${key}: path parameter ${p.name} must be required`);
    for (const p of params) if (p.schema) validatorFor(p.schema);
    const statuses = Object.keys(op.responses ?? {});
    assert.ok(statuses.some((s) => /^(1|2)\d\d$/.test(s)), `${key}: no success response`);
    for (const s of statuses) {
      assert.match(s, /^([1-5]\d\d|[1-5]XX)$/, `${key}: response key ${s}`);
      const r = deref(op.responses[s]);
      assert.ok(r.description, `${key} → ${s}: description`);
      for (const [mt, media] of Object.entries(r.content ?? {})) {
        assert.ok(media.schema, `${key} → ${s} ${mt}: schema`);
        validatorFor(media.schema);
      }
      if (/^[45]/.test(s) && r.content) {
        assert.ok(r.content['application/json'], `${key} → ${s}: errors are JSON`);
      }
    }
    if (op.requestBody) {
      for (const [mt, media] of Object.entries(deref(op.requestBody).content ?? {})) {
        assert.ok(media.schema, `${key} requestBody ${mt}: schema`);
        validatorFor(media.schema);
      }
    }
  }
  // Every component schema compiles on its own too.
  for (const name of Object.keys(spec.components?.schemas ?? {})) validatorFor({ $ref: `#/components/schemas/${name}` });
  // The strictness the drift check relies on: the error body and the main objects allow no other keys.
  for (const name of ['Error', 'Stream', 'User', 'Term', 'Poll', 'ChatSettings', 'BadgeGrant', 'Timeout', 'Ban', 'ModerationAction']) {
    assert.equal(spec.components.schemas[name].additionalProperties, false, `${name}: additionalProperties: false`);
  }
  assert.equal(spec.components.schemas.Message.unevaluatedProperties, false, 'Message: unevaluatedProperties: false');
});

test('every route sorakd registers (src/http) is an operation of docs/openapi.yaml', () => {
  const { routes, problems } = routesInSources();
  if (problems.length) assert.fail(`src/http has r.add calls this test cannot read:\n  ${problems.join('\n  ')}`);
  assert.ok(routes.size >= 40, `only ${routes.size} routes read from src/http: the reader is broken`);
  const missing = [...routes].filter(([key]) => !operations.has(key)).map(([key, at]) => `${key} (${at})`);
  if (missing.length) assert.fail(`routes of sorakd without a spec in docs/openapi.yaml:\n  ${missing.join('\n  ')}`);
});

test('every operation of docs/openapi.yaml is a route in src/http', () => {
  const { routes } = routesInSources();
  const notRoutes = [...operations.keys()].filter((key) => !routes.has(key));
  if (notRoutes.length) assert.fail(`operations in docs/openapi.yaml that src/http does not register (not implemented yet?):\n  ${notRoutes.join('\n  ')}`);
});

// Every operation, called once without credentials and with placeholder ids: does this binary
// have the route at all? (404 "No such endpoint" or 405 says it does not.) Each answer is also
// checked against the spec, but not counted as exercising the operation.
test('this sorakd binary serves every operation of the spec', async () => {
  const missing = [];
  const mismatched = [];
  for (const [key, { method, path }] of operations) {
    const placeholders = Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], m[1] === 'file' ? 'style.css' : '0']));
    const target = fill(path, placeholders);
    const res = await api(server, method, target, method === 'POST' || method === 'PATCH' ? { body: {} } : {});
    const why = routeMissing(res);
    if (why) {
      missingInBinary.set(key, why);
      missing.push(`${key}: ${method} ${target} ${why}`);
      continue;
    }
    try { checkResponse(method, path, res, { record: false }); } catch (e) { mismatched.push(e.message); }
  }
  if (missing.length) assert.fail(`operations this sorakd does not serve (route missing from the binary):\n  ${missing.join('\n  ')}`);
  if (mismatched.length) assert.fail(`answers to unauthenticated probes that do not match the spec:\n  ${mismatched.join('\n  ')}`);
});

test('GET /api/openapi.yaml serves docs/openapi.yaml byte for byte', async () => {
  const res = await fetch(`${server.url}/api/openapi.yaml`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let json = null;
  try { json = JSON.parse(text); } catch { /* YAML, as it should be */ }
  checkResponse('GET', '/api/openapi.yaml', { status: res.status, text, json, headers: res.headers }, { expect: 200 });
  assert.equal(essence(res.headers.get('content-type')), 'application/yaml');
  if (!bytes.equals(specBytes)) {
    let i = 0;
    while (i < bytes.length && i < specBytes.length && bytes[i] === specBytes[i]) i++;
    const line = specBytes.subarray(0, i).toString('utf8').split('\n').length;
    assert.fail(`GET /api/openapi.yaml (${bytes.length} bytes) differs from docs/openapi.yaml (${specBytes.length} bytes) ` +
      `from byte ${i} (line ${line} of the file): rebuild sorakd after editing the spec. Served there: ` +
      `${JSON.stringify(bytes.subarray(i, i + 80).toString('utf8'))}, file: ${JSON.stringify(specBytes.subarray(i, i + 80).toString('utf8'))}`);
  }
  assert.deepEqual(YAML.parse(text), spec);
});

// ---- health ----------------------------------------------------------------------------------

flow('health, readiness and metrics', async () => {
  await call('GET', '/healthz', {}, 200);
  await call('GET', '/readyz', {}, 200);
  const m = await call('GET', '/metrics', {}, 200);
  assert.match(m.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
});

// ---- streams -----------------------------------------------------------------------------------

flow('streams: create, list, get, update, end, and their errors', async () => {
  const user = freshUser('caster');
  const P = '/api/v1/streams';
  const created = await call('POST', P, {
    token: tok(user),
    body: { title: 'Evening karaoke', room_name: 'Karaoke room', member: { name: 'Aiko', nickname: 'aiko', team: 'Team K' }, playback_url: 'https://video.example/live/aiko.m3u8' },
  }, 201);
  const s = created.json;
  soft(s.playback_url === 'https://video.example/live/aiko.m3u8', `POST /api/v1/streams: playback_url is not kept: ${JSON.stringify(s.playback_url)}`);
  const room = uniqueRoom();
  const byAdmin = await call('POST', P, { token: server.adminKey, body: { title: 'Sunday service', broadcaster_user_id: 'church-1', room_id: room } }, 201);
  assert.equal(byAdmin.json.room_id, room);
  soft(byAdmin.json.playback_url === null, `POST /api/v1/streams without playback_url: ${JSON.stringify(byAdmin.json.playback_url)}, not null`);
  await call('POST', P, { token: server.adminKey, body: { title: 'Again', broadcaster_user_id: 'church-1', room_id: room } }, 409);
  await call('POST', P, { token: server.adminKey, body: { title: 'Numeric room', broadcaster_user_id: 'church-1', room_id: Number(uniqueRoom()) } }, 201);
  await call('POST', P, { token: tok(user), body: { title: 'x', room_id: '300000' } }, 403);
  await call('POST', P, { token: tok(user), body: { room_name: 'x' } }, 400);
  await call('POST', P, { token: tok(user), body: { title: 'x', member: { name: 7 } } }, 400);
  await call('POST', P, { token: tok(user), body: 'nope' }, 400);
  await call('POST', P, { body: { title: 'x' } }, 401);
  await call('POST', P, { token: 'abc.def.ghi', body: { title: 'x' } }, 401);
  await call('POST', P, { token: server.token(user, { expSeconds: -60 }), body: { title: 'x' } }, 401);
  await call('POST', P, { token: tok(user), body: JSON.stringify({ title: 'x', pad: 'x'.repeat(70 * 1024) }) }, 413);

  const list = await call('GET', P, {}, 200);
  assert.ok(list.json.streams.some((x) => x.id === s.id));
  await call('GET', P, { query: { status: 'live' } }, 200);
  await call('GET', P, { query: { room_id: s.room_id } }, 200);
  await call('GET', P, { query: { status: 'bogus' } }, 400);

  const one = `${P}/{stream_id}`;
  await call('GET', one, { params: { stream_id: s.id } }, 200);
  await call('GET', one, { params: { stream_id: s.room_id } }, 200);
  await call('GET', one, { params: { stream_id: unknownId() } }, 404);
  await call('GET', one, { params: { stream_id: '999999999999' } }, 404);

  const p = { stream_id: s.id };
  const renamed = await call('PATCH', one, { params: p, token: tok(user), body: { title: 'Evening karaoke (part 2)' } }, 200);
  assert.equal(renamed.json.title, 'Evening karaoke (part 2)');
  await call('PATCH', one, { params: { stream_id: byAdmin.json.room_id }, token: server.adminKey, body: { member: { name: 'Choir' }, room_name: 'Chapel' } }, 200);
  await call('PATCH', one, { params: { stream_id: byAdmin.json.room_id }, token: server.adminKey, body: { member: null } }, 200);
  const video = await call('PATCH', one, { params: p, token: tok(user), body: { playback_url: 'https://video.example/live/aiko-2.m3u8' } }, 200);
  soft(video.json.playback_url === 'https://video.example/live/aiko-2.m3u8', `PATCH playback_url: ${JSON.stringify(video.json.playback_url)}`);
  const noVideo = await call('PATCH', one, { params: p, token: tok(user), body: { playback_url: null } }, 200);
  soft(noVideo.json.playback_url === null, `PATCH playback_url null: ${JSON.stringify(noVideo.json.playback_url)}`);
  await call('PATCH', one, { params: p, token: tok(freshUser()), body: { title: 'hijack' } }, 403);
  await call('PATCH', one, { params: p, token: tok(user), body: { status: 'paused' } }, 400);
  await call('PATCH', one, { params: p, token: tok(user), body: { member: 5 } }, 400);
  await call('PATCH', one, { params: p, token: tok(user), body: { title: 'a'.repeat(201) } }, 400);
  await call('PATCH', one, { params: p, token: tok(user), body: '[1]' }, 400);
  await call('PATCH', one, { params: p, body: { title: 'x' } }, 401);
  await call('PATCH', one, { params: { stream_id: unknownId() }, token: server.adminKey, body: { title: 'x' } }, 404);
  const ended = await call('PATCH', one, { params: p, token: tok(user), body: { status: 'ended' } }, 200);
  assert.equal(ended.json.status, 'ended');
  await call('PATCH', one, { params: p, token: tok(user), body: { status: 'live' } }, 409);
  await call('GET', P, { query: { status: 'ended' } }, 200);
  // playback_url that is not an http(s) URL (last: a server without playback_url ignores it).
  await call('POST', P, { token: tok(user), body: { title: 'x', playback_url: 'ftp://video.example/x' } }, 400);
  await call('PATCH', one, { params: { stream_id: byAdmin.json.id }, token: server.adminKey, body: { playback_url: 42 } }, 400);
});

// ---- chat: history, one message, the WebSocket upgrade ---------------------------------------

flow('chat history, one message by id, deleting a message, and the WebSocket upgrade', async () => {
  const viewer = freshUser('reader');
  const c = await joinChat(server, stream.id, tok(viewer));
  const sent = [];
  for (const text of ['one', 'two', 'three']) sent.push((await sendAcked(c, text)).data.id);
  const reply = await sendAcked(c, 'a reply', { reply_to: sent[0] });
  c.close();

  const H = `${S}/chat/history`;
  const p = { stream_id: stream.id };
  const page = await call('GET', H, { params: p, token: tok(viewer), query: { limit: 2 } }, 200);
  assert.equal(page.json.has_more, true);
  await call('GET', H, { params: p, token: tok(viewer), query: { limit: 2, before: page.json.next_cursor } }, 200);
  await call('GET', H, { params: { stream_id: stream.room_id }, token: server.adminKey }, 200);
  await call('GET', H, { params: p, token: tok(viewer), query: { limit: 0 } }, 400);
  await call('GET', H, { params: p, token: tok(viewer), query: { before: 'nope' } }, 400);
  await call('GET', H, { params: p }, 401);
  await call('GET', H, { params: p, token: server.token(viewer, { signWith: 'another secret' }) }, 401);
  await call('GET', H, { params: { stream_id: unknownId() }, token: tok(viewer) }, 404);

  const M = `${S}/chat/messages/{message_id}`;
  const got = await call('GET', M, { params: { ...p, message_id: reply.data.id }, token: tok(viewer) }, 200);
  assert.equal(got.json.data.reply_to, sent[0]);
  await call('GET', M, { params: { ...p, message_id: unknownId() }, token: tok(viewer) }, 404);
  await call('GET', M, { params: { stream_id: unknownId(), message_id: sent[0] }, token: tok(viewer) }, 404);
  await call('GET', M, { params: { ...p, message_id: sent[0] } }, 401);

  await call('DELETE', M, { params: { ...p, message_id: sent[1] }, token: tok(viewer) }, 403);
  await call('DELETE', M, { params: { ...p, message_id: sent[1] } }, 401);
  await call('DELETE', M, { params: { ...p, message_id: sent[1] }, token: tok(mod) }, 204);
  await call('DELETE', M, { params: { ...p, message_id: sent[1] }, token: tok(mod) }, 404);
  await call('DELETE', M, { params: { stream_id: unknownId(), message_id: sent[1] }, token: tok(mod) }, 404);
  await call('GET', M, { params: { ...p, message_id: sent[1] }, token: tok(viewer) }, 404);

  // The upgrade: 101 with a well-formed upgrade (then the WebSocket protocol of docs/api.md),
  // 400 without Sec-WebSocket-Key, 426 for a plain GET.
  const WS = `${S}/chat/ws`;
  const wsPath = `/api/v1/streams/${stream.id}/chat/ws?token=${encodeURIComponent(tok(viewer))}`;
  const upgrade = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' };
  const switched = await rawGet(server, wsPath, { ...upgrade, 'Sec-WebSocket-Key': randomBytes(16).toString('base64') });
  checkResponse('GET', WS, switched, { expect: 101 });
  const badUpgrade = await rawGet(server, wsPath, upgrade);
  checkResponse('GET', WS, badUpgrade, { expect: 400 });
  await call('GET', WS, { params: p, query: { token: tok(viewer) } }, 426);
});

// ---- moderation ------------------------------------------------------------------------------

flow('moderators and VIPs, and a user\'s badges', async () => {
  const p = { stream_id: stream.id };
  const vip = freshUser('vip');
  const viewer = freshUser('viewer');
  const Mods = `${S}/moderators`;
  const granted = await call('POST', Mods, { params: p, token: server.adminKey, body: { user_id: vip.sub, badge_type: 'vip' } }, 201);
  assert.equal(granted.json.badge_type, 'vip');
  await call('POST', Mods, { params: p, token: tok(owner), body: { user_id: 'someone-else' } }, 201);
  await call('POST', Mods, { params: p, token: tok(viewer), body: { user_id: vip.sub } }, 403);
  await call('POST', Mods, { params: p, token: tok(mod), body: { user_id: vip.sub, badge_type: 'vip' } }, 403);
  await call('POST', Mods, { params: p, token: tok(owner), body: { user_id: vip.sub, badge_type: 'king' } }, 400);
  await call('POST', Mods, { params: p, token: tok(owner), body: {} }, 400);
  await call('POST', Mods, { params: p, body: { user_id: vip.sub } }, 401);
  await call('POST', Mods, { params: { stream_id: unknownId() }, token: tok(owner), body: { user_id: vip.sub } }, 404);

  const all = await call('GET', Mods, { params: p, token: tok(viewer) }, 200);
  assert.ok(all.json.total >= 2);
  await call('GET', Mods, { params: p, token: tok(viewer), query: { badge_type: 'vip' } }, 200);
  await call('GET', Mods, { params: p, token: tok(viewer), query: { badge_type: 'king' } }, 400);
  await call('GET', Mods, { params: p }, 401);
  await call('GET', Mods, { params: { stream_id: unknownId() }, token: tok(viewer) }, 404);

  const B = `${S}/users/{user_id}/badges`;
  const badges = await call('GET', B, { params: { ...p, user_id: mod.sub }, token: tok(viewer) }, 200);
  assert.ok(badges.json.badges.includes('moderator'));
  await call('GET', B, { params: { ...p, user_id: owner.sub }, token: tok(viewer) }, 200);
  await call('GET', B, { params: { ...p, user_id: mod.sub } }, 401);
  await call('GET', B, { params: { stream_id: unknownId(), user_id: mod.sub }, token: tok(viewer) }, 404);

  const D = `${S}/moderators/{user_id}`;
  await call('DELETE', D, { params: { ...p, user_id: vip.sub }, token: tok(viewer) }, 403);
  await call('DELETE', D, { params: { ...p, user_id: vip.sub } }, 401);
  await call('DELETE', D, { params: { ...p, user_id: vip.sub }, token: tok(owner) }, 204);
  await call('DELETE', D, { params: { ...p, user_id: vip.sub }, token: tok(owner) }, 404);
  await call('DELETE', D, { params: { stream_id: unknownId(), user_id: vip.sub }, token: tok(owner) }, 404);
});

flow('timeouts and bans', async () => {
  const p = { stream_id: stream.id };
  const viewer = freshUser('loud');
  const spammer = freshUser('spam');
  const c = await joinChat(server, stream.id, tok(spammer));
  await sendAcked(c, 'buy now');
  c.close();

  const T = `${S}/timeouts`;
  const t = await call('POST', T, { params: p, token: tok(mod), body: { user_id: viewer.sub, duration_seconds: 600, reason: 'caps lock' } }, 201);
  assert.equal(t.json.duration_seconds, 600);
  await call('POST', T, { params: p, token: tok(freshUser()), body: { user_id: viewer.sub, duration_seconds: 60 } }, 403);
  await call('POST', T, { params: p, token: tok(mod), body: { user_id: owner.sub, duration_seconds: 60 } }, 403);
  await call('POST', T, { params: p, token: tok(mod), body: { user_id: viewer.sub, duration_seconds: 0 } }, 400);
  await call('POST', T, { params: p, token: tok(mod), body: { user_id: viewer.sub } }, 400);
  await call('POST', T, { params: p, token: tok(mod), body: { duration_seconds: 60 } }, 400);
  await call('POST', T, { params: p, body: { user_id: viewer.sub, duration_seconds: 60 } }, 401);
  await call('POST', T, { params: { stream_id: unknownId() }, token: tok(mod), body: { user_id: viewer.sub, duration_seconds: 60 } }, 404);
  const listed = await call('GET', T, { params: p, token: tok(mod) }, 200);
  assert.ok(listed.json.timeouts.some((x) => x.user_id === viewer.sub));
  await call('GET', T, { params: p, token: tok(viewer) }, 403);
  await call('GET', T, { params: p }, 401);
  await call('GET', T, { params: { stream_id: unknownId() }, token: tok(mod) }, 404);
  const TU = `${S}/timeouts/{user_id}`;
  await call('DELETE', TU, { params: { ...p, user_id: viewer.sub }, token: tok(viewer) }, 403);
  await call('DELETE', TU, { params: { ...p, user_id: viewer.sub } }, 401);
  await call('DELETE', TU, { params: { ...p, user_id: viewer.sub }, token: tok(mod) }, 204);
  await call('DELETE', TU, { params: { ...p, user_id: viewer.sub }, token: tok(mod) }, 404);
  await call('DELETE', TU, { params: { stream_id: unknownId(), user_id: viewer.sub }, token: tok(mod) }, 404);

  const Bn = `${S}/bans`;
  const b = await call('POST', Bn, { params: p, token: tok(mod), body: { user_id: spammer.sub, reason: 'spam', purge: true } }, 201);
  assert.equal(b.json.reason, 'spam');
  await call('POST', Bn, { params: p, token: server.adminKey, body: { user_id: 'nobody-yet' } }, 201);
  await call('POST', Bn, { params: p, token: tok(mod), body: { user_id: owner.sub } }, 403);
  await call('POST', Bn, { params: p, token: tok(viewer), body: { user_id: spammer.sub } }, 403);
  await call('POST', Bn, { params: p, token: tok(mod), body: { user_id: spammer.sub, purge: 'yes' } }, 400);
  await call('POST', Bn, { params: p, token: tok(mod), body: 'nope' }, 400);
  await call('POST', Bn, { params: p, body: { user_id: spammer.sub } }, 401);
  await call('POST', Bn, { params: { stream_id: unknownId() }, token: tok(mod), body: { user_id: spammer.sub } }, 404);
  const bans = await call('GET', Bn, { params: p, token: tok(owner) }, 200);
  assert.ok(bans.json.bans.some((x) => x.user_id === spammer.sub));
  await call('GET', Bn, { params: p, token: tok(viewer) }, 403);
  await call('GET', Bn, { params: p }, 401);
  await call('GET', Bn, { params: { stream_id: unknownId() }, token: tok(mod) }, 404);
  const BU = `${S}/bans/{user_id}`;
  await call('DELETE', BU, { params: { ...p, user_id: spammer.sub }, token: tok(viewer) }, 403);
  await call('DELETE', BU, { params: { ...p, user_id: spammer.sub } }, 401);
  await call('DELETE', BU, { params: { ...p, user_id: spammer.sub }, token: tok(mod) }, 204);
  await call('DELETE', BU, { params: { ...p, user_id: spammer.sub }, token: tok(mod) }, 404);
  await call('DELETE', BU, { params: { stream_id: unknownId(), user_id: spammer.sub }, token: tok(mod) }, 404);
});

flow('chat settings and the moderation log', async () => {
  const p = { stream_id: stream.id };
  const viewer = freshUser();
  const C = `${S}/chat/settings`;
  await call('GET', C, { params: p, token: tok(mod) }, 200);
  await call('GET', C, { params: { stream_id: stream.room_id }, token: server.adminKey }, 200);
  await call('GET', C, { params: p, token: tok(viewer) }, 403);
  await call('GET', C, { params: p }, 401);
  await call('GET', C, { params: { stream_id: unknownId() }, token: tok(mod) }, 404);
  const slow = await call('PATCH', C, { params: p, token: tok(mod), body: { slow_mode_seconds: 10 } }, 200);
  assert.equal(slow.json.slow_mode_seconds, 10);
  await call('PATCH', C, { params: p, token: tok(owner), body: { slow_mode_seconds: 0, max_message_length: 300, subscribers_only: false, chat_enabled: true } }, 200);
  await call('PATCH', C, { params: p, token: tok(mod), body: { slow_mode_seconds: 500 } }, 400);
  await call('PATCH', C, { params: p, token: tok(mod), body: { chat_enabled: 'yes' } }, 400);
  await call('PATCH', C, { params: p, token: tok(mod), body: 'nope' }, 400);
  await call('PATCH', C, { params: p, token: tok(viewer), body: { slow_mode_seconds: 1 } }, 403);
  await call('PATCH', C, { params: p, body: { slow_mode_seconds: 1 } }, 401);
  await call('PATCH', C, { params: { stream_id: unknownId() }, token: tok(mod), body: { slow_mode_seconds: 1 } }, 404);
  await call('PATCH', C, { params: p, token: tok(owner), body: { max_message_length: 500 } }, 200);

  const L = `${S}/moderation/log`;
  const log = await call('GET', L, { params: p, token: tok(owner) }, 200);
  assert.ok(log.json.actions.length > 0);
  await call('GET', L, { params: p, token: tok(mod), query: { limit: 2 } }, 200);
  await call('GET', L, { params: p, token: tok(mod), query: { limit: 0 } }, 400);
  await call('GET', L, { params: p, token: tok(viewer) }, 403);
  await call('GET', L, { params: p }, 401);
  await call('GET', L, { params: { stream_id: unknownId() }, token: tok(mod) }, 404);
});

flow('blocked terms', async () => {
  const p = { stream_id: stream.id };
  const viewer = freshUser();
  const T = `${S}/chat/blocked-terms`;
  await call('GET', T, { params: p, token: tok(mod) }, 200);
  const added = await call('POST', T, { params: p, token: tok(mod), body: { term: 'Spoiler' } }, 201);
  assert.equal(added.json.data.term, 'Spoiler');
  await call('POST', T, { params: p, token: server.adminKey, body: { term: 'ばか' } }, 201);
  await call('POST', T, { params: p, token: tok(owner), body: { term: 'ＳＰＯＩＬＥＲ' } }, 409);
  await call('POST', T, { params: p, token: tok(owner), body: { term: '   ' } }, 400);
  await call('POST', T, { params: p, token: tok(owner), body: { term: 'x'.repeat(101) } }, 400);
  await call('POST', T, { params: p, token: tok(owner), body: {} }, 400);
  await call('POST', T, { params: p, token: tok(viewer), body: { term: 'x' } }, 403);
  await call('POST', T, { params: p, body: { term: 'x' } }, 401);
  await call('POST', T, { params: { stream_id: unknownId() }, token: tok(mod), body: { term: 'x' } }, 404);
  const list = await call('GET', T, { params: p, token: tok(owner) }, 200);
  assert.ok(list.json.data.length >= 2);
  await call('GET', T, { params: p, token: tok(viewer) }, 403);
  await call('GET', T, { params: p }, 401);
  await call('GET', T, { params: { stream_id: unknownId() }, token: tok(mod) }, 404);
  const D = `${S}/chat/blocked-terms/{term_id}`;
  const id = added.json.data.id;
  await call('DELETE', D, { params: { ...p, term_id: id }, token: tok(viewer) }, 403);
  await call('DELETE', D, { params: { ...p, term_id: id } }, 401);
  await call('DELETE', D, { params: { ...p, term_id: id }, token: tok(mod) }, 204);
  await call('DELETE', D, { params: { ...p, term_id: id }, token: tok(mod) }, 404);
  await call('DELETE', D, { params: { stream_id: unknownId(), term_id: id }, token: tok(mod) }, 404);
});

flow('the pinned message', async () => {
  const s = await createStream(server, owner, { title: 'pins' });
  await api(server, 'POST', `/api/v1/streams/${s.id}/moderators`, { token: tok(owner), body: { user_id: mod.sub } });
  const p = { stream_id: s.id };
  const viewer = freshUser('fan');
  const c = await joinChat(server, s.id, tok(viewer));
  const said = await sendAcked(c, 'pin me please');
  c.close();
  const P = `${S}/chat/pin`;
  const none = await call('GET', P, { params: p, token: tok(viewer) }, 200);
  assert.equal(none.json.data, null);
  const pinned = await call('POST', P, { params: p, token: tok(mod), body: { message_id: said.data.id } }, 200);
  assert.equal(pinned.json.data.id, said.data.id);
  const now = await call('GET', P, { params: p, token: tok(viewer) }, 200);
  assert.equal(now.json.data.id, said.data.id);
  await call('POST', P, { params: p, token: tok(mod), body: { message_id: unknownId() } }, 404);
  await call('POST', P, { params: p, token: tok(mod), body: {} }, 400);
  await call('POST', P, { params: p, token: tok(mod), body: 'nope' }, 400);
  await call('POST', P, { params: p, token: tok(viewer), body: { message_id: said.data.id } }, 403);
  await call('POST', P, { params: p, body: { message_id: said.data.id } }, 401);
  await call('POST', P, { params: { stream_id: unknownId() }, token: tok(mod), body: { message_id: said.data.id } }, 404);
  // A moderation notice cannot be pinned (400 invalid_field).
  await call('PATCH', `${S}/chat/settings`, { params: p, token: tok(owner), body: { slow_mode_seconds: 5 } }, 200);
  const notice = await waitFor(async () => {
    const h = await api(server, 'GET', `/api/v1/streams/${s.id}/chat/history`, { token: tok(viewer) });
    return h.json?.messages?.find((m) => m.message_type === 'moderation');
  }, { what: 'the settings notice in history' });
  await call('POST', P, { params: p, token: tok(owner), body: { message_id: notice.id } }, 400);
  await call('GET', P, { params: p }, 401);
  await call('GET', P, { params: { stream_id: unknownId() }, token: tok(viewer) }, 404);
  await call('DELETE', P, { params: p, token: tok(viewer) }, 403);
  await call('DELETE', P, { params: p }, 401);
  await call('DELETE', P, { params: { stream_id: unknownId() }, token: tok(mod) }, 404);
  await call('DELETE', P, { params: p, token: tok(mod) }, 204);
  await call('DELETE', P, { params: p, token: tok(mod) }, 204);
});

// ---- gifts, analytics, API keys, the Showroom-style API -----------------------------------------

flow('gifts: the catalog, a platform gift, the leaderboard; stream statistics; API keys; the Showroom-style API', async () => {
  const catalog = await call('GET', '/api/v1/gifts', {}, 200);
  assert.ok(catalog.json.gifts.some((g) => g.gift_id === 'star'));

  const s = await createStream(server, owner, { title: 'Weekend chat', member: { name: 'Freya', nickname: 'Freya', team: 'KIII' } });
  const p = { stream_id: s.id };
  const c = await joinChat(server, s.id, tok(freshUser('fan')));
  await sendAcked(c, 'Halo Freya!');
  c.send({ type: 'gift', gift_id: 'star', quantity: 5, content: 'for you', client_id: 'g-1' });
  await c.next((e) => e.type === 'ack' && e.client_id === 'g-1');
  c.close();

  const G = '/api/v1/admin/streams/{stream_id}/gifts';
  const gift = { user: { id: '67890', username: 'premium_fan', display_name: 'Premium Fan', avatar_url: '', level: 25, premium: true }, gift_id: 'crown', quantity: 2, content: 'for you' };
  const posted = await call('POST', G, { params: p, token: server.adminKey, body: gift }, 201);
  assert.equal(posted.json.stars, 200);
  await call('POST', G, { params: { stream_id: s.room_id }, token: server.adminKey, body: { user: { id: 'minimal' }, gift_id: 'clap' } }, 201);
  await call('POST', G, { params: p, token: server.adminKey, body: { ...gift, gift_id: 'yacht' } }, 400);
  await call('POST', G, { params: p, token: server.adminKey, body: { ...gift, quantity: 0 } }, 400);
  await call('POST', G, { params: p, token: server.adminKey, body: { gift_id: 'star' } }, 400);
  await call('POST', G, { params: p, token: server.adminKey, body: 'nope' }, 400);
  await call('POST', G, { params: p, token: tok(owner), body: gift }, 403);
  await call('POST', G, { params: p, body: gift }, 401);
  await call('POST', G, { params: { stream_id: unknownId() }, token: server.adminKey, body: gift }, 404);

  // API keys (admin).
  const K = '/api/v1/admin/api-keys';
  const key = await call('POST', K, { token: server.adminKey, body: { name: 'dashboard' } }, 201);
  const apikey = key.json.key;
  const spare = await call('POST', K, { token: server.adminKey, body: { name: 'to revoke' } }, 201);
  await call('POST', K, { token: server.adminKey, body: { name: '' } }, 400);
  await call('POST', K, { token: server.adminKey, body: {} }, 400);
  await call('POST', K, { token: tok(owner), body: { name: 'x' } }, 403);
  await call('POST', K, { body: { name: 'x' } }, 401);
  const keys = await call('GET', K, { token: server.adminKey }, 200);
  assert.ok(!keys.text.includes(apikey), 'keys are never listed');
  await call('GET', K, { token: tok(owner) }, 403);
  await call('GET', K, {}, 401);
  const KD = `${K}/{id}`;
  await call('DELETE', KD, { params: { id: spare.json.id }, token: tok(owner) }, 403);
  await call('DELETE', KD, { params: { id: spare.json.id } }, 401);
  await call('DELETE', KD, { params: { id: spare.json.id }, token: server.adminKey }, 204);
  await call('DELETE', KD, { params: { id: spare.json.id }, token: server.adminKey }, 404);
  const revoked = await call('GET', K, { token: server.adminKey }, 200);
  assert.ok(revoked.json.api_keys.some((k) => k.id === spare.json.id && k.revoked_at !== null));

  // Webhooks (admin). The receiver: a server here that answers 204.
  const hooked = [];
  const receiver = http.createServer((req, res) => { req.resume(); req.on('end', () => { hooked.push(req.url); res.writeHead(204).end(); }); });
  await new Promise((res) => receiver.listen(0, '127.0.0.1', res));
  const W = '/api/v1/admin/webhooks';
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
  const hook = await call('POST', W, { token: server.adminKey, body: { url: hookUrl, events: ['gift', 'message'], stream_id: s.id } }, 201);
  await call('POST', W, { token: server.adminKey, body: { url: 'ftp://example.org/', events: ['gift'] } }, 400);
  await call('POST', W, { token: server.adminKey, body: { url: hookUrl, events: ['nope'] } }, 400);
  await call('POST', W, { token: server.adminKey, body: { url: hookUrl, events: ['gift'], stream_id: unknownId() } }, 404);
  await call('POST', W, { token: tok(owner), body: { url: hookUrl, events: ['gift'] } }, 403);
  await call('POST', W, { body: { url: hookUrl, events: ['gift'] } }, 401);
  await call('GET', W, { token: server.adminKey }, 200);
  await call('GET', W, { token: tok(owner) }, 403);
  await call('GET', W, {}, 401);
  const WD = `${W}/{id}`;
  await call('GET', WD, { params: { id: hook.json.id }, token: server.adminKey }, 200);
  await call('GET', WD, { params: { id: unknownId() }, token: server.adminKey }, 404);
  await call('GET', WD, { params: { id: hook.json.id }, token: tok(owner) }, 403);
  await call('GET', WD, { params: { id: hook.json.id } }, 401);
  await call('POST', G, { params: p, token: server.adminKey, body: gift }, 201);
  await waitFor(() => hooked.length >= 1, { timeoutMs: 10000, what: 'a webhook delivery' });
  const WL = `${WD}/deliveries`;
  await waitFor(async () => (await api(server, 'GET', `${W}/${hook.json.id}/deliveries`, { token: server.adminKey })).json.deliveries.some((d) => d.status === 'delivered'),
    { timeoutMs: 5000, what: 'the delivery in the log' });
  await call('GET', WL, { params: { id: hook.json.id }, token: server.adminKey, query: { limit: 5 } }, 200);
  await call('GET', WL, { params: { id: hook.json.id }, token: server.adminKey, query: { limit: 0 } }, 400);
  await call('GET', WL, { params: { id: unknownId() }, token: server.adminKey }, 404);
  await call('GET', WL, { params: { id: hook.json.id }, token: tok(owner) }, 403);
  await call('GET', WL, { params: { id: hook.json.id } }, 401);
  await call('DELETE', WD, { params: { id: hook.json.id }, token: tok(owner) }, 403);
  await call('DELETE', WD, { params: { id: hook.json.id } }, 401);
  await call('DELETE', WD, { params: { id: hook.json.id }, token: server.adminKey }, 204);
  await call('DELETE', WD, { params: { id: hook.json.id }, token: server.adminKey }, 404);
  receiver.close();

  // The leaderboard and the statistics: a user token, the admin key or ?apikey=.
  const LB = `${S}/gifts/leaderboard`;
  const lb = await call('GET', LB, { params: p, token: tok(freshUser()) }, 200);
  assert.equal(lb.json.leaderboard[0].user.id, '67890');
  await call('GET', LB, { params: p, query: { apikey, limit: 1 } }, 200);
  await call('GET', LB, { params: p, token: server.adminKey, query: { limit: 'abc' } }, 400);
  await call('GET', LB, { params: p }, 401);
  await call('GET', LB, { params: p, query: { apikey: spare.json.key } }, 401);
  await call('GET', LB, { params: { stream_id: unknownId() }, token: server.adminKey }, 404);
  const ST = `${S}/stats`;
  const stats = await call('GET', ST, { params: p, token: tok(freshUser()) }, 200);
  assert.ok(stats.json.total_messages >= 3);
  await call('GET', ST, { params: p, query: { apikey, top: 3 } }, 200);
  await call('GET', ST, { params: p, token: server.adminKey, query: { top: 'x' } }, 400);
  await call('GET', ST, { params: p }, 401);
  await call('GET', ST, { params: p, token: 'not-a-token' }, 401);
  await call('GET', ST, { params: { stream_id: unknownId() }, token: server.adminKey }, 404);

  // The Showroom-style API.
  const CS = '/api/jkt48/chat-stream-sr';
  const feed = await call('GET', CS, { query: { room_id: s.room_id, apikey, limit: 2 } }, 200);
  assert.equal(feed.json.chat_messages.length, 2);
  await call('GET', CS, { query: { room_id: s.room_id, apikey, since: '2020-01-01T00:00:00' } }, 200);
  await call('GET', CS, { query: { apikey } }, 400);
  await call('GET', CS, { query: { room_id: s.room_id, apikey, limit: 0 } }, 400);
  await call('GET', CS, { query: { room_id: s.room_id, apikey, since: 'yesterday' } }, 400);
  await call('GET', CS, { query: { room_id: s.room_id } }, 401);
  await call('GET', CS, { query: { room_id: s.room_id, apikey: 'sk_' + '0'.repeat(40) } }, 401);
  await call('GET', CS, { query: { room_id: '999999999999', apikey } }, 404);
  const LS = '/api/jkt48/live/showroom';
  const live = await call('GET', LS, { query: { apikey } }, 200);
  assert.ok(live.json.live_streams.some((x) => x.room_id === s.room_id));
  await call('GET', LS, {}, 401);
  await call('GET', LS, { query: { apikey: spare.json.key } }, 401);

  // The gift to an ended stream, and the recently ended streams.
  await api(server, 'PATCH', `/api/v1/streams/${s.id}`, { token: tok(owner), body: { status: 'ended' } });
  await call('POST', G, { params: p, token: server.adminKey, body: gift }, 400);
  await call('GET', ST, { params: p, token: server.adminKey }, 200);
  const RC = '/api/jkt48/recent';
  const recent = await call('GET', RC, { query: { apikey } }, 200);
  assert.ok(recent.json.recent.some((x) => x.room_id === s.room_id));
  await call('GET', RC, { query: { apikey, limit: 1 } }, 200);
  await call('GET', RC, { query: { apikey, limit: 0 } }, 400);
  await call('GET', RC, {}, 401);

  // Past an API key's rate limit: 429 with Retry-After, on every route that takes ?apikey=.
  const limited = await startServer({ args: ['--api-key-rate-limit', '2/60'] });
  const lk = (await api(limited, 'POST', K, { token: limited.adminKey, body: { name: 'limited' } })).json.key;
  const ls = await createStream(limited, owner, { title: 'limited' });
  for (let i = 0; i < 2; i++) await call('GET', LS, { srv: limited, query: { apikey: lk } }, 200);
  await call('GET', LS, { srv: limited, query: { apikey: lk } }, 429);
  await call('GET', CS, { srv: limited, query: { room_id: ls.room_id, apikey: lk } }, 429);
  await call('GET', RC, { srv: limited, query: { apikey: lk } }, 429);
  await call('GET', LB, { srv: limited, params: { stream_id: ls.id }, query: { apikey: lk } }, 429);
  await call('GET', ST, { srv: limited, params: { stream_id: ls.id }, query: { apikey: lk } }, 429);
  await limited.stop();
});

// ---- polls ---------------------------------------------------------------------------------------

flow('polls: create, list, get, close', async () => {
  const s = await createStream(server, owner, { title: 'polls' });
  await api(server, 'POST', `/api/v1/streams/${s.id}/moderators`, { token: tok(owner), body: { user_id: mod.sub } });
  const p = { stream_id: s.id };
  const viewer = freshUser();
  const PL = `${S}/polls`;
  const body = { question: 'Which song first?', options: ['Aitakatta', 'Heavy Rotation', 'River'], duration_seconds: 120 };
  const made = await call('POST', PL, { params: p, token: tok(mod), body }, 201);
  const poll = made.json.data;
  assert.equal(poll.status, 'open');
  assert.deepEqual(poll.options.map((o) => o.text), body.options);
  await call('POST', PL, { params: p, token: tok(owner), body }, 409);
  await call('POST', PL, { params: p, token: tok(mod), body: { ...body, options: ['only one'] } }, 400);
  await call('POST', PL, { params: p, token: tok(mod), body: { ...body, options: ['1', '2', '3', '4', '5', '6'] } }, 400);
  await call('POST', PL, { params: p, token: tok(mod), body: { ...body, duration_seconds: 5 } }, 400);
  await call('POST', PL, { params: p, token: tok(mod), body: { options: body.options, duration_seconds: 60 } }, 400);
  await call('POST', PL, { params: p, token: tok(mod), body: 'nope' }, 400);
  await call('POST', PL, { params: p, token: tok(viewer), body }, 403);
  await call('POST', PL, { params: p, body }, 401);
  await call('POST', PL, { params: { stream_id: unknownId() }, token: tok(mod), body }, 404);

  const list = await call('GET', PL, { params: p, token: tok(viewer) }, 200);
  assert.equal(list.json.data[0].id, poll.id);
  await call('GET', PL, { params: p }, 401);
  await call('GET', PL, { params: { stream_id: unknownId() }, token: tok(viewer) }, 404);
  const ONE = `${S}/polls/{poll_id}`;
  await call('GET', ONE, { params: { ...p, poll_id: poll.id }, token: tok(viewer) }, 200);
  await call('GET', ONE, { params: { ...p, poll_id: unknownId() }, token: tok(viewer) }, 404);
  await call('GET', ONE, { params: { ...p, poll_id: poll.id } }, 401);
  await call('GET', ONE, { params: { stream_id: unknownId(), poll_id: poll.id }, token: tok(viewer) }, 404);

  const CL = `${S}/polls/{poll_id}/close`;
  await call('POST', CL, { params: { ...p, poll_id: poll.id }, token: tok(viewer) }, 403);
  await call('POST', CL, { params: { ...p, poll_id: poll.id } }, 401);
  await call('POST', CL, { params: { ...p, poll_id: unknownId() }, token: tok(mod) }, 404);
  const closed = await call('POST', CL, { params: { ...p, poll_id: poll.id }, token: tok(mod) }, 200);
  assert.equal(closed.json.data.status, 'closed');
  assert.notEqual(closed.json.data.closed_at, null);
  await call('POST', CL, { params: { ...p, poll_id: poll.id }, token: tok(mod) }, 409);
  // Closed, a new one may start; the list is newest first.
  const second = await call('POST', PL, { params: p, token: server.adminKey, body: { question: 'Encore?', options: ['Yes', 'No'], duration_seconds: 30 } }, 201);
  const again = await call('GET', PL, { params: p, token: tok(viewer) }, 200);
  assert.deepEqual(again.json.data.map((x) => x.id), [second.json.data.id, poll.id]);
  await call('GET', `${S}/moderation/log`, { params: p, token: tok(owner) }, 200);
  // An ended stream takes no polls.
  await api(server, 'PATCH', `/api/v1/streams/${s.id}`, { token: tok(owner), body: { status: 'ended' } });
  await call('POST', PL, { params: p, token: tok(mod), body }, 400);
  await call('GET', ONE, { params: { ...p, poll_id: second.json.data.id }, token: tok(viewer) }, 200);
});

// ---- replay --------------------------------------------------------------------------------------

flow('chat replay', async () => {
  const s = await createStream(server, owner, { title: 'replay' });
  const p = { stream_id: s.id };
  const viewer = freshUser();
  const c = await joinChat(server, s.id, tok(viewer));
  for (const text of ['first', 'second', 'third']) await sendAcked(c, text);
  c.close();
  await api(server, 'PATCH', `/api/v1/streams/${s.id}`, { token: tok(owner), body: { status: 'ended' } });
  const R = `${S}/chat/replay`;
  const all = await call('GET', R, { params: p, token: tok(viewer), query: { from: 0, to: 3600 } }, 200);
  assert.deepEqual(all.json.data.map((m) => m.content), ['first', 'second', 'third']);
  await call('GET', R, { params: { stream_id: s.room_id }, token: server.adminKey }, 200);
  await call('GET', R, { params: p, token: tok(viewer), query: { from: 3000, to: 3600 } }, 200);
  await call('GET', R, { params: p, token: tok(viewer), query: { from: 0.5 } }, 200);
  await call('GET', R, { params: p, token: tok(viewer), query: { from: 10, to: 5 } }, 400);
  await call('GET', R, { params: p, token: tok(viewer), query: { from: 0, to: 4000 } }, 400);
  await call('GET', R, { params: p, token: tok(viewer), query: { from: -1 } }, 400);
  await call('GET', R, { params: p, token: tok(viewer), query: { from: 'abc' } }, 400);
  await call('GET', R, { params: p }, 401);
  await call('GET', R, { params: { stream_id: unknownId() }, token: tok(viewer) }, 404);
  // A live stream replays too (ended_at null).
  const live = await call('GET', R, { params: { stream_id: stream.id }, token: tok(viewer) }, 200);
  assert.equal(live.json.ended_at, null);
});

// ---- dev login and the web pages ----------------------------------------------------------------

flow('dev login', async () => {
  const D = '/api/v1/dev/token';
  const t = await call('POST', D, { body: { username: 'alice', display_name: 'Alice', level: 3, premium: true } }, 201);
  assert.equal(t.json.user.id, 'alice');
  await call('POST', D, { body: { username: 'bob' } }, 201);
  await call('POST', D, { body: { username: 'a b' } }, 400);
  await call('POST', D, { body: { username: 'carol', level: 1000 } }, 400);
  await call('POST', D, { body: 'nope' }, 400);
});

flow('web pages and assets', async () => {
  const room = { room_id: stream.room_id };
  await call('GET', '/', {}, 200);
  await call('GET', '/s/{room_id}', { params: room }, 200);
  await call('GET', '/s/{room_id}', { params: { room_id: stream.id } }, 200);
  await call('GET', '/s/{room_id}', { params: { room_id: 'not-a-room' } }, 404);
  await call('GET', '/s/{room_id}/stats', { params: room }, 200);
  await call('GET', '/s/{room_id}/stats', { params: { room_id: 'x' } }, 404);
  await call('GET', '/overlay/{room_id}', { params: room }, 200);
  await call('GET', '/overlay/{room_id}', { params: { room_id: 'x' } }, 404);
  const A = '/assets/{file}';
  for (const file of readdirSync(join(ROOT, 'web/assets')).filter((f) => !f.startsWith('.'))) {
    await call('GET', A, { params: { file } }, 200);
  }
  await call('GET', A, { params: { file: 'missing.css' } }, 404);
  await call('GET', A, { params: { file: '.hidden' } }, 400);
  const hls = await call('GET', '/assets/vendor/hls.js', {}, 200);
  assert.match(hls.text, /Hls/, 'hls.js from web/node_modules');
  // The replay page last: the newest page, the one a binary may lack.
  await call('GET', '/s/{room_id}/replay', { params: { room_id: 'x' } }, 404);
  await call('GET', '/s/{room_id}/replay', { params: room, query: { t: 30 } }, 200);
});

// ---- answers no ordinary request provokes ----------------------------------------------------

flow('every operation that takes a body refuses one over 64 KiB (413)', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
  const ids = { stream_id: stream.id, poll_id: unknownId(), message_id: unknownId(), user_id: 'u', term_id: 't', id: 'k' };
  for (const [, { method, path, op }] of operations) {
    if (!op.requestBody) continue;
    await call(method, path, { params: ids, token: server.adminKey, body: big }, 413);
  }
});

flow('a server without web pages, over its connection-rate cap, and shutting down', async () => {
  const srv = await startServer({ args: ['--web-dir', tempDir(), '--connect-rate-per-ip', '1/60'] });
  await call('GET', '/', { srv }, 404);
  const s = await createStream(srv, owner, { title: 'draining' });
  // The first upgrade of this address in the window is admitted; it stays open, reading nothing,
  // so the shutdown waits in its close (bounded) while the answers below are read.
  const stubborn = await openWs(srv, s.id, srv.token(freshUser()));
  await stubborn.next('history');
  stubborn.pause();
  const WS = `${S}/chat/ws`;
  const upgrade = (key) => `GET /api/v1/streams/${s.id}/chat/ws?token=${srv.token(freshUser())} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`;
  const capped = rawConnection(srv);
  await capped.opened;
  checkResponse('GET', WS, await capped.request(upgrade(randomBytes(16).toString('base64'))), { expect: 429 });
  capped.close();
  // Three kept-alive connections, opened before SIGTERM (a stopping server accepts no new ones).
  const conns = [rawConnection(srv), rawConnection(srv), rawConnection(srv)];
  for (const c of conns) {
    await c.opened;
    checkResponse('GET', '/healthz', await c.request('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), { expect: 200 });
  }
  process.kill(srv.pid, 'SIGTERM');
  await sleep(300);
  checkResponse('GET', '/healthz', await conns[0].request('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), { expect: 503 });
  checkResponse('GET', '/readyz', await conns[1].request('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), { expect: 503 });
  checkResponse('GET', WS, await conns[2].request(upgrade(randomBytes(16).toString('base64'))), { expect: 503 });
  for (const c of conns) c.close();
  stubborn.terminate();
  await srv.proc._exited;
});

// ---- the verdict -----------------------------------------------------------------------------

test('every operation of docs/openapi.yaml was exercised against the server', (t) => {
  const missing = [], notCalled = [];
  for (const key of operations.keys()) {
    if (missingInBinary.has(key)) missing.push(`${key} (${missingInBinary.get(key)})`);
    else if (!attempted.has(key)) notCalled.push(key);
  }
  // What was seen, and which declared statuses no test provoked (informational).
  let pairs = 0;
  const unseen = [];
  for (const [key, { op }] of operations) {
    const seen = attempted.get(key) ?? new Set();
    pairs += seen.size;
    const rest = Object.keys(op.responses ?? {}).filter((s) => /^\d+$/.test(s) && !seen.has(Number(s)));
    if (rest.length && !missingInBinary.has(key)) unseen.push(`${key}: ${rest.join(', ')}`);
  }
  t.diagnostic(`${operations.size} operations in the spec; ${attempted.size} exercised, ${pairs} (operation, status) pairs seen`);
  if (unseen.length) {
    t.diagnostic('declared statuses not provoked by this test:');
    for (const line of unseen) t.diagnostic(`  ${line}`);
  }
  const report = [];
  if (missing.length) report.push(`operations the test could not exercise because this sorakd lacks the route:\n  ${missing.join('\n  ')}`);
  if (notCalled.length) report.push(`operations the test never called:\n  ${notCalled.join('\n  ')}`);
  if (report.length) assert.fail(report.join('\n'));
});
