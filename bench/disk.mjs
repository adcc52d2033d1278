// bench/disk.mjs DIR: how long this machine's disk takes to make a small write durable, the floor
// under every commit of a store that is durable before broadcast (sorakd's SQLite WAL commit ends
// in one fdatasync). Overwrites 4 KiB blocks of a preallocated file in DIR (as a WAL reused after a
// checkpoint does), fdatasync after each, 300 times; prints one JSON line with p50/p90/p99/max in ms.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/disk.mjs DIR');
  process.exit(2);
}
const rounds = 300;
const block = Buffer.alloc(4096, 0x5a);
const file = path.join(dir, 'fdatasync-probe');
const fd = fs.openSync(file, 'w+');
try {
  for (let i = 0; i < rounds; i++) fs.writeSync(fd, block, 0, block.length, i * block.length);
  fs.fsyncSync(fd);  // the file's blocks and size are on disk: the timed writes only overwrite
  const ms = [];
  for (let i = 0; i < rounds; i++) {
    fs.writeSync(fd, block, 0, block.length, i * block.length);
    const t = process.hrtime.bigint();
    fs.fdatasyncSync(fd);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (q) => +ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(3);
  console.log(JSON.stringify({ rounds, block_bytes: block.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: +ms.at(-1).toFixed(3) }));
} finally {
  fs.closeSync(fd);
  fs.rmSync(file, { force: true });
}
