// seed.mjs: big or many streams for an integration test, written by `sorak-seed`
// (bench/seed_store.cpp) into a data dir before sorakd starts on it; and the server
// figures such tests watch (RSS, one /metrics sample).
//
//   const dir = tempDir();
//   const [big] = seedStore(dir, ['--messages', '50000']);
//   const server = await startServer({ dataDir: dir });
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const SORAK_SEED = process.env.SORAK_SEED || join(resolve(here, '../../../build'), 'sorak-seed');

// Runs sorak-seed on dataDir (the store is dataDir/sorak.db, as startServer uses it) and returns
// its streams, one {stream_id, room_id, messages, first_message_id, last_message_id} each, plus
// `summary` (its stderr line with the counts and seconds) on the array.
export function seedStore(dataDir, args) {
  const run = spawnSync(SORAK_SEED, ['--data-dir', dataDir, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (run.error) throw new Error(`cannot run ${SORAK_SEED}: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`sorak-seed exited ${run.status}: ${run.stderr}`);
  const streams = run.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  streams.summary = run.stderr.trim();
  return streams;
}

// The resident set of a process, in bytes (VmRSS of /proc/PID/status).
export function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

// One unlabelled sample of GET /metrics (e.g. sorak_rooms), or undefined when absent.
export async function metric(server, name) {
  const res = await fetch(`${server.url}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await res.text());
  return m ? Number(m[1]) : undefined;
}

export const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
