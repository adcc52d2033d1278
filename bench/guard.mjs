// guard.mjs: what makes a figure of `make bench` a result, and what keeps a bad run from being one.
//
// bench/run.sh runs every case BENCH_RUNS times (2) for every program that plays it, interleaved
// (sorak, peer, …, sorak, peer, …), and before each run checks that the machine is quiet
// (bench/quiet.mjs, through waitForQuiet below): the JSON line of the run carries the check as
// `quiet_check`. bench/report.mjs then judges each figure it quotes, per case and program, over
// the runs (judgeRuns): the figure is the median of the runs when there are at least two, none of
// them started on a busy machine, none failed while the others did not, and their spread is within
// SPREAD_LIMIT. Otherwise the figure is FLAGGED with the reason, shown as the range of its runs, and
// no ratio or verdict is computed from it: a ratio needs both of its sides unflagged.
//
// Pure functions of the records (and, for the quiet check, of /proc/stat samples); no I/O.

export const SPREAD_LIMIT = 0.2;     // (max − min) / median of a figure's runs; for a change, max − min
export const QUIET_CORES = 0.3;      // CPU used on the machine, in cores, above which it is busy
export const MIN_RUNS = 2;

const num = (v) => typeof v === 'number' && Number.isFinite(v);

export function median(xs) {
  const v = xs.filter(num).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// The spread of a figure's runs: (max − min) / median, or for a change (a figure that is already a
// relative difference, such as "+6 % over fanout 5 k") max − min in points. A spread no larger than
// `slack` in the figure's own unit counts as none (a figure near zero, e.g. 0.001 against 0.002
// cores idle, would otherwise disagree by 67 %). null with fewer than two figures.
export function spreadOf(values, { unit, slack = 0 } = {}) {
  const v = values.filter(num);
  if (v.length < 2) return null;
  const min = Math.min(...v), max = Math.max(...v), mid = median(v);
  if (max - min <= slack) return 0;
  if (unit === 'change') return max - min;
  if (mid === 0) return Infinity;
  return (max - min) / Math.abs(mid);
}

// Whether a run started on a quiet machine: false only when its check says it did not.
export const busyBefore = (r) => r?.quiet_check?.quiet === false;

// One figure of one program in one case, judged over its runs (the records of that case and
// program in the order they ran, failed ones included):
//   { values: [figure or null per run], busy: [bool per run], failed: count, runs: count,
//     median, min, max, spread, flagged: null or the reasons ('; '), value: the median when not flagged }
// A program whose every run failed is not flagged: it failed (value null, allFailed true), and a
// goal on it is not met, as before the guard.
export function judgeRuns(records, get, { unit, slack = 0, limit = SPREAD_LIMIT, minRuns = MIN_RUNS } = {}) {
  const values = records.map((r) => (r.failed ? null : get(r)));
  const busy = records.map(busyBefore);
  const failed = records.filter((r) => r.failed).length;
  const figures = values.filter(num);
  const out = {
    values, busy, failed, runs: records.length, median: median(figures),
    min: figures.length ? Math.min(...figures) : null, max: figures.length ? Math.max(...figures) : null,
    spread: spreadOf(figures, { unit, slack }), flagged: null, value: null, allFailed: records.length > 0 && failed === records.length,
  };
  if (records.length === 0 || out.allFailed || figures.length === 0) return out;
  const why = [];
  if (busy.some(Boolean)) why.push('machine busy before start');
  if (failed > 0) why.push(`${failed} of ${records.length} runs failed`);
  if (failed === 0 && figures.length < minRuns) why.push(figures.length === 1 ? 'one run only' : `${figures.length} runs only`);
  if (out.spread > limit) why.push('runs disagree');
  if (why.length) out.flagged = why.join('; ');
  else out.value = out.median;
  return out;
}

// Sorak's figure over a peer's (or the floor's), from two judged figures: quoted only when
// neither is flagged. { value, flagged: null or 'runs disagree (InspIRCd)'-like reason }.
export function ratioOf(a, b, names = { a: 'Sorak', b: 'peer' }) {
  const why = [a?.flagged && `${names.a}: ${a.flagged}`, b?.flagged && `${names.b}: ${b.flagged}`].filter(Boolean);
  if (why.length) return { value: null, flagged: why.join('; ') };
  if (!num(a?.value) || !num(b?.value) || b.value === 0) return { value: null, flagged: null };
  return { value: a.value / b.value, flagged: null };
}

// A verdict on a judged figure: true or false, or null when it cannot be given ('not measured').
// A figure that failed outright is not met; a flagged one is not measured.
export function verdictOf(judged, test) {
  if (judged.flagged) return null;
  if (!num(judged.value)) return false;
  return Boolean(test(judged.value));
}

// ---------------------------------------------------------------------------------------------
// The quiet check before a run.
// ---------------------------------------------------------------------------------------------

// /proc/stat → { busy, total, cpus }: the jiffies of the `cpu` line, busy being everything but
// idle and iowait (so steal, another guest on our cores, counts as busy), and how many cpuN lines.
export function parseProcStat(text) {
  const lines = text.split('\n');
  const all = lines.find((l) => /^cpu\s/.test(l));
  if (!all) return null;
  const f = all.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait, cpus: lines.filter((l) => /^cpu\d+\s/.test(l)).length || 1 };
}

// The cores in use between two samples of /proc/stat.
export function busyCores(before, after) {
  const total = after.total - before.total;
  if (!(total > 0)) return 0;
  return ((after.busy - before.busy) / total) * after.cpus;
}

export const isQuiet = (cores, threshold = QUIET_CORES) => num(cores) && cores <= threshold;

// Samples until the machine is quiet or maxWaitS has passed:
//   sample(): resolves to the cores in use over one sampling window (bench/quiet.mjs: /proc/stat
//             twice, BENCH_QUIET_SAMPLE seconds apart);
//   pause(s): waits s seconds between a busy sample and the next.
// Resolves to { quiet, busy_cores (the last sample's), samples: [cores…], waited_s, threshold }.
// waited_s counts the pauses only (each sample's own window comes on top).
export async function waitForQuiet({ sample, pause, threshold = QUIET_CORES, maxWaitS = 60, pauseS = 5 }) {
  const samples = [];
  let waited = 0;
  for (;;) {
    const cores = await sample();
    samples.push(Math.round(cores * 1000) / 1000);
    if (isQuiet(cores, threshold)) return { quiet: true, busy_cores: samples.at(-1), samples, waited_s: waited, threshold };
    if (waited + pauseS > maxWaitS) return { quiet: false, busy_cores: samples.at(-1), samples, waited_s: waited, threshold };
    await pause(pauseS);
    waited += pauseS;
  }
}
