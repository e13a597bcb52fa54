// Package bench is tpuci's serving-benchmark client. It drives an
// SGLang-JAX (or OpenAI-compatible) server with synthetic token-id prompts
// and reports the same metrics, under the same JSON keys, as SGLang-JAX's
// bench_serving.py, plus client-side health figures bench_serving lacks
// (failures, queueing behind the concurrency limit, schedule lag, exact peak
// concurrency, client CPU).
//
// Two modes exist. Compat mode reproduces bench_serving's measurement quirks
// where they change numbers (a new connection per request inside TTFT,
// sequential Poisson sleeps, /get_server_info inside the timed window, ...).
// The default mode fixes them and lists the fixes in Result.FixedQuirks.
//
// Responses are read from a raw HTTP/1.1 connection through one bufio
// reader per connection; each SSE line is timestamped as soon as it is
// complete, before any parsing, and is scanned rather than JSON-decoded.
package bench
