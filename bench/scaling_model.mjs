#!/usr/bin/env node
// scaling_model.mjs: how far Sorak goes, on paper, from measured figures (docs/scaling.md).
//
//   node bench/scaling_model.mjs                     the tables, as markdown (docs/scaling.md embeds them)
//   node bench/scaling_model.mjs --json              every figure, as JSON
//   node bench/scaling_model.mjs --inputs FILE       other inputs (default bench/scaling_inputs.json)
//   node bench/scaling_model.mjs --set NAME=VALUE    change one input (repeatable), e.g. --set zipf_exponent=1.2
//   node bench/scaling_model.mjs --update docs/scaling.md
//                                                    put the tables between the file's markers
//                                                    <!-- scaling_model:begin --> and <!-- scaling_model:end -->
//
// The inputs (bench/scaling_inputs.json) are each a value, a unit and a source. From them the model
// works out, for each total of concurrent viewers over the streams (a Zipf-like split):
// - the nodes: CPU per viewer from a cost per write and a cost per event in a write (fitted to the
//   fanout-1k and fanout-5k cases), per remote event, per node report; memory per connection and per
//   room; bytes per delivery; at most utilisation_target of each, at least min_nodes;
// - Redis: PUBLISHes and the copies it makes (a stream's event to every node subscribed to it, every
//   node's report to every node), at a CPU cost per PUBLISH and per copy fitted to bench/redis_pubsub.sh;
// - the store: messages/s, and commits/s after each node's group commit, at PostgreSQL's CPU per
//   commit and per further message in a group; the hottest stream's head row, locked by each group;
// - the first bottleneck: of four limits, each measured against a single unit that more nodes do
//   not enlarge (the hottest stream against one node, what every node pays against one node, one
//   Redis, one primary), the one that reaches 100 % at the fewest viewers;
// - the same with the changes docs/scaling.md proposes (streams partitioned over nodes, sharded
//   PUB/SUB, the store partitioned by stream).
// No dependencies: Node 20.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_INPUTS = join(HERE, 'scaling_inputs.json');

// The limits a row is judged by; `change` is what lifts each (docs/scaling.md explains them).
export const LIMITS = {
  hot_stream: {
    name: "one hot stream's fan-out",
    short: 'hot stream',
    change: 'spread it over nodes: any node today (Redis copies its messages to every node); partitioned, a set of nodes of its own',
  },
  node_fixed: {
    name: 'every node holding every stream',
    short: 'every node',
    change: 'partitioned streams: a node subscribes to, and keeps rooms for, its own streams only',
  },
  redis: {
    name: 'Redis PUB/SUB copying to every node',
    short: 'Redis',
    change: 'sharded PUB/SUB per stream (SSUBSCRIBE/SPUBLISH, Redis 7 cluster) and partitioned streams',
  },
  store: {
    name: "the store's commit rate",
    short: 'store',
    change: 'streams partitioned over several primaries; history from read replicas',
  },
};
const LIMIT_ORDER = ['hot_stream', 'node_fixed', 'redis', 'store'];

// ---- inputs ---------------------------------------------------------------------------------

// {name: value} from the inputs file, with `--set` overrides ({name: value}) applied.
export function loadInputs(path = DEFAULT_INPUTS, overrides = {}) {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  const v = {};
  for (const [name, entry] of Object.entries(doc.inputs)) v[name] = entry.value;
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in v)) throw new Error(`no input named ${name}`);
    v[name] = value;
  }
  return v;
}

// Least squares y = a + b x.
function fitLine(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

// A PUB/SUB message as a subscriber's socket carries it: *3 $7 message $len channel $len payload.
function respBytes(channelBytes, payloadBytes) {
  const bulk = (n) => 1 + String(n).length + 2 + n + 2;
  return 4 + bulk(7) + bulk(channelBytes) + bulk(payloadBytes);
}

// The per-unit costs the model runs on, each worked out from the inputs.
export function derive(v) {
  const ingest = v.ingest_server_cores / v.ingest_acked_per_s; // CPU-s per message taken from a sender
  // CPU per viewer-second in the two fan-out cases, without the senders' messages' own cost.
  const perViewer = (cores, rate, viewers) => (cores - rate * ingest) / viewers;
  const k1 = perViewer(v.fanout_1k_server_cores, v.fanout_1k_messages_per_s, v.fanout_1k_viewers);
  const k5 = perViewer(v.fanout_5k_server_cores, v.fanout_5k_messages_per_s, v.fanout_5k_viewers);
  // k = writes × per_write + events × per_event, two cases, two unknowns.
  const w1 = v.fanout_1k_writes_per_viewer_per_s;
  const e1 = v.fanout_1k_messages_per_s;
  const w5 = v.fanout_5k_writes_per_viewer_per_s;
  const e5 = v.fanout_5k_messages_per_s;
  const det = w1 * e5 - w5 * e1;
  if (det === 0) throw new Error('the two fan-out cases do not tell a write from an event');
  const perWrite = (k1 * e5 - k5 * e1) / det;
  const perEvent = (w1 * k5 - w5 * k1) / det;
  // The saturation case as the model sees it, against what was measured.
  const satWrites = Math.min(v.saturation_messages_per_s, v.fanout_5k_writes_per_viewer_per_s);
  const satModel = v.saturation_viewers * (satWrites * perWrite + v.saturation_messages_per_s * perEvent)
    + v.saturation_messages_per_s * ingest;
  // Redis: CPU per PUBLISH that reached K subscribers = K / deliveries per CPU-second = a + b K.
  const rows = v.redis_runs;
  const redis = fitLine(rows.map((r) => r.subscribers), rows.map((r) => r.subscribers / r.deliveries_per_redis_cpu_s));
  const streamChannel = 'sorak:stream:'.length + 36;
  return {
    ingest,
    perWrite,
    perEvent,
    busyWrites: v.fanout_5k_writes_per_viewer_per_s,
    remoteEvent: v.cpu_per_remote_event_us * 1e-6,
    nodeReport: v.cpu_per_node_report_us * 1e-6,
    countEntry: v.cpu_per_count_entry_us * 1e-6,
    upgrade: v.connect_server_cores / v.connect_upgrades_per_s,
    idlePerConnection: v.idle_server_cores / v.idle_connections,
    deliveriesPerCoreUnbatched: 1 / (perWrite + perEvent),
    deliveriesPerCoreSaturation: v.saturation_deliveries_per_s / v.saturation_server_cores,
    saturationModelCores: satModel,
    saturationMeasuredCores: v.saturation_server_cores,
    redisPerPublish: Math.max(redis.a, 0),
    redisPerCopy: redis.b,
    redisCopiesPerCore: 1 / redis.b,
    redisStreamCopyBytes: respBytes(streamChannel, v.wire_envelope_bytes),
    redisReportCopyBytes: respBytes('sorak:nodes'.length, v.node_report_bytes),
    pgPerCommit: v.pg_commit_cpu_ms / 1000,
    pgPerGroupedMessage: v.store_pg_backend_cores_at_ceiling / v.ingest_acked_per_s,
    groupSeconds: v.store_group_commit_ms / 1000,
    churn: 2 / (v.viewer_session_minutes * 60), // joins + leaves per viewer per second
    connectionBytes: v.idle_rss_bytes_per_connection + v.kernel_bytes_per_connection,
  };
}

// ---- the streams --------------------------------------------------------------------------------

// Each stream's share of the viewers, hottest first: ∝ 1/k^s.
export function zipfShares(streams, s) {
  const w = Array.from({ length: streams }, (_, k) => 1 / (k + 1) ** s);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

// Per stream, for `viewers` in all: its viewers, chat rate, and per viewer the events, writes, CPU
// and bytes a node spends on it; its ring's length.
function streamsFor(viewers, v, d, shares) {
  const interval = v.viewer_count_interval_s;
  return shares.map((share) => {
    const n = viewers * share;
    const rate = n > 0
      ? Math.min(v.chat_max_messages_per_s, Math.max(v.chat_min_messages_per_s, n * v.chat_messages_per_viewer_per_s))
      : 0;
    // The stream's total changes in an interval when anyone joined or left: a viewer_count frame.
    const counts = (1 - Math.exp(-n * d.churn * interval)) / interval;
    const events = rate + counts + 1 / v.ping_interval_s;
    const writes = Math.min(events, d.busyWrites);
    const payload = rate * v.message_frame_bytes + counts * v.viewer_count_frame_bytes
      + v.ping_frame_bytes / v.ping_interval_s; // bytes per viewer per second
    const segments = Math.max(writes, payload / v.tcp_mss_bytes); // a write is at least one segment
    return {
      viewers: n,
      rate,
      cpuPerViewer: writes * d.perWrite + events * d.perEvent,
      bitsPerViewer: 8 * (payload + segments * v.tcp_overhead_bytes_per_segment),
      roomBytes: v.room_fixed_bytes + Math.min(v.ring_capacity, rate * v.stream_age_hours * 3600) * v.ring_bytes_per_message,
    };
  });
}

function caps(v) {
  return {
    cpu: v.node_cores * v.utilisation_target,
    mem: v.node_ram_gib * 2 ** 30 * v.utilisation_target,
    nic: v.node_nic_gbit * 1e9 * v.utilisation_target,
    conns: v.node_max_connections,
    redisCpu: v.redis_shard_cores * v.utilisation_target,
    redisNic: v.redis_shard_nic_gbit * 1e9 * v.utilisation_target,
    db: v.db_cores * v.utilisation_target,
  };
}

// The nodes' channel: every node's heartbeat every second and its changed counts every count
// period, each copied to every node. `holders[i]`: how many nodes have viewers of stream i.
function nodesChannel(N, ss, holders, v, d) {
  if (N <= 1) return { publishes: 0, copies: 0, entries: 0, bytes: 0 };
  const interval = v.viewer_count_interval_s;
  const publishes = N * (1 / v.heartbeat_interval_s + 1 / interval);
  let entries = 0; // counts published per second, all nodes together
  for (let i = 0; i < ss.length; i++) {
    const h = holders[i];
    if (h <= 0) continue;
    const perHolder = ss[i].viewers / h;
    entries += h * (1 - Math.exp(-perHolder * d.churn * interval)) / interval;
  }
  return {
    publishes,
    copies: publishes * N,
    entries,
    bytes: publishes * N * d.redisReportCopyBytes + entries * N * v.count_entry_bytes,
  };
}

// The store for `messages`/s taken by N nodes, each committing its own groups.
function store(N, messages, hotRate, v, d, c) {
  const perNode = messages / N;
  const groups = perNode / (1 + perNode * d.groupSeconds); // a group holds what came during the last one
  const commits = N * groups;
  const cpu = commits * d.pgPerCommit + Math.max(0, messages - commits) * d.pgPerGroupedMessage;
  // The hottest stream's head row is locked by every group holding one of its messages.
  const hotPerNode = hotRate / N;
  const hotGroups = groups > 0 ? N * groups * (1 - Math.exp(-hotPerNode / groups)) : 0;
  return {
    messages,
    commits,
    cpu,
    share: cpu / c.db,
    hotRowBusy: hotGroups * d.groupSeconds,
    hotRowShare: (hotGroups * d.groupSeconds) / v.utilisation_target,
  };
}

// ---- one layout at one size -------------------------------------------------------------------

// `partitioned` false: today's layout (any node takes any viewer, one Redis, one primary);
// true: streams placed on nodes, a stream on as few nodes as hold it, sharded PUB/SUB.
function evaluate(viewers, N, ss, v, d, partitioned) {
  const c = caps(v);
  const messages = ss.reduce((s, x) => s + x.rate, 0);
  const hot = ss[0];
  let deliverCpu = 0;
  let bits = 0;
  for (const x of ss) {
    deliverCpu += x.viewers * x.cpuPerViewer;
    bits += x.viewers * x.bitsPerViewer;
  }
  // holders[i]: the nodes that have viewers of stream i, so hold its room and get its events.
  const holders = ss.map((x) => {
    if (x.viewers <= 0) return 0;
    if (N === 1) return 1;
    if (partitioned) {
      return Math.min(N, Math.max(1, Math.ceil(Math.max(
        (x.viewers * x.cpuPerViewer) / c.cpu, (x.viewers * x.bitsPerViewer) / c.nic, x.viewers / c.conns))));
    }
    return N * (1 - Math.exp(x.viewers * Math.log1p(-1 / N)));
  });
  let inboundCpu = 0;
  let roomBytes = 0;
  let streamCopies = 0;
  for (let i = 0; i < ss.length; i++) {
    if (N > 1) inboundCpu += holders[i] * ss[i].rate * d.remoteEvent;
    roomBytes += holders[i] * ss[i].roomBytes;
    if (N > 1) streamCopies += ss[i].rate * holders[i];
  }
  const nodes = nodesChannel(N, ss, holders, v, d);
  const reportCpu = N > 1 ? (nodes.publishes * d.nodeReport + nodes.entries * d.countEntry) : 0; // per node
  const fixedCpu = inboundCpu / N + reportCpu;
  const cpu = deliverCpu / N + fixedCpu
    + (messages / N) * d.ingest + (viewers * d.churn / 2 / N) * d.upgrade + (viewers / N) * d.idlePerConnection;
  const fixedMem = v.node_base_rss_bytes + roomBytes / N;
  const mem = fixedMem + (viewers / N) * d.connectionBytes;
  const nic = bits / N;
  const conns = viewers / N;
  const nodeShares = { cpu: cpu / c.cpu, memory: mem / c.mem, network: nic / c.nic, connections: conns / c.conns };

  // Redis: one instance today; shards by channel when partitioned.
  const publishes = N > 1 ? messages + nodes.publishes : 0;
  const copies = streamCopies + nodes.copies;
  const redisCpu = publishes * d.redisPerPublish + copies * d.redisPerCopy;
  const redisBits = 8 * (streamCopies * d.redisStreamCopyBytes + nodes.bytes);
  const redisShare = Math.max(redisCpu / c.redisCpu, redisBits / c.redisNic);
  const hotChannelCopies = N > 1 ? hot.rate * holders[0] : 0;
  const hotChannelShare = Math.max(
    (hot.rate * d.redisPerPublish + hotChannelCopies * d.redisPerCopy) / c.redisCpu,
    (8 * hotChannelCopies * d.redisStreamCopyBytes) / c.redisNic);
  const nodesChannelShare = Math.max(
    (nodes.publishes * d.redisPerPublish + nodes.copies * d.redisPerCopy) / c.redisCpu,
    (8 * nodes.bytes) / c.redisNic);

  const db = store(N, messages, hot.rate, v, d, c);
  const hotShare = Math.max((hot.viewers * hot.cpuPerViewer + hot.rate * d.ingest) / c.cpu,
    (hot.viewers * hot.bitsPerViewer) / c.nic, hot.viewers / c.conns);
  return {
    viewers,
    nodes: N,
    messages,
    deliveries: ss.reduce((s, x) => s + x.viewers * x.rate, 0),
    hot: { viewers: hot.viewers, share: hot.viewers / viewers, rate: hot.rate, nodes: holders[0] },
    node: { cpu, mem, nic, conns, fixedCpu, fixedMem, shares: nodeShares, roomsPerNode: holders.reduce((s, h) => s + h, 0) / N },
    redis: {
      publishes, copies, streamCopies, nodeCopies: nodes.copies, countEntries: nodes.entries,
      cpu: redisCpu, bits: redisBits, share: N > 1 ? redisShare : 0,
      shards: N > 1 ? Math.max(1, Math.ceil(redisShare)) : 0,
      hotChannelShare: N > 1 ? hotChannelShare : 0,
      nodesChannelShare: N > 1 ? nodesChannelShare : 0,
    },
    store: db,
    limits: {
      hot_stream: hotShare,
      node_fixed: Math.max(fixedCpu / c.cpu, fixedMem / c.mem),
      redis: N > 1 ? (partitioned ? Math.max(hotChannelShare, nodesChannelShare) : redisShare) : 0,
      store: partitioned ? db.hotRowShare : Math.max(db.share, db.hotRowShare),
    },
    fits: Object.values(nodeShares).every((s) => s <= 1),
  };
}

const MAX_NODES = 100000;

// The fewest nodes (at least min_nodes) whose every node stays within its caps, and that result.
// limits.node_fixed is what every node pays as a share of a node at the count the viewers alone
// would need (their deliveries, bytes, connections and connection memory): past 100 %, nodes are
// added only to hold what every node holds.
export function size(viewers, v, d, shares, partitioned = false) {
  const ss = streamsFor(viewers, v, d, shares);
  const c = caps(v);
  let deliver = 0;
  let bits = 0;
  for (const x of ss) {
    deliver += x.viewers * x.cpuPerViewer;
    bits += x.viewers * x.bitsPerViewer;
  }
  const forViewers = Math.max(v.min_nodes, 1, Math.ceil(Math.max(deliver / c.cpu, bits / c.nic, viewers / c.conns,
    (viewers * d.connectionBytes) / Math.max(1, c.mem - v.node_base_rss_bytes)) - 1e-9));
  const atViewers = evaluate(viewers, forViewers, ss, v, d, partitioned);
  const finish = (r) => ({ ...r, nodesForViewers: forViewers, limits: { ...r.limits, node_fixed: atViewers.limits.node_fixed } });
  let N = forViewers;
  let r = atViewers;
  let step = 1;
  // Grow fast while far off, then settle on the first N that fits.
  while (!r.fits && N < MAX_NODES) {
    const next = evaluate(viewers, N + step, ss, v, d, partitioned);
    if (next.fits) {
      if (step === 1) return finish(next);
      step = Math.max(1, step >> 2);
      continue;
    }
    N += step;
    r = next;
    if (step < 64) step *= 2;
  }
  if (!r.fits) return finish({ ...r, nodes: Infinity, infeasible: true });
  return finish(r);
}

// For today's layout: the viewer total at which each limit first reaches 100 % (scanning up to
// `viewers` on a log grid), and so the first bottleneck.
function firstBottleneck(viewers, v, d, shares) {
  const steps = 48;
  const from = viewers / 100;
  const crossing = {};
  for (let k = 0; k <= steps; k++) {
    const at = from * (viewers / from) ** (k / steps);
    const r = size(at, v, d, shares, false);
    for (const name of LIMIT_ORDER) if (crossing[name] === undefined && r.limits[name] >= 1) crossing[name] = k === 0 ? 0 : at;
  }
  const crossed = LIMIT_ORDER.filter((n) => crossing[n] !== undefined).sort((a, b) => crossing[a] - crossing[b]);
  return { crossing, first: crossed[0] ?? null, over: crossed };
}

// ---- the whole model ----------------------------------------------------------------------------

// The node count at which the nodes' channel alone (heartbeats and count reports, no counts in
// them) fills one Redis shard: its copies grow with the square of the nodes.
function nodesChannelLimit(v, d) {
  const c = caps(v);
  const f = 1 / v.heartbeat_interval_s + 1 / v.viewer_count_interval_s;
  const a = d.redisPerPublish;
  const b = d.redisPerCopy;
  const byCpu = (-f * a + Math.sqrt(f * f * a * a + 4 * f * b * c.redisCpu)) / (2 * f * b);
  const byNic = Math.sqrt(c.redisNic / (8 * f * d.redisReportCopyBytes));
  return Math.floor(Math.min(byCpu, byNic));
}

export function model(v) {
  const d = { ...derive(v) };
  d.nodesChannelLimit = nodesChannelLimit(v, d);
  const shares = zipfShares(v.streams, v.zipf_exponent);
  const rows = v.viewer_rows.map((viewers) => {
    const today = size(viewers, v, d, shares, false);
    const after = size(viewers, v, d, shares, true);
    const fb = firstBottleneck(viewers, v, d, shares);
    const nearest = LIMIT_ORDER.reduce((a, b) => (today.limits[b] > today.limits[a] ? b : a));
    return { viewers, today, after, bottleneck: { ...fb, nearest } };
  });
  return { derived: d, hotShare: shares[0], streams: v.streams, zipf: v.zipf_exponent, target: v.utilisation_target, rows };
}

// ---- printing -------------------------------------------------------------------------------------

function num(x) {
  if (!Number.isFinite(x)) return '∞';
  const a = Math.abs(x);
  // Three significant digits, without trailing zeros: 1 M, 17 msg/s, 1.74 k.
  const sig = (y) => String(Number(y >= 100 ? y.toFixed(0) : y >= 10 ? y.toFixed(1) : y.toFixed(2)));
  if (a >= 1e9) return `${sig(x / 1e9)} G`;
  if (a >= 1e6) return `${sig(x / 1e6)} M`;
  if (a >= 1e3) return `${sig(x / 1e3)} k`;
  if (a === 0) return '0';
  return sig(x);
}
const pct = (x) => `${x >= 10 ? Math.round(x * 100).toLocaleString('en-US') : (x * 100).toFixed(0)} %`;
const us = (s) => `${(s * 1e6).toFixed(s * 1e6 >= 10 ? 1 : 3)} µs`;

function boundBy(r) {
  const names = { cpu: 'CPU', memory: 'memory', network: 'network', connections: 'connections' };
  const [k, s] = Object.entries(r.node.shares).reduce((a, b) => (b[1] > a[1] ? b : a));
  return `${names[k]} ${pct(s)}`;
}

export function renderMarkdown(m) {
  const d = m.derived;
  const out = [];
  const t = Math.round(m.target * 100);
  out.push(`${m.streams.toLocaleString('en-US')} streams, the k-th most watched holding ∝ 1/k^${m.zipf} of the viewers (the hottest ${(m.hotShare * 100).toFixed(1)} %); every resource planned to ${t} % of its capacity.`);
  out.push('');
  out.push('**Today**: any node takes any viewer; one Redis; one PostgreSQL primary.');
  out.push('');
  out.push('| Viewers | Hottest stream | Chat messages/s | Deliveries/s | Nodes (busiest resource) | Redis copies/s (one instance) | Store commits/s for messages/s (one primary) | First bottleneck (from) | What changes there |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of m.rows) {
    const a = r.today;
    const b = r.bottleneck;
    const from = (name) => (b.crossing[name] === 0 ? `below ${num(r.viewers / 100)}` : `~${num(b.crossing[name])}`);
    const first = b.first
      ? [`${LIMITS[b.first].name} (${from(b.first)})`, ...b.over.slice(1).map((n) => `then ${LIMITS[n].name} (${from(n)})`)].join('; ')
      : `none yet (nearest: ${LIMITS[b.nearest].name}, ${pct(a.limits[b.nearest])})`;
    const change = b.over.length === 0 ? '—'
      : b.over.length === 1 ? LIMITS[b.first].change
        : b.over.map((n) => `${LIMITS[n].short}: ${LIMITS[n].change}`).join('; ');
    const nodes = a.infeasible ? 'no node count fits' : `${a.nodes} (${boundBy(a)})`;
    out.push(`| ${num(r.viewers)} | ${num(a.hot.viewers)} viewers, ${num(a.hot.rate)} msg/s | ${num(a.messages)} | ${num(a.deliveries)} | ${nodes} | ${num(a.redis.copies)} (${pct(a.redis.share)}) | ${num(a.store.commits)} for ${num(a.messages)} (${pct(a.store.share)}) | ${first} | ${change} |`);
  }
  out.push('');
  out.push(`**The four limits today**, each as a share of one unit at ${t} %: the hottest stream's fan-out against one node; what every node pays (the rooms and events of every stream it has viewers of, every node's reports) against one node, at the node count the viewers alone need; one Redis; one primary (its CPU, and the hottest stream's head row, locked by each group that holds one of its messages).`);
  out.push('');
  out.push('| Viewers | Hot stream / one node | Every node\'s fixed share | Redis / one instance | Store / one primary | Hot stream\'s head row |');
  out.push('|---|---|---|---|---|---|');
  for (const r of m.rows) {
    const a = r.today;
    const cell = (name, share) => {
      const at = r.bottleneck.crossing[name];
      return at === undefined ? pct(share) : `${pct(share)} (100 % ${at === 0 ? `below ${num(r.viewers / 100)}` : `at ~${num(at)}`})`;
    };
    out.push(`| ${num(r.viewers)} | ${cell('hot_stream', a.limits.hot_stream)} | ${cell('node_fixed', a.limits.node_fixed)} | ${cell('redis', a.redis.share)} | ${pct(a.store.share)} | ${pct(a.store.hotRowShare)} |`);
  }
  out.push('');
  out.push('**With the changes**: streams partitioned over nodes (a stream on as few nodes as hold its viewers), sharded PUB/SUB, the store partitioned by stream.');
  out.push('');
  out.push('| Viewers | Nodes | Nodes for the hottest stream | Redis shards (copies/s) | Hottest channel / one shard | Nodes\' channel / one shard | Store primaries |');
  out.push('|---|---|---|---|---|---|---|');
  for (const r of m.rows) {
    const a = r.after;
    const primaries = Math.max(1, Math.ceil(a.store.share));
    out.push(`| ${num(r.viewers)} | ${a.infeasible ? 'no node count fits' : a.nodes} | ${Math.round(a.hot.nodes)} | ${a.redis.shards} (${num(a.redis.copies)}) | ${pct(a.redis.hotChannelShare)} | ${pct(a.redis.nodesChannelShare)} | ${primaries} (${pct(a.store.share / primaries)} each) |`);
  }
  out.push('');
  out.push('Worked out from the inputs:');
  out.push('');
  out.push(`- a node: ${us(d.perWrite)} of CPU per write to a viewer and ${us(d.perEvent)} per event it carries, so ${num(d.deliveriesPerCoreUnbatched)} deliveries per core-second when each delivery is its own write (a chat of a few messages a second) and at most ${num(1 / d.perEvent)} when writes carry many; measured at saturation: ${num(d.deliveriesPerCoreSaturation)} (the model gives that case ${d.saturationModelCores.toFixed(2)} cores against ${d.saturationMeasuredCores} measured);`);
  out.push(`- ${us(d.ingest)} per message taken from a sender, ${us(d.upgrade)} per upgrade, ${num(d.connectionBytes)}B per connection (RSS and kernel);`);
  out.push(`- Redis: ${us(d.redisPerPublish)} per PUBLISH and ${us(d.redisPerCopy)} per copy to a subscriber, ${num(d.redisCopiesPerCore)} copies per core-second; a message's copy is ${d.redisStreamCopyBytes} B;`);
  out.push(`- the nodes' channel alone (every node's heartbeat and count report, to every node) fills a Redis shard at ${d.nodesChannelLimit} nodes;`);
  out.push(`- PostgreSQL: ${(d.pgPerCommit * 1e3).toFixed(2)} ms of CPU per commit, ${us(d.pgPerGroupedMessage)} per further message in a group; a group holds its streams' head rows ${(d.groupSeconds * 1e3).toFixed(1)} ms.`);
  return out.join('\n') + '\n';
}

// ---- command line -------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { inputs: DEFAULT_INPUTS, json: false, set: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--inputs') o.inputs = argv[++i];
    else if (a === '--update') o.update = argv[++i];
    else if (a === '--set') {
      const [name, value] = (argv[++i] ?? '').split('=');
      if (!name || value === undefined) throw new Error('--set takes NAME=VALUE');
      o.set[name] = JSON.parse(value);
    } else if (a === '--help' || a === '-h') {
      o.help = true;
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`scaling_model: ${e.message}`);
    process.exit(2);
  }
  if (o.help) {
    console.log('usage: node bench/scaling_model.mjs [--json] [--inputs FILE] [--set NAME=VALUE]… [--update FILE]');
    return;
  }
  let m;
  try {
    m = model(loadInputs(o.inputs, o.set));
  } catch (e) {
    console.error(`scaling_model: ${e.message}`);
    process.exit(2);
  }
  if (o.update) {
    const doc = readFileSync(o.update, 'utf8');
    const markers = /(<!-- scaling_model:begin -->\n)[\s\S]*?(<!-- scaling_model:end -->)/;
    if (!markers.test(doc)) {
      console.error(`scaling_model: no scaling_model:begin/end markers in ${o.update}`);
      process.exit(1);
    }
    writeFileSync(o.update, doc.replace(markers, (_, begin, end) => begin + renderMarkdown(m) + end));
    console.log(`scaling_model: tables written into ${o.update}`);
  } else if (o.json) console.log(JSON.stringify(m, (k, x) => (x === Infinity ? null : x), 2));
  else process.stdout.write(renderMarkdown(m));
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) main();
