package simserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/signal"
	"strconv"
	"syscall"
)

// Main runs the simulated server as a command: it parses SGLang-JAX's
// launch_server flags plus --sim-* knobs, serves until SIGTERM or SIGINT,
// and returns the exit code (2 for bad flags, 1 for a crash).
func Main(args []string, stderr io.Writer) int {
	cfg, err := ParseArgs(args, stderr)
	if errors.Is(err, ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "tpuci-simserver: %v\n", err)
		return 2
	}
	cfg.Log = stderr
	srv, err := New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "tpuci-simserver: %v\n", err)
		return 1
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "tpuci-simserver: listen on %s: %v (is another server using the port? pick another with --port)\n", addr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "tpuci-simserver: %v\n", err)
		return 1
	}
	return 0
}
