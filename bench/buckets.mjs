// buckets.mjs: percentiles from a Prometheus histogram as bench/run.sh and `sorak bench ingest` keep
// it: cumulative buckets [[upper bound in seconds as written ("0.0025", "+Inf"), count], …].
// A histogram only says which bucket a percentile fell in, so the answer is that bucket's upper
// bound ("p99 ≤ 5 ms"), never a figure the buckets cannot support.

// The upper bound in seconds of the first bucket holding at least q (0..1) of the observations;
// Infinity when that is the +Inf bucket; null when there are none.
export function bucketQuantile(buckets, q) {
  if (!Array.isArray(buckets) || buckets.length === 0) return null;
  const total = buckets.at(-1)[1];
  if (!(total > 0)) return null;
  const hit = buckets.find(([, n]) => n >= q * total);
  if (!hit || hit[0] === '+Inf') return Infinity;
  return Number(hit[0]);
}

// The commit histogram of a case: the generator's own (the timed window, `commit_buckets`) when it
// has one, else run.sh's scrape at the end of the case (`store_commit_buckets`).
export function commitBuckets(r) {
  return r.commit_buckets ?? r.store_commit_buckets ?? null;
}
