// report.hpp: a bench_result as a readable table and as one JSON line.
//
// The JSON line holds every figure (see docs/bench.md for the fields); the
// table shows the same figures for a person. Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "bench/options.hpp"

namespace sorak::bench {

std::vector<std::string> format_table(const bench_result& r);
std::string format_json(const bench_result& r);
// {p50, p90, p99, max, count}, milliseconds to 0.001.
boost::json::object latency_json(const latency_figures& f);

}  // namespace sorak::bench
