// scenarios.hpp: the scenarios of `sorak bench`, each a blocking call
// that sets up, runs for a bounded time, stops everything it started, and
// returns its figures (docs/bench.md says what each one measures).
//
// Expected failures (a server that cannot be reached, a stream that cannot be
// created, options that do not fit the file-descriptor budget) come back as
// an `error`; what goes wrong during the run itself (refused connections,
// closes, error events) is counted in the result instead.
//
// Called from one thread (the CLI's); each scenario starts and joins its own
// threads.
#pragma once

#include <functional>
#include <string_view>

#include "bench/options.hpp"
#include "sorak/result.hpp"

namespace sorak::bench {

// Where a scenario reports what it is doing ("connecting 5000 viewers…").
using progress_fn = std::function<void(std::string_view)>;

result<bench_result> run_bench(const bench_options& o, const progress_fn& progress);

result<bench_result> run_fanout(const bench_options& o, const progress_fn& progress);  // fanout and slow
result<bench_result> run_idle(const bench_options& o, const progress_fn& progress);
result<bench_result> run_connect(const bench_options& o, const progress_fn& progress);
result<bench_result> run_rest(const bench_options& o, const progress_fn& progress);    // rest.cpp
result<bench_result> run_ingest(const bench_options& o, const progress_fn& progress);  // ingest.cpp
result<bench_result> run_platform(const bench_options& o, const progress_fn& progress);  // platform.cpp

}  // namespace sorak::bench
