// bench_guard.test.mjs: the benchmark guard (bench/guard.mjs, bench/report.mjs): a bad run of a peer
// is never quoted as a result. The pure rules (spread, flagging, ratio from agreeing runs, the
// quiet check's decision), then bench/report.mjs on fixture results, read as a reader of
// RESULTS.md reads it: the headline row of a case whose runs disagree shows their range and
// "not measured", never a ratio; two agreeing runs give the ratio of the medians.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  busyCores, isQuiet, judgeRuns, median, parseProcStat, ratioOf, spreadOf, verdictOf, waitForQuiet,
} from '../../bench/guard.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);
const quiet = { quiet: true, busy_cores: 0.05, samples: [0.05], waited_s: 0, threshold: 0.3, load1: 0.2, top: [] };
const busy = { quiet: false, busy_cores: 1.2, samples: [1.3, 1.2], waited_s: 60, threshold: 0.3, load1: 2.1, top: ['cc1plus 0.95'] };
const run = (figure, extra = {}) => ({ figure, quiet_check: quiet, ...extra });
const figure = (r) => r.figure;

// ---------------------------------------------------------------------------------------------
// The rules.
// ---------------------------------------------------------------------------------------------
test('the spread is (max − min) / median; for a change, max − min in points; within the slack, none', () => {
  close(spreadOf([100, 120]), 20 / 110);
  close(spreadOf([1.59e6, 1.86e6, 1.7e6]), 0.27e6 / 1.7e6);
  close(spreadOf([0.19, 0.062], { unit: 'change' }), 0.128);
  assert.equal(spreadOf([0.001, 0.002], { unit: 'cores', slack: 0.01 }), 0, 'idle CPU near zero');
  assert.equal(spreadOf([5]), null, 'one run has no spread');
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([1, 2]), 1.5);
});

test('two runs that agree: the figure is their median', () => {
  const j = judgeRuns([run(3.97e6), run(3.99e6)], figure);
  assert.equal(j.flagged, null);
  close(j.value, 3.98e6);
});

test("a peer run far off its other run is flagged, and the figure is no result", () => {
  // Issue 19: InspIRCd 0.74 M/s in one run, 1.86 M/s when re-run on a quiet machine.
  const j = judgeRuns([run(0.74e6), run(1.86e6)], figure);
  assert.equal(j.flagged, 'runs disagree');
  assert.equal(j.value, null);
  assert.equal(j.min, 0.74e6);
  assert.equal(j.max, 1.86e6);
  assert.equal(judgeRuns([run(100), run(123)], figure).flagged, 'runs disagree', '23 / 111.5 is 20.6 %');
  assert.equal(judgeRuns([run(100), run(122)], figure).flagged, null, '22 / 111 is 19.8 %: they agree');
});

test('a run that started on a busy machine flags its figure, however well it agrees', () => {
  const j = judgeRuns([run(100), run(100, { quiet_check: busy })], figure);
  assert.equal(j.flagged, 'machine busy before start');
  assert.deepEqual(j.busy, [false, true]);
  assert.equal(j.value, null);
  assert.equal(judgeRuns([run(100), { figure: 100 }], figure).flagged, null, 'a line without a check is not busy');
  assert.equal(judgeRuns([run(0.74), run(90, { quiet_check: busy })], figure).flagged, 'machine busy before start; runs disagree');
});

test('one run, or a failure beside a success, is no result; every run failed is a failure', () => {
  assert.equal(judgeRuns([run(100)], figure).flagged, 'one run only');
  const someFailed = judgeRuns([run(100), { failed: 'the server did not start', quiet_check: quiet }], figure);
  assert.equal(someFailed.flagged, '1 of 2 runs failed');
  const allFailed = judgeRuns([{ failed: 'x' }, { failed: 'y' }], figure);
  assert.equal(allFailed.allFailed, true);
  assert.equal(allFailed.flagged, null);
  assert.equal(verdictOf(allFailed, () => true), false, 'a program that never ran does not meet a goal');
  assert.equal(verdictOf(judgeRuns([run(0.74e6), run(1.86e6)], figure), () => true), null, 'flagged: not measured');
  assert.equal(verdictOf(judgeRuns([run(4), run(4.2)], figure), (v) => v <= 5), true);
});

test('a ratio is quoted only from two unflagged sides, as the ratio of their medians', () => {
  const sorak = judgeRuns([run(3.97e6), run(3.99e6)], figure);
  const inspircd = judgeRuns([run(1.8e6), run(1.86e6)], figure);
  const q = ratioOf(sorak, inspircd, { a: 'Sorak', b: 'InspIRCd' });
  assert.equal(q.flagged, null);
  close(q.value, 3.98e6 / 1.83e6);
  const bad = ratioOf(sorak, judgeRuns([run(0.74e6), run(1.86e6)], figure), { a: 'Sorak', b: 'InspIRCd' });
  assert.equal(bad.value, null);
  assert.equal(bad.flagged, 'InspIRCd: runs disagree');
});

// ---------------------------------------------------------------------------------------------
// The quiet check.
// ---------------------------------------------------------------------------------------------
test('/proc/stat: busy is everything but idle and iowait, steal included; cores over the window', () => {
  const a = parseProcStat('cpu  100 0 50 1000 20 0 5 10 0 0\ncpu0 50 0 25 500 10 0 2 5 0 0\ncpu1 50 0 25 500 10 0 3 5 0 0\nintr 1');
  assert.deepEqual(a, { busy: 165, total: 1185, cpus: 2 });
  // 1.5 s on 2 cores at 100 Hz is 300 jiffies; 90 of them busy: 0.6 cores.
  const b = { busy: a.busy + 90, total: a.total + 300, cpus: 2 };
  close(busyCores(a, b), 0.6);
  assert.equal(isQuiet(0.6), false);
  assert.equal(isQuiet(0.3), true);
  assert.equal(isQuiet(0.05, 0.1), true);
});

test('the check waits for a quiet machine, up to its bound, and says busy when it never came', async () => {
  const samples = (xs) => { let k = 0; return async () => xs[Math.min(k++, xs.length - 1)]; };
  const paused = [];
  const pause = async (s) => { paused.push(s); };
  assert.deepEqual(await waitForQuiet({ sample: samples([0.1]), pause }),
    { quiet: true, busy_cores: 0.1, samples: [0.1], waited_s: 0, threshold: 0.3 });
  const later = await waitForQuiet({ sample: samples([1.5, 0.9, 0.2]), pause, pauseS: 5 });
  assert.equal(later.quiet, true);
  assert.equal(later.waited_s, 10);
  assert.deepEqual(later.samples, [1.5, 0.9, 0.2]);
  const never = await waitForQuiet({ sample: samples([1.5]), pause, pauseS: 5, maxWaitS: 12 });
  assert.equal(never.quiet, false, 'busy before start');
  assert.equal(never.waited_s, 10, 'no pause past the bound');
  assert.equal(never.samples.length, 3);
});

// ---------------------------------------------------------------------------------------------
// bench/report.mjs on fixture results: what RESULTS.md says.
// ---------------------------------------------------------------------------------------------
const fanout = (system, deliveriesPerS, extra = {}) => ({
  case: 'saturation', system, scenario: 'fanout', viewers: 5000, viewers_open_at_end: 5000, senders: 10, rate: 800, connections: 5010, connected: 5010,
  sent: 8000, expected: 40000000, delivered: 40000000, deliveries_per_s: deliveriesPerS,
  latency_ms: { p50: 50, p90: 90, p99: 160, max: 250, count: 1000 },
  server: { measured: true, cpu_cores: 0.9, cpu_s: 9, rss_mb: 30 }, deliveries_per_server_cpu_s: deliveriesPerS / 0.9,
  errors: 0, exit_code: 0, commit: 'abc1234', quiet_check: quiet, ...extra,
});

function report(lines, { earlier } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-guard-'));
  fs.writeFileSync(path.join(dir, 'latest.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'latest.machine.json'), JSON.stringify({ date: '2026-12-07T13:00:00Z', commit: 'abc1234', nproc: 2 }));
  if (earlier) {
    fs.mkdirSync(path.join(dir, 'earlier'));
    for (const [name, text] of Object.entries(earlier)) fs.writeFileSync(path.join(dir, 'earlier', name), text);
  }
  const out = path.join(dir, 'RESULTS.md');
  const r = spawnSync(process.execPath, [path.join(root, 'bench/report.mjs'), dir, out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const md = fs.readFileSync(out, 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return { md, stdout: r.stdout };
}
const row = (md, figureName) => md.split('\n').find((l) => l.startsWith(`| saturation 5 k × 800/s | ${figureName} |`));

test('RESULTS.md: two agreeing runs of each give the ratio of the medians, and the verdict', () => {
  const { md } = report([fanout('sorak', 3.97e6), fanout('inspircd', 1.80e6), fanout('sorak', 3.99e6), fanout('inspircd', 1.86e6)]);
  const r = row(md, 'deliveries/s');
  assert.match(r, /\| 3\.98 M\/s \| 1\.83 M\/s \(InspIRCd\) \| 2\.17× \| ≥ 2× InspIRCd \| ✅ yes \|$/);
  assert.match(md, /\| saturation \| deliveries\/s \| InspIRCd \| 1\.80 M\/s · 1\.86 M\/s \| 1\.83 M\/s \| 3\.3 % \| yes \|/);
});

test('RESULTS.md: a peer run far off its other run is FLAGGED, its ratio not quoted, the target not measured', () => {
  const { md, stdout } = report([fanout('sorak', 3.97e6), fanout('inspircd', 0.74e6), fanout('sorak', 3.99e6), fanout('inspircd', 1.86e6)]);
  const r = row(md, 'deliveries/s');
  assert.match(r, /InspIRCd: ⚠️ 740\.0 k\/s – 1\.86 M\/s \(FLAGGED: runs disagree\)/);
  assert.match(r, /\| —, InspIRCd: runs disagree \| ≥ 2× InspIRCd \| ⚠️ not measured \(flagged\) \|$/);
  assert.doesNotMatch(r.split('|')[5], /×/, 'no ratio in the ratio cell');
  assert.match(md, /\| saturation \| deliveries\/s \| InspIRCd \| 740\.0 k\/s · 1\.86 M\/s \| 1\.30 M\/s \| 86\.2 % \| ⚠️ FLAGGED: runs disagree \|/);
  assert.match(md, /targets met, 2 not measured \(their runs disagree or the machine was busy: FLAGGED\)/);
  assert.match(stdout, /2 not measured/);
  // Saturation's four: the two ratios (flagged), the viewers still connected (met), every gift
  // and moderation event (these lines carry none: not met).
  assert.match(md, /1 of 4 targets met, 2 not measured [^;]*; 29 not run in this result/, 'cases not in the result are neither met nor missed');
  assert.match(md, /\| fanout 1 k × 100\/s \| p99 \/ the floor's p99 \(medians of the same run\) \| — \| — \| — \| ≤ 1\.15× the floor \| not run \|/);
  assert.match(row(md, 'viewers still connected at the end'), /\| 100 % \|.*\| ≥ 99 % \| ✅ yes \|$/);
});

test('RESULTS.md: saturation counts the viewers still connected at the end (thinned, not cut)', () => {
  const cut = (n) => ({ viewers_open_at_end: n });
  const { md } = report([fanout('sorak', 3.97e6, cut(4900)), fanout('inspircd', 1.8e6), fanout('sorak', 3.99e6, cut(4890)),
                         fanout('inspircd', 1.86e6)]);
  assert.match(row(md, 'viewers still connected at the end'), /\| 97\.900 % \|.*\| ≥ 99 % \| ❌ no \|$/);
});

test('RESULTS.md: a run that started on a busy machine flags its case and names what was busy', () => {
  const { md } = report([fanout('sorak', 3.97e6), fanout('inspircd', 1.80e6),
                         fanout('sorak', 3.99e6), fanout('inspircd', 1.86e6, { quiet_check: busy })]);
  assert.match(row(md, 'deliveries/s'), /FLAGGED: machine busy before start/);
  assert.match(row(md, 'deliveries/s'), /⚠️ not measured \(flagged\)/);
  assert.match(md, /- saturation InspIRCd: 1\.2 cores in use after 60 s \(cc1plus 0\.95\), load 2\.1/);
  assert.match(md, /\| saturation \| InspIRCd \| 2 \| ⚠️ busy: 1\.2 cores \|/, 'the Every run table marks the run');
});

test("RESULTS.md: Sorak's own goal is judged on the median of its agreeing runs", () => {
  const room = (c, p99) => ({ case: c, system: 'sorak', scenario: 'fanout', expected: 10, delivered: 10, deliveries_per_s: 1,
    latency_ms: { p99, count: 10 }, server: {}, errors: 0, quiet_check: quiet });
  const agree = report([room('room-open', 6.7), room('room-open-join', 11), room('room-open', 7.7), room('room-open-join', 9.2)]).md;
  // 10.1 / 7.2 = 1.403, shown rounded up (a ratio held to a bound never reads below it).
  assert.match(agree, /\| room open \| busy room p99 with the open \/ without \(medians of the runs\) \| 1\.41× \| — \| — \| ≤ 2× \| ✅ yes \|/);
  const disagree = report([room('room-open', 6.7), room('room-open-join', 11), room('room-open', 12), room('room-open-join', 9.2)]).md;
  assert.match(disagree, /\| room open \| [^|]+ \| ⚠️ [^|]*FLAGGED: room-open: runs disagree\) \| — \| — \| ≤ 2× \| ⚠️ not measured \(flagged\) \|/);
});

test("RESULTS.md: the two latency targets are judged against the floor's p99 in the same run (issue 19)", () => {
  const line = (system, p99) => ({ case: 'fanout-1k', system, scenario: 'fanout', expected: 10, delivered: 10,
    deliveries_per_s: 1, latency_ms: { p99, count: 10 }, server: {}, errors: 0, quiet_check: quiet });
  const ratioRow = /\| fanout 1 k × 100\/s \| p99 \/ the floor's p99 \(medians of the same run\) \| ([^|]+) \| — \| — \| ≤ 1\.15× the floor \| ([^|]+) \|/;
  const within = report([line('sorak', 6.0), line('floor', 5.3), line('sorak', 6.2), line('floor', 5.5)]).md;
  assert.deepEqual(within.match(ratioRow).slice(1), ['1.13×', '✅ yes'], '6.1 / 5.4 = 1.130');
  const over = report([line('sorak', 6.1), line('floor', 5.3), line('sorak', 6.4), line('floor', 5.5)]).md;
  assert.deepEqual(over.match(ratioRow).slice(1), ['1.16×', '❌ no'], '6.25 / 5.4 = 1.157, never shown as 1.15×');
  const flagged = report([line('sorak', 6.0), line('floor', 3.0), line('sorak', 6.2), line('floor', 5.5)]).md;
  assert.match(flagged.match(ratioRow)[1], /FLAGGED: fanout-1k \(floor\): runs disagree/);
  assert.equal(flagged.match(ratioRow)[2], '⚠️ not measured (flagged)');
  // The first target (≤ 5 ms) stays in the floor's table, which the floor misses too.
  assert.match(within, /\| fanout 1 k × 100\/s \| p99 latency \| 6\.10 ms \| 5\.40 ms \| [^|]+ \| 100 % \| ≤ 5 ms \(the first target\) \| no: the floor misses it too \|/);
});

test("RESULTS.md: the platform day shows the floor's worst band p99 beside Sorak's, and judges Sorak's alone", () => {
  const line = (system, worst) => ({ case: 'platform', system, scenario: 'platform', delivered: 1000, deliveries_per_s: 100,
    latency_ms: { p99: worst, count: 1000 }, server: { measured: true, cpu_cores: 0.5, cpu_s: 5 }, errors: 0, quiet_check: quiet,
    bands: [{ band: '1-10', latency_ms: { p99: 2, count: 10 } }, { band: '>1000', latency_ms: { p99: worst, count: 990 } }],
    gifts: { owed: 50, delivered: 50, missing: 0 } });
  const { md } = report([line('sorak', 180), line('floor', 60), line('sorak', 190), line('floor', 62)]);
  // The headline and the platform table: Sorak's 185 ms over the 100 ms target, the floor's 61 ms and the ratio beside it.
  assert.match(md, /\| platform day \| worst band p99 \| 185 ms \| 61 ms \(floor\) \| 3\.03× \| ≤ 100 ms in every band \| ❌ no \|/);
  assert.match(md, /\n\| worst band p99 \| 185 ms \| 61 ms \(floor\) \| 3\.03× \| ≤ 100 ms in every band \| ❌ no \|/);
  // The floor's table, with the share of the gifts it owed as its "delivered".
  assert.match(md, /\| platform day \| worst band p99 \| 185 ms \| 61 ms \| 3\.03× \| 100 % \| ≤ 100 ms in every band \| yes \|/);
  const alone = report([line('sorak', 180), line('sorak', 190)]).md;
  assert.match(alone, /\| platform day \| worst band p99 \| 185 ms \| — \| — \| ≤ 100 ms in every band \| ❌ no \|/);
  const met = report([line('sorak', 90), line('floor', 60), line('sorak', 94), line('floor', 62)]).md;
  assert.match(met, /\| platform day \| worst band p99 \| 92 ms \| 61 ms \(floor\) \| 1\.51× \| ≤ 100 ms in every band \| ✅ yes \|/);
});

test('RESULTS.md: the earlier runs stay beside the new one, their headline as they published it', () => {
  const old = '# Sorak benchmark results\n\nRun of 2026-12-06T13:05:47Z on commit `d647686`; 19 of 26 targets met.\n\n## Headline\n\n' +
    '| Target | Figure | Sorak | Best peer | Sorak / best peer | Target | Met |\n|---|---|---|---|---|---|---|\n' +
    '| saturation 5 k × 800/s | deliveries/s | 3.98 M/s | 1.59 M/s (InspIRCd) | 2.51× | ≥ 2× InspIRCd | ✅ yes |\n\n## Machine\n';
  const { md } = report([fanout('sorak', 3.97e6), fanout('sorak', 3.99e6)], {
    earlier: { '2026-12-06T130547Z-d647686.md': old, '2026-12-06T130547Z-d647686.jsonl': '{"case":"saturation","system":"sorak"}\n',
               '2026-12-06T130547Z-d647686.machine.json': JSON.stringify({ date: '2026-12-06T13:05:47Z', commit: 'd647686' }) },
  });
  const earlier = md.slice(md.indexOf('## Earlier runs'), md.indexOf('## The machine\'s floor'));
  assert.match(earlier, /### Run of 2026-12-06T13:05:47Z on commit `d647686`: before the guard/);
  assert.match(earlier, /It said: "Run of 2026-12-06T13:05:47Z on commit `d647686`; 19 of 26 targets met\."/);
  assert.match(earlier, /\| saturation 5 k × 800\/s \| deliveries\/s \| 3\.98 M\/s \| 1\.59 M\/s \(InspIRCd\) \| 2\.51× \|/);
  assert.match(earlier, /\[earlier\/2026-12-06T130547Z-d647686\.md\]/);
});

test('RESULTS.md: a busy run of a multinode case flags the comparisons that rest on that case, and only those', () => {
  const line = (c, p99, cpuUs, extra = {}) => ({
    case: c, system: 'sorak', scenario: 'fanout', nodes: c.endsWith('2') ? 2 : 1, broker: 'redis', viewers: 10, senders: 10,
    rate: 10000, size: 100, sent: 100000, expected: 1000000, delivered: 1000000, deliveries_per_s: 99000,
    latency_ms: { p50: 1, p90: 2, p99, max: p99 * 2, count: 1000000 }, server: { cpu_s: 9, cpu_cores: 0.9 },
    server_cpu_us_per_delivery: cpuUs, same_node: { p99: p99 - 0.5 }, cross_node: { p99 }, errors: 0, quiet_check: quiet, ...extra,
  });
  const lines = [];
  for (let k = 0; k < 2; k++) {
    lines.push(line('multinode-1', 4, 10), line('multinode-1-redis', 4.4, 10.4),
      line('multinode-2', 4.6, 10.8, k === 1 ? { quiet_check: busy } : {}), line('multinode-fanout-1', 8, 2.0),
      line('multinode-fanout-2', 8.5, 2.1));
  }
  const { md } = report(lines);
  const rowOf = (what) => md.split('\n').find((l) => l.startsWith(`| several nodes | ${what}`));
  assert.match(rowOf('Redis hop'), /FLAGGED: machine busy before start.*⚠️ not measured \(flagged\) \|$/);
  assert.match(rowOf('server CPU per delivery, multinode-fanout-2'), /\| \+5\.0 % \| — \| — \| within ±15 % \| ✅ yes \|$/,
    'resting on the fanout cases only: not flagged');
  assert.equal(rowOf('two nodes against one'), undefined, 'two sorakd on two cores against one: context, not the hop, no target');
  assert.match(md, /> ⚠️ The guard: machine busy before start in these cases/);
});
