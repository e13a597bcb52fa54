// Command tpuci-bench benchmarks an SGLang-JAX (or OpenAI-compatible)
// server the way SGLang-JAX's bench_serving.py does, with the same flag
// names and result keys. See internal/bench.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sgl-project/tpuci/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
