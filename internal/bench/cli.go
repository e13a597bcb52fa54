package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Main is the tpuci-bench command: bench_serving's flag names, one JSON
// line appended to --output-file, bench_serving's summary table on stdout.
// It returns the exit code: 0 on success, 1 when the run fails or no
// request completes, 2 for bad flags.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "tpuci-bench: %v\n", err)
		return 2
	}
	for _, w := range opts.notes {
		fmt.Fprintf(stderr, "tpuci-bench: note: %s\n", w)
	}
	if opts.capacityStreams > 0 {
		rep, err := Capacity(ctx, opts.cfg.BaseURL, opts.capacityStreams, opts.capacityDuration)
		if err != nil {
			fmt.Fprintf(stderr, "tpuci-bench: %v\n", err)
			return 1
		}
		fmt.Fprint(stdout, rep.String())
		return 0
	}
	opts.cfg.Log = stderr
	res, err := Run(ctx, opts.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "tpuci-bench: %v\n", err)
		return 1
	}
	res.WriteTable(stdout)
	line, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintf(stderr, "tpuci-bench: encode result: %v\n", err)
		return 1
	}
	if err := appendLine(opts.outputFile, line); err != nil {
		fmt.Fprintf(stderr, "tpuci-bench: write result: %v\n", err)
		return 1
	}
	if res.Completed == 0 {
		first := ""
		if len(res.Failures) > 0 {
			first = ", first: " + strings.SplitN(res.Failures[0].Error, "\n", 2)[0]
		}
		fmt.Fprintf(stderr, "tpuci-bench: all %d requests failed%s\n", res.NumPrompts, first)
		return 1
	}
	return 0
}

func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

type cliOptions struct {
	cfg              Config
	outputFile       string
	capacityStreams  int
	capacityDuration time.Duration
	notes            []string
}

// headerFlags collects repeated --header K=V values.
type headerFlags map[string]string

func (h headerFlags) String() string { return "" }
func (h headerFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" || val == "" {
		return fmt.Errorf("want K=V, got %q", v)
	}
	h[k] = val
	return nil
}

func parseFlags(args []string, usageOut io.Writer) (*cliOptions, error) {
	o := &cliOptions{}
	fs := flag.NewFlagSet("tpuci-bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := defineFlags(fs, o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(usageOut, "usage: tpuci-bench [flags]  (bench_serving-compatible serving benchmark)")
			fs.SetOutput(usageOut)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q; all options are --flags", fs.Arg(0))
	}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "dataset-path", "tokenizer":
			o.notes = append(o.notes, "--"+fl.Name+" is ignored: prompts are synthetic token ids")
		}
	})
	if err := f.apply(o); err != nil {
		return nil, err
	}
	return o, nil
}

// rawFlags are the flags that do not go straight into the options.
type rawFlags struct {
	host, baseURL, rate, extra, servedModel string
	port                                    int
	ignored                                 string
	disableTqdm, tokenizePrompt             bool // accepted, no effect
	outputDetails                           bool
	headers                                 headerFlags
}

// defineFlags declares bench_serving's flags (and the client's own) on
// fs, writing into o and the returned rawFlags.
func defineFlags(fs *flag.FlagSet, o *cliOptions) *rawFlags {
	c := &o.cfg
	f := &rawFlags{headers: headerFlags{}}
	fs.StringVar(&c.Backend, "backend", "sgl-jax", "sgl-jax, sglang, sglang-native (/generate) or sglang-oai, vllm, lmdeploy (/v1/completions)")
	fs.StringVar(&f.baseURL, "base-url", "", "server URL; overrides --host/--port")
	fs.StringVar(&f.host, "host", "127.0.0.1", "server host")
	fs.IntVar(&f.port, "port", 0, "server port (default: 30000; 8000 for vllm; 23333 for lmdeploy)")
	fs.StringVar(&c.DatasetName, "dataset-name", "random", "random or random-ids (both: synthetic token ids)")
	fs.StringVar(&f.ignored, "dataset-path", "", "ignored: prompts are synthetic token ids")
	fs.StringVar(&c.Model, "model", "", "model name (default: first id of GET /v1/models)")
	fs.StringVar(&f.servedModel, "served-model-name", "", "model name sent in OpenAI payloads (default: --model)")
	fs.StringVar(&f.ignored, "tokenizer", "", "ignored: no tokenizer is used")
	fs.IntVar(&c.NumPrompts, "num-prompts", 1000, "number of measured requests")
	fs.IntVar(&c.InputLen, "random-input-len", 1024, "input tokens per request")
	fs.IntVar(&c.OutputLen, "random-output-len", 1024, "output tokens per request")
	fs.Float64Var(&c.RangeRatio, "random-range-ratio", 0, "lengths are drawn from [max(int(L*r),1), L]")
	fs.IntVar(&c.VocabSize, "vocab-size", defaultVocab, "token ids stay below this")
	fs.StringVar(&f.rate, "request-rate", "inf", "requests per second (Poisson), or inf")
	fs.IntVar(&c.MaxConcurrency, "max-concurrency", 0, "most requests in flight (0: unlimited)")
	fs.Int64Var(&c.Seed, "seed", 1, "random seed (numpy-compatible)")
	fs.IntVar(&c.Warmup, "warmup-requests", 1, "warmup requests before the measured run")
	fs.StringVar(&o.outputFile, "output-file", "", "JSONL file to append the result to (default: {backend}_{MMDD}_{n}_{in}_{out}.jsonl)")
	fs.BoolVar(&f.outputDetails, "output-details", false, "add per-request details to the result")
	fs.BoolVar(&c.FlushCache, "flush-cache", false, "POST /flush_cache before the measured run")
	fs.BoolVar(&c.DisableStream, "disable-stream", false, "send stream=false")
	fs.BoolVar(&c.DisableIgnoreEOS, "disable-ignore-eos", false, "send ignore_eos=false")
	fs.StringVar(&f.extra, "extra-request-body", "", "JSON object merged last into every payload")
	fs.Var(f.headers, "header", "extra HTTP header K=V (repeatable)")
	fs.StringVar(&c.Tag, "tag", "", "tag stored in the result")
	fs.BoolVar(&f.tokenizePrompt, "tokenize-prompt", false, "accepted for compatibility: token ids are always sent")
	fs.BoolVar(&f.disableTqdm, "disable-tqdm", false, "accepted for compatibility")
	fs.BoolVar(&c.Compat, "compat", false, "reproduce bench_serving's measurement quirks")
	fs.DurationVar(&c.Timeout, "timeout", 6*time.Hour, "per-request timeout")
	fs.IntVar(&c.MaxLineBytes, "max-line-bytes", defaultMaxLineBytes, "longest accepted stream line")
	fs.IntVar(&o.capacityStreams, "capacity-streams", 0, "measure the client's own capacity with this many streams instead of benchmarking")
	fs.DurationVar(&o.capacityDuration, "capacity-duration", 10*time.Second, "capacity measurement window")
	return f
}

// apply turns the raw flags into o's configuration and validates it, so
// that bad flags exit 2 with the field named.
func (f *rawFlags) apply(o *cliOptions) error {
	c := &o.cfg
	c.OutputDetails = f.outputDetails
	if f.servedModel != "" {
		c.Model = f.servedModel
	}
	r, err := strconv.ParseFloat(f.rate, 64)
	if err != nil || math.IsNaN(r) {
		return fmt.Errorf("--request-rate %q: want a number or inf", f.rate)
	}
	c.RequestRate = r
	if f.extra != "" {
		c.ExtraRequestBody = json.RawMessage(f.extra)
	}
	// The server's API keys, as bench_serving.py reads them (not tpuci
	// settings); they go into a header and are never printed.
	if key := os.Getenv("OPENAI_API_KEY"); key != "" {
		f.headers["Authorization"] = "Bearer " + key
	} else if key := os.Getenv("API_KEY"); key != "" {
		f.headers["Authorization"] = key
	}
	if len(f.headers) > 0 {
		c.Headers = f.headers
	}
	if f.baseURL == "" {
		if f.port == 0 {
			f.port = defaultPort(c.Backend)
		}
		f.baseURL = "http://" + joinHostPort(f.host, f.port)
	}
	c.BaseURL = f.baseURL
	if o.outputFile == "" {
		o.outputFile = fmt.Sprintf("%s_%s_%d_%d_%d.jsonl", c.Backend, time.Now().Format("0102"), c.NumPrompts, c.InputLen, c.OutputLen)
	}
	probe := *c
	if _, _, err := probe.normalize(); err != nil {
		return err
	}
	if o.capacityStreams < 0 || o.capacityDuration <= 0 {
		return errors.New("--capacity-streams must not be negative and --capacity-duration must be positive")
	}
	return nil
}

func defaultPort(backend string) int {
	switch backend {
	case "vllm":
		return 8000
	case "lmdeploy":
		return 23333
	}
	return 30000
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}
