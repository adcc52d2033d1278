// bench_report.test.mjs: the pure parts of bench/report.mjs (bench/buckets.mjs): a percentile
// from a Prometheus histogram is the upper bound of the bucket it fell in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketQuantile, commitBuckets } from '../../bench/buckets.mjs';

const buckets = [['0.001', 10], ['0.0025', 60], ['0.005', 99], ['+Inf', 100]];

test('a percentile is the bound of the first bucket holding that share', () => {
  assert.equal(bucketQuantile(buckets, 0.1), 0.001);
  assert.equal(bucketQuantile(buckets, 0.5), 0.0025);
  assert.equal(bucketQuantile(buckets, 0.99), 0.005);
  assert.equal(bucketQuantile(buckets, 1), Infinity, 'past the last finite bound');
});

test('no observations, no percentile', () => {
  assert.equal(bucketQuantile([['0.001', 0], ['+Inf', 0]], 0.5), null);
  assert.equal(bucketQuantile([], 0.5), null);
  assert.equal(bucketQuantile(null, 0.5), null);
});

test("a case's own window is preferred to the scrape at the end of the case", () => {
  assert.deepEqual(commitBuckets({ commit_buckets: [['+Inf', 1]], store_commit_buckets: [['+Inf', 9]] }), [['+Inf', 1]]);
  assert.deepEqual(commitBuckets({ store_commit_buckets: [['+Inf', 9]] }), [['+Inf', 9]]);
  assert.equal(commitBuckets({}), null);
});
