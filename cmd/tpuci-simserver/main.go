// Command tpuci-simserver runs the simulated SGLang-JAX server. It accepts
// the flags of python -m sgl_jax.launch_server (unmodelled ones are ignored
// with a warning) plus --sim-* knobs; see --help.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/sgl-project/tpuci/internal/simserver"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cfg, err := simserver.ParseArgs(args, os.Stderr)
	if errors.Is(err, simserver.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tpuci-simserver: %v\n", err)
		return 2
	}
	cfg.Log = os.Stderr
	srv, err := simserver.New(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tpuci-simserver: %v\n", err)
		return 1
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tpuci-simserver: listen on %s: %v (is another server using the port? pick another with --port)\n", addr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(os.Stderr, "tpuci-simserver: %v\n", err)
		return 1
	}
	return 0
}
