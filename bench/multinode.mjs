// multinode.mjs: the figures of `make bench`'s multinode section (bench/run.sh) and its part of
// RESULTS.md, from the JSON lines of its cases:
//   multinode-1         one sorakd, no broker
//   multinode-1-redis   one sorakd with --broker redis:// (each event published; its own messages
//                       reach its viewers at once, its other events when Redis gives them back)
//   multinode-2         two sorakd on one Redis, viewers and senders dealt over both
//   multinode-fanout-1, multinode-fanout-2   one sorakd without a broker, and two on one Redis,
//                       under a viewer-heavy load (deliveries, not messages, are the work)
// each run BENCH_MULTINODE_RUNS times, the cases alternating. A case's figure is the mean of its
// runs; a difference between two cases pairs their runs in order (run k of one with run k of the
// other, which ran side by side) and quotes the spread of the pairs (min – max).
// Pure functions of the records; report.mjs passes its own `fmt` to the section.
import { bucketQuantile } from './buckets.mjs';

export const multinodeCases = [
  { case: 'multinode-1', title: 'one node, no broker' },
  { case: 'multinode-1-redis', title: 'one node on Redis' },
  { case: 'multinode-2', title: 'two nodes on one Redis, viewers and senders on both' },
  { case: 'multinode-fanout-1', title: 'one node, no broker, many viewers' },
  { case: 'multinode-fanout-2', title: 'two nodes on one Redis, many viewers on both' },
];

const num = (v) => typeof v === 'number' && Number.isFinite(v);
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

// The runs of a case that produced figures, in the order they ran.
export function multinodeRuns(all, caseName) {
  return all.filter((r) => r.case === caseName && r.system === 'sorak' && !r.failed);
}

// What one run shows: delivery p99 over every delivery, and split by node (multinode-2 only);
// server CPU (every node's) and Redis's (--aux-pid) per delivery, in µs.
export const p99 = (r) => r.latency_ms?.p99;
export const sameNodeP99 = (r) => r.same_node?.p99;
export const crossNodeP99 = (r) => r.cross_node?.p99;
export const cpuPerDelivery = (r) =>
  r.server_cpu_us_per_delivery ?? (r.server?.cpu_s > 0 && r.delivered > 0 ? (r.server.cpu_s * 1e6) / r.delivered : null);
export const redisCpuPerDelivery = (r) => {
  const aux = r.aux_processes ?? [];
  const us = aux.map((p) => p.cpu_us_per_delivery);
  return us.length && us.every(num) ? us.reduce((a, b) => a + b, 0) : null;
};
export const cpuWithRedisPerDelivery = (r) => {
  const own = cpuPerDelivery(r);
  return num(own) ? own + (redisCpuPerDelivery(r) ?? 0) : null;
};

// The broker's own account (sorakd's sorak_broker_lag_seconds, publish → the node's fan-out, every
// node's buckets added up by bench/run.sh): the bound of the bucket the 99th percentile fell in, in
// ms; Infinity past the last bound; null without a broker.
export const brokerLagP99 = (r) => {
  const q = bucketQuantile(r.broker_lag_buckets, 0.99);
  return q === null ? null : q * 1000;
};

// {mean, min, max, runs} of one figure over a case's runs; null when no run has it.
export function spreadOf(all, caseName, get) {
  const v = multinodeRuns(all, caseName).map(get).filter(num);
  return v.length ? { mean: mean(v), min: Math.min(...v), max: Math.max(...v), runs: v.length } : null;
}

// `a` less `b` (minus), or `a` / `b` − 1 (change): the difference of the cases' means, and the
// spread of the differences of their runs paired in order.
export function compareCases(all, caseA, caseB, get, how = 'minus') {
  const a = multinodeRuns(all, caseA).map(get);
  const b = multinodeRuns(all, caseB).map(get);
  const op = how === 'change' ? (x, y) => (y > 0 ? x / y - 1 : null) : (x, y) => x - y;
  const pairs = [];
  for (let k = 0; k < Math.min(a.length, b.length); k++) {
    if (num(a[k]) && num(b[k])) pairs.push(op(a[k], b[k]));
  }
  const ma = mean(a.filter(num)), mb = mean(b.filter(num));
  const value = num(ma) && num(mb) ? op(ma, mb) : null;
  const paired = pairs.filter(num);
  return { value: num(value) ? value : null, min: paired.length ? Math.min(...paired) : null,
           max: paired.length ? Math.max(...paired) : null, pairs: paired.length };
}

// The acceptance comparisons of the issue, as data: the figure, how it is computed, the goal.
export const multinodeChecks = [
  // The hop itself: in one run of two nodes, a message's viewers on the other node against its
  // viewers on the sender's own node (same load, same moment, same store commit).
  { what: 'Redis hop: cross-node − same-node p99 within multinode-2', unit: 'ms', goal: '≤ 1 ms',
    compute: (all) => {
      const d = (r) => (num(crossNodeP99(r)) && num(sameNodeP99(r)) ? crossNodeP99(r) - sameNodeP99(r) : null);
      const s = spreadOf(all, 'multinode-2', d);
      return s ? { value: s.mean, min: s.min, max: s.max, pairs: s.runs } : { value: null, pairs: 0 };
    },
    test: (v) => v <= 1 },
  { what: 'server CPU per delivery, multinode-fanout-2 vs multinode-fanout-1', unit: 'change', goal: 'within ±15 %',
    compute: (all) => compareCases(all, 'multinode-fanout-2', 'multinode-fanout-1', cpuPerDelivery, 'change'),
    test: (v) => Math.abs(v) <= 0.15 },
  // Context, no goal: the same at 10 viewers a message (where a message's own work, done again by
  // the second node, is most of a delivery's), with Redis's CPU counted in, and the two halves of
  // multinode-2.
  { what: 'server CPU per delivery, multinode-2 vs multinode-1 (10 viewers a message)', unit: 'change',
    compute: (all) => compareCases(all, 'multinode-2', 'multinode-1', cpuPerDelivery, 'change') },
  { what: 'server + Redis CPU per delivery, multinode-2 vs multinode-1', unit: 'change',
    compute: (all) => compareCases(all, 'multinode-2', 'multinode-1', cpuWithRedisPerDelivery, 'change') },
  // The hop on one node: the same node with --broker redis:// and without.
  { what: 'a node on Redis: p99 of multinode-1-redis − multinode-1', unit: 'ms',
    compute: (all) => compareCases(all, 'multinode-1-redis', 'multinode-1', p99) },
  // Two nodes against one: two sorakd sharing this machine's two cores. Not the hop: the
  // deliveries to a sender's own node never cross Redis (a node's own messages go to its viewers
  // at once), and they are slower by about as much (the row after).
  { what: 'two nodes against one: p99 of multinode-2 − multinode-1', unit: 'ms',
    compute: (all) => compareCases(all, 'multinode-2', 'multinode-1', p99) },
  { what: 'two nodes against one, deliveries that never cross Redis: same-node p99 of multinode-2 − p99 of multinode-1', unit: 'ms',
    compute: (all) => compareCases(all, 'multinode-2', 'multinode-1', (r) => (r.case === 'multinode-2' ? sameNodeP99(r) : p99(r))) },
  { what: 'cross-node − same-node p50 within multinode-2', unit: 'ms',
    compute: (all) => {
      const d = (r) => (num(r.cross_node?.p50) && num(r.same_node?.p50) ? r.cross_node.p50 - r.same_node.p50 : null);
      const s = spreadOf(all, 'multinode-2', d);
      return s ? { value: s.mean, min: s.min, max: s.max, pairs: s.runs } : { value: null, pairs: 0 };
    } },
];

// Each check evaluated: {check, value, min, max, pairs, met}; met is null without a goal, false
// without a figure.
export function evaluateMultinode(all) {
  return multinodeChecks.map((check) => {
    const c = check.compute(all);
    const met = check.test ? (num(c.value) ? Boolean(check.test(c.value)) : false) : null;
    return { check, ...c, met };
  });
}

// The "Several nodes" part of RESULTS.md. fmt(value, unit) formats a figure as report.mjs does.
export function multinodeSection(all, fmt) {
  const records = all.filter((r) => multinodeCases.some((c) => c.case === r.case));
  if (records.length === 0) return 'No multinode case in this result (`BENCH_ONLY=multinode bash bench/run.sh`).';
  const sample = records.find((r) => !r.failed) ?? {};
  const load = num(sample.rate)
    ? `${sample.viewers} viewers and ${sample.senders} senders of one stream, ${fmt(sample.rate, 'rate')} offered ` +
      `(${sample.size}-byte messages)`
    : 'one stream';
  const lines = [
    `sorakd on one PostgreSQL (a fresh database per case, \`synchronous_commit = on\`): ${load}, the same in the first three cases; ` +
    'the two fanout cases put many viewers on each message (their load is given with them). ' +
    '`multinode-1` is one node without a broker; `multinode-1-redis` one node with `--broker redis://` (it publishes ' +
    'every event; its own messages reach its viewers at once, its other events when Redis gives them back); ' +
    '`multinode-2` two nodes on one Redis, each with half the viewers and half the senders, so half the deliveries ' +
    'cross from one node to the other through Redis ("cross node") and half stay ("same node"): the difference is ' +
    'the Redis hop, measured in one run. Two nodes on this machine share its cores (a worker per core in all). Server CPU is every sorakd\'s ' +
    '(summed) over the sending and drain window, per delivery (a message read by a viewer; senders also read every ' +
    'message, not counted); Redis\'s CPU over the same window is shown apart. "Broker lag" is sorakd\'s own ' +
    '`sorak_broker_lag_seconds` (publish → the node\'s fan-out, every node\'s added up; a bucket bound). ' +
    'A case\'s figure is the mean of its ' +
    'runs, (min – max) when there were several; a difference pairs the runs in the order they ran.', '',
  ];
  const when = [...new Set(records.filter((r) => r.commit).map((r) => `\`${r.commit}\``))];
  const times = records.map((r) => r.at).filter(Boolean).sort();
  if (when.length) lines.push(`Measured on commit ${when.join(', ')}${times.length ? `, ${times[0]} – ${times.at(-1)}` : ''}.`, '');
  const cell = (s, unit) => (s ? (s.runs > 1 ? `${fmt(s.mean, unit)} (${fmt(s.min, unit)} – ${fmt(s.max, unit)})` : fmt(s.mean, unit)) : '—');
  const share = (r) => (r.expected > 0 ? r.delivered / r.expected : null);
  for (const { case: c, title } of multinodeCases) {
    lines.push(`### ${c}: ${title}`, '');
    const runs = all.filter((r) => r.case === c);
    if (runs.length === 0) { lines.push('Not run in this result.', ''); continue; }
    const l = runs.find((r) => !r.failed && num(r.rate));
    if (l) lines.push(`Load: ${l.viewers} viewers and ${l.senders} senders, ${fmt(l.rate, 'rate')} offered.`, '');
    lines.push('| Run | Nodes | Delivered | Deliveries/s | p50 | p99 | p99 same node | p99 cross node | Broker lag p99 | Server CPU | Server CPU per delivery | Redis CPU per delivery | Errors |',
               '|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    runs.forEach((r, k) => {
      if (r.failed) { lines.push(`| ${k + 1} | ${r.nodes ?? '—'} | failed (exit ${r.exit_code}): ${String(r.failed).slice(0, 200)} |||||||||||`); return; }
      const lag = brokerLagP99(r);
      lines.push(`| ${k + 1} | ${r.nodes ?? '—'} | ${fmt(share(r), 'share')} | ${fmt(r.deliveries_per_s, 'rate')} | ` +
        `${fmt(r.latency_ms?.p50, 'ms')} | ${fmt(p99(r), 'ms')} | ${fmt(sameNodeP99(r), 'ms')} | ${fmt(crossNodeP99(r), 'ms')} | ` +
        `${lag === null ? '—' : lag === Infinity ? 'past the last bucket' : `≤ ${fmt(lag, 'ms')}`} | ` +
        `${fmt(r.server?.cpu_cores, 'cores')} | ${fmt(cpuPerDelivery(r), 'us')} | ${fmt(redisCpuPerDelivery(r), 'us')} | ${r.errors ?? '—'} |`);
    });
    lines.push('', `Over ${multinodeRuns(all, c).length} run(s): p99 ${cell(spreadOf(all, c, p99), 'ms')}` +
      (c === 'multinode-2' ? `, same node ${cell(spreadOf(all, c, sameNodeP99), 'ms')}, cross node ${cell(spreadOf(all, c, crossNodeP99), 'ms')}` : '') +
      `; server CPU per delivery ${cell(spreadOf(all, c, cpuPerDelivery), 'us')}.`, '');
  }
  lines.push('### Against the targets', '',
    '| Comparison | Figure (of the means) | Spread of the paired runs | Pairs | Target | Met |', '|---|---|---|---|---|---|');
  for (const e of evaluateMultinode(all)) {
    const spread = num(e.min) ? `${fmt(e.min, e.check.unit)} – ${fmt(e.max, e.check.unit)}` : '—';
    const verdict = e.met === null ? '' : e.met ? '✅ yes' : '❌ no';
    lines.push(`| ${e.check.what} | ${fmt(e.value, e.check.unit)} | ${spread} | ${e.pairs} | ${e.check.goal ?? ''} | ${verdict} |`);
  }
  return lines.join('\n');
}
