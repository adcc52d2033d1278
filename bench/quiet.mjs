// quiet.mjs: is the machine quiet enough to start a bench run? bench/run.sh asks before every run.
//
//   node bench/quiet.mjs [--threshold CORES] [--max-wait S] [--sample S] [--pause S]
//
// Samples /proc/stat over --sample seconds (1.5); when more than --threshold cores (0.3) were in
// use, waits --pause seconds (5) and samples again, for at most --max-wait seconds (60) of pauses.
// Prints one JSON line: { quiet, busy_cores, samples, waited_s, threshold, load1, running, top }
// (load1 and running from /proc/loadavg; top: the processes that used the most CPU in the last
// sample, as "name 0.42"). Exits 0 either way: a busy machine is recorded, not fatal.
// Everything on the machine counts (this process sleeps while it samples), ours included: run.sh
// asks between runs, when nothing of the bench's is working but what the run before left behind.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { busyCores, parseProcStat, QUIET_CORES, waitForQuiet } from './guard.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 && k + 1 < args.length ? Number(args[k + 1]) : dflt;
};
const threshold = opt('threshold', QUIET_CORES);
const maxWaitS = opt('max-wait', 60);
const sampleS = opt('sample', 1.5);
const pauseS = opt('pause', 5);

// Each process's CPU jiffies: pid → [name, utime + stime].
function processes() {
  const out = new Map();
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = s.lastIndexOf(')');
      const f = s.slice(close + 2).split(' ');
      out.set(pid, [s.slice(s.indexOf('(') + 1, close), Number(f[11]) + Number(f[12])]);
    } catch { /* gone */ }
  }
  return out;
}

let top = [];
async function sample() {
  const p0 = processes(), s0 = parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  await sleep(sampleS * 1000);
  const p1 = processes(), s1 = parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  const total = s1.total - s0.total;
  top = [...p1].map(([pid, [name, j]]) => [name, j - (p0.get(pid)?.[1] ?? j)])
    .filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]).slice(0, 3)
    .map(([name, d]) => `${name} ${total > 0 ? ((d / total) * s1.cpus).toFixed(2) : '?'}`);
  return busyCores(s0, s1);
}

const result = await waitForQuiet({ sample, pause: (s) => sleep(s * 1000), threshold, maxWaitS, pauseS });
const [load1, , , running] = fs.readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/);
console.log(JSON.stringify({ ...result, load1: Number(load1), running, top }));
