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
// How each bench_serving quirk (bench doc §1.11) is handled:
//   - fixed in the default mode, reproduced by compat (see the Quirk
//     constants): connection per request inside TTFT, sequential Poisson
//     sleeps, /get_server_info inside the duration, a mid-stream error
//     counted as a success, the OpenAI usage chunk failing the request,
//     requested instead of generated OpenAI tokens, no TTFT without text,
//     warmup sharing request 0's prompt;
//   - fixed in both modes: no crash and no NaN/Infinity when nothing
//     completes (statistics are 0 or null, request_rate "inf");
//   - kept in both modes, with extra keys beside them: E2E ends at the last
//     line ([DONE]; e2e_last_token_* ends at the last token), chunks without
//     new tokens are skipped, latency starts at the send (the *_from_schedule
//     and client_queue keys add the queueing), max_concurrent_requests uses
//     the over-counting per-second buckets (peak_concurrency_exact is exact).
//
// Responses are read from a raw HTTP/1.1 connection through one bufio
// reader per connection; each SSE line is timestamped as soon as it is
// complete, before any parsing, and is scanned rather than JSON-decoded.
package bench
