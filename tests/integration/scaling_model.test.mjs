// scaling_model.test.mjs: bench/scaling_model.mjs and docs/scaling.md. The tables embedded in the
// doc are the script's output on bench/scaling_inputs.json (so they cannot drift apart), the byte
// figure taken from docs/api.md still matches it, and the model behaves on made-up inputs: twice the
// CPU per delivery takes about twice the nodes, and each of the four limits is named when it is the
// one that gives out first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInputs, model, renderMarkdown, DEFAULT_INPUTS } from '../../bench/scaling_model.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(ROOT, 'bench', 'scaling_model.mjs');
const DOC = join(ROOT, 'docs', 'scaling.md');

const run = (...args) => execFileSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', stdio: 'pipe' });

// Made-up inputs: the real ones with `set` over them, and one size only unless told.
const made = (set) => model(loadInputs(DEFAULT_INPUTS, { viewer_rows: [1_000_000], ...set }));

// A node where only CPU counts: network, memory and connections never bind.
const cpuOnly = { node_nic_gbit: 100_000, node_ram_gib: 100_000, node_max_connections: 1e12, min_nodes: 1 };

test("docs/scaling.md embeds exactly the script's output", () => {
  const doc = readFileSync(DOC, 'utf8');
  const m = doc.match(/<!-- scaling_model:begin -->\n([\s\S]*?)<!-- scaling_model:end -->/);
  assert.ok(m, 'docs/scaling.md has the scaling_model:begin/end markers');
  assert.equal(m[1], run(), 'regenerate the block: see "Regenerating" in docs/scaling.md');
});

test('--json gives the same model, one row per size; --set changes one input', () => {
  const json = JSON.parse(run('--json'));
  assert.deepEqual(json.rows.map((r) => r.viewers), [100_000, 1_000_000, 10_000_000]);
  assert.equal(renderMarkdown(json), run());
  const hotter = JSON.parse(run('--json', '--set', 'zipf_exponent=1.2'));
  assert.ok(hotter.hotShare > json.hotShare, 'a steeper split makes the hottest stream hotter');
  assert.throws(() => run('--set', 'no_such_input=1'), /no input named/);
});

test("the bytes per delivery are docs/api.md's message event with 100-byte content, framed", () => {
  const api = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
  const line = api.split('\n').find((l) => l.startsWith('[alice <-] {"type":"message"'));
  assert.ok(line, "docs/api.md still has Alice's message event");
  const event = JSON.parse(line.slice(line.indexOf('{')));
  event.data.content = 'x'.repeat(100);
  const payload = Buffer.byteLength(JSON.stringify(event));
  const header = payload < 126 ? 2 : payload < 65536 ? 4 : 10; // server frames are unmasked
  assert.equal(loadInputs().message_frame_bytes, payload + header);
});

test('every input has a value, a unit and a source', () => {
  const doc = JSON.parse(readFileSync(DEFAULT_INPUTS, 'utf8'));
  for (const [name, entry] of Object.entries(doc.inputs)) {
    assert.ok('value' in entry && 'unit' in entry && entry.source, `${name}: value, unit, source`);
    assert.ok(['measured', 'computed', 'config', 'estimate', 'assumption'].includes(entry.kind), `${name}: kind`);
  }
});

test('twice the CPU per delivery takes about twice the nodes', () => {
  const base = loadInputs(DEFAULT_INPUTS, {});
  const once = made({ ...cpuOnly, viewer_rows: [10_000_000] }).rows[0].today;
  const twice = made({
    ...cpuOnly,
    viewer_rows: [10_000_000],
    fanout_1k_server_cores: 2 * base.fanout_1k_server_cores,
    fanout_5k_server_cores: 2 * base.fanout_5k_server_cores,
  }).rows[0].today;
  assert.ok(once.node.shares.cpu > 0.9, 'CPU is what sizes the nodes here');
  const ratio = twice.nodes / once.nodes;
  assert.ok(ratio > 1.8 && ratio < 2.2, `nodes ${once.nodes} → ${twice.nodes} (×${ratio.toFixed(2)})`);
});

test('more viewers never take fewer nodes', () => {
  const m = made({ viewer_rows: [100_000, 300_000, 1_000_000, 3_000_000] });
  const nodes = m.rows.map((r) => r.today.nodes);
  for (let i = 1; i < nodes.length; i++) assert.ok(nodes[i] >= nodes[i - 1], `nodes ${nodes.join(', ')}`);
});

test("a hot stream whose fan-out exceeds one node is named as the first bottleneck", () => {
  // 100 streams, the hottest with 61 % of 1 M viewers at 100 msg/s: 61 M deliveries/s.
  const m = made({ streams: 100, zipf_exponent: 2 });
  const r = m.rows[0];
  assert.ok(r.today.limits.hot_stream > 1, 'the hottest stream needs more than one node');
  assert.equal(r.bottleneck.first, 'hot_stream');
  assert.match(renderMarkdown(m), /\| one hot stream's fan-out \(/);
});

test('a site that fits everywhere has no bottleneck yet', () => {
  const r = made({ viewer_rows: [20_000] }).rows[0];
  assert.equal(r.bottleneck.first, null);
  for (const share of Object.values(r.today.limits)) assert.ok(share < 1);
});

test('the rooms every node keeps are named when nodes are added only to hold them', () => {
  // 30 k small streams, nodes of 8 GiB: five nodes carry the viewers, but every node keeps a room
  // for nearly every stream.
  const r = made({ streams: 30_000, zipf_exponent: 0, node_ram_gib: 8 }).rows[0];
  assert.ok(r.today.nodes > 4 * r.today.nodesForViewers, `${r.today.nodes} nodes, ${r.today.nodesForViewers} for the viewers`);
  assert.equal(r.bottleneck.first, 'node_fixed');
  assert.ok(r.after.nodes < r.today.nodes / 4, 'partitioned, a node keeps rooms for its own streams only');
});

test('Redis is named when every node gets a copy of every message and no stream is hot', () => {
  // Even streams (no hot one), chatty: every node subscribes to every stream.
  const m = made({ ...cpuOnly, viewer_rows: [10_000_000], zipf_exponent: 0, chat_min_messages_per_s: 2, node_cores: 2 });
  const r = m.rows[0];
  assert.ok(r.today.limits.hot_stream < 1, 'no stream needs more than a node');
  assert.equal(r.bottleneck.first, 'redis');
  assert.ok(r.after.redis.copies < r.today.redis.copies / 10, 'partitioned streams copy each message to far fewer nodes');
});

test("the store is named when the chat outruns one primary's commits", () => {
  const r = made({ viewer_rows: [1_000_000], zipf_exponent: 0, chat_min_messages_per_s: 5, db_cores: 2 }).rows[0];
  assert.ok(r.today.store.commits <= r.today.messages, 'a commit holds one message or more');
  assert.equal(r.bottleneck.first, 'store');
});

test('group commit: fewer commits than messages when each node takes many messages', () => {
  const few = made({ zipf_exponent: 0, chat_min_messages_per_s: 1, min_nodes: 2 }).rows[0].today.store;
  const many = made({ zipf_exponent: 0, chat_min_messages_per_s: 100, min_nodes: 2 }).rows[0].today.store;
  assert.ok(few.commits / few.messages > many.commits / many.messages, 'busier writers commit more messages at once');
});
