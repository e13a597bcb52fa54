//go:build ignore
// +build ignore

package main

import (
	_context "context"
	_flag "flag"
	_fmt "fmt"
	_io "io"
	_log "log"
	_os "os"
	_signal "os/signal"
	_filepath "path/filepath"
	_sort "sort"
	_strconv "strconv"
	_strings "strings"
	_syscall "syscall"
	_tabwriter "text/tabwriter"
	_time "time"
	namespaces_mageimport "github.com/sgl-project/tpuci/targets/namespaces"
	targets_mageimport "github.com/sgl-project/tpuci/targets"
	
)

func main() {
	// Use local types and functions in order to avoid name conflicts with additional magefiles.
	type arguments struct {
		Verbose       bool          // print out log statements
		List          bool          // print out a list of targets
		Help          bool          // print out help for a specific target
		Timeout       _time.Duration // set a timeout to running the targets
		Args          []string      // args contain the non-flag command-line arguments
	}

	parseBool := func(env string) bool {
		val := _os.Getenv(env)
		if val == "" {
			return false
		}		
		b, err := _strconv.ParseBool(val)
		if err != nil {
			_log.Printf("warning: environment variable %s is not a valid bool value: %v", env, val)
			return false
		}
		return b
	}

	parseDuration := func(env string) _time.Duration {
		val := _os.Getenv(env)
		if val == "" {
			return 0
		}		
		d, err := _time.ParseDuration(val)
		if err != nil {
			_log.Printf("warning: environment variable %s is not a valid duration value: %v", env, val)
			return 0
		}
		return d
	}
	args := arguments{}
	fs := _flag.FlagSet{}
	fs.SetOutput(_os.Stdout)

	// default flag set with ExitOnError and auto generated PrintDefaults should be sufficient
	fs.BoolVar(&args.Verbose, "v", parseBool("MAGEFILE_VERBOSE"), "show verbose output when running targets")
	fs.BoolVar(&args.List, "l", parseBool("MAGEFILE_LIST"), "list targets for this binary")
	fs.BoolVar(&args.Help, "h", parseBool("MAGEFILE_HELP"), "print out help for a specific target")
	fs.DurationVar(&args.Timeout, "t", parseDuration("MAGEFILE_TIMEOUT"), "timeout in duration parsable format (e.g. 5m30s)")
	fs.Usage = func() {
		_fmt.Fprintf(_os.Stdout, `
%s [options] [target]

Commands:
  -l    list targets in this binary
  -h    show this help

Options:
  -h    show description of a target
  -t <string>
        timeout in duration parsable format (e.g. 5m30s)
  -v    show verbose output when running targets
 `[1:], _filepath.Base(_os.Args[0]))
	}
	if err := fs.Parse(_os.Args[1:]); err != nil {
		// flag will have printed out an error already.
		return
	}
	args.Args = fs.Args()
	if args.Help && len(args.Args) == 0 {
		fs.Usage()
		return
	}
		
	var printName = func(str string) string {
	// color is ANSI color type
	type color int

	// If you add/change/remove any items in this constant,
	// you will need to run "stringer -type=color" in this directory again.
	// NOTE: Please keep the list in an alphabetical order.
	const (
		black color = iota
		red
		green
		yellow
		blue
		magenta
		cyan
		white
		brightblack
		brightred
		brightgreen
		brightyellow
		brightblue
		brightmagenta
		brightcyan
		brightwhite
	)

	// AnsiColor are ANSI color codes for supported terminal colors.
	var ansiColor = map[color]string{
		black:         "\u001b[30m",
		red:           "\u001b[31m",
		green:         "\u001b[32m",
		yellow:        "\u001b[33m",
		blue:          "\u001b[34m",
		magenta:       "\u001b[35m",
		cyan:          "\u001b[36m",
		white:         "\u001b[37m",
		brightblack:   "\u001b[30;1m",
		brightred:     "\u001b[31;1m",
		brightgreen:   "\u001b[32;1m",
		brightyellow:  "\u001b[33;1m",
		brightblue:    "\u001b[34;1m",
		brightmagenta: "\u001b[35;1m",
		brightcyan:    "\u001b[36;1m",
		brightwhite:   "\u001b[37;1m",
	}

	const colorName = "blackredgreenyellowbluemagentacyanwhitebrightblackbrightredbrightgreenbrightyellowbrightbluebrightmagentabrightcyanbrightwhite"

	var colorIndex = [...]uint8{0, 5, 8, 13, 19, 23, 30, 34, 39, 50, 59, 70, 82, 92, 105, 115, 126}

	colorToLowerString := func(i color) string {
		if i < 0 || i >= color(len(colorIndex)-1) {
			return "color(" + _strconv.FormatInt(int64(i), 10) + ")"
		}
		return colorName[colorIndex[i]:colorIndex[i+1]]
	}

	// ansiColorReset is an ANSI color code to reset the terminal color.
	const ansiColorReset = "\033[0m"

	// defaultTargetAnsiColor is a default ANSI color for colorizing targets.
	// It is set to Cyan as an arbitrary color, because it has a neutral meaning
	var defaultTargetAnsiColor = ansiColor[cyan]

	getAnsiColor := func(color string) (string, bool) {
		colorLower := _strings.ToLower(color)
		for k, v := range ansiColor {
			colorConstLower := colorToLowerString(k)
			if colorConstLower == colorLower {
				return v, true
			}
		}
		return "", false
	}

	// Terminals which  don't support color:
	//
	//	TERM=vt100
	//	TERM=cygwin
	//	TERM=xterm-mono
	var noColorTerms = map[string]bool{
		"vt100":      false,
		"cygwin":     false,
		"xterm-mono": false,
	}

	// terminalSupportsColor checks if the current console supports color output
	//
	// Supported:
	//
	//	linux, mac, or windows's ConEmu, Cmder, putty, git-bash.exe, pwsh.exe
	//
	// Not supported:
	//
	//	windows cmd.exe, powerShell.exe
	terminalSupportsColor := func() bool {
		envTerm := _os.Getenv("TERM")
		if _, ok := noColorTerms[envTerm]; ok {
			return false
		}
		return true
	}

	// enableColor reports whether the user has requested to enable a color output.
	enableColor := func() bool {
		b, _ := _strconv.ParseBool(_os.Getenv("MAGEFILE_ENABLE_COLOR"))
		return b
	}

	// targetColor returns the ANSI color which should be used to colorize targets.
	targetColor := func() string {
		s, exists := _os.LookupEnv("MAGEFILE_TARGET_COLOR")
		if exists {
			if c, ok := getAnsiColor(s); ok {
				return c
			}
		}
		return defaultTargetAnsiColor
	}

	// store the color terminal variables, so that the detection isn't repeated for each target
	var enableColorValue = enableColor() && terminalSupportsColor()
	var targetColorValue = targetColor()

	if enableColorValue {
		return _fmt.Sprintf("%s%s%s", targetColorValue, str, ansiColorReset)
	}

	return str
}


	list := func() error {
		_fmt.Println(`tpuci: the CI/CD of SGLang-JAX. Stages run in progressive order
(lint; unitTest1; e2e and pallas; perf; unitTest4 and accuracy);
pr runs them all. go tool mage -h <target> documents a target.
`)
		targets := map[string]string{
			"accuracy:baseline": "records accuracy results as the new baselines and prints the review diff (old -> new).",
			"bench:client": "measures tpuci's own benchmark client against the simulator and prints its capacity.",
			"ci:finish": "is the final gate: it fails when a job the plan required failed, was cancelled or was skipped.",
			"ci:matrix": "prints the JSON job matrix of a target for strategy.matrix.",
			"ci:plan": "decides which PR targets run and which test files each suite runs.",
			"ci:replay": "shows what the plan would have run over the last N commits, in TPU-minutes.",
			"config:show": "prints the resolved configuration (after defaults) and where it came from.",
			"nightly:list": "prints the nightly matrix: one line per case key with its server, device and what it measures.",
			"pallas:baseline": "records kernel timings as the new baselines and prints the review diff (old -> new, % change).",
			"perf:baseline": "records perf results as the new baselines and prints the review diff (old -> new, % change).",
			"release:docker": "builds, smoke-tests and pushes the image and its multi-arch manifest lists.",
			"release:pypi": "builds, checks, smoke-installs and uploads the Python package.",
			"release:version": "prints the release version, its tag, whether it is a pre-release and whether latest moves.",
			"suite:import": "converts an SGLang-JAX run_suite.py into tpuci TOML on stdout, without executing it.",
			"suite:list": "prints what a suite runs: files in execution order with estimates, per partition.",
			"accuracy": "evaluates the served models against accuracy thresholds (stage 5, expensive: after perf).",
			"e2e": "runs the end-to-end suites (stage 3, after unitTest1).",
			"lint": "runs pylint's error checks over the checkout (stage 1).",
			"nightly": "runs the nightly matrix, records history and writes the report.",
			"pr": "runs the whole pipeline in progressive order and prints one summary.",
			"pallas": "runs the kernel benchmarks against their baselines (independent of the tests; after lint).",
			"perf": "runs the serving benchmarks against versioned baselines (stage 4, after e2e).",
			"unitTest1": "runs the 1-chip and CPU unit suites (stage 2, after lint).",
			"unitTest4": "runs the 4-chip unit suites (stage 5, expensive: after perf).",
		}

		keys := make([]string, 0, len(targets))
		for name := range targets {
			keys = append(keys, name)
		}
		_sort.Strings(keys)

		_fmt.Println("Targets:")
		w := _tabwriter.NewWriter(_os.Stdout, 0, 4, 4, ' ', 0)
		for _, name := range keys {
			_fmt.Fprintf(w, "  %v\t%v\n", printName(name), targets[name])
		}
		err := w.Flush()
		return err
	}

	var ctx _context.Context
	ctxCancel := func(){}

	// by deferring in a closure, we let the cancel function get replaced
	// by the getContext function.
	defer func() {
		ctxCancel()
	}()

	getContext := func() (_context.Context, func()) {
		if ctx == nil {
			if args.Timeout != 0 {
				ctx, ctxCancel = _context.WithTimeout(_context.Background(), args.Timeout)
			} else {
				ctx, ctxCancel = _context.WithCancel(_context.Background())
			}
		}

		return ctx, ctxCancel
	}

	runTarget := func(logger *_log.Logger, fn func(_context.Context) error) interface{} {
		var err interface{}
		ctx, cancel := getContext()
		d := make(chan interface{})
		go func() {
			defer func() {
				err := recover()
				d <- err
			}()
			err := fn(ctx)
			d <- err
		}()
		sigCh := make(chan _os.Signal, 1)
		_signal.Notify(sigCh, _syscall.SIGINT)
		select {
		case <-sigCh:
			logger.Println("cancelling mage targets, waiting up to 5 seconds for cleanup...")
			cancel()
			cleanupCh := _time.After(5 * _time.Second)

			select {
			// target exited by itself
			case err = <-d:
				return err
			// cleanup timeout exceeded
			case <-cleanupCh:
				return _fmt.Errorf("cleanup timeout exceeded")
			// second SIGINT received
			case <-sigCh:
				logger.Println("exiting mage")
				return _fmt.Errorf("exit forced")
			}
		case <-ctx.Done():
			cancel()
			e := ctx.Err()
			_fmt.Printf("ctx err: %v\n", e)
			return e
		case err = <-d:
			// we intentionally don't cancel the context here, because
			// the next target will need to run with the same _context.
			return err
		}
	}
	// This is necessary in case there aren't any targets, to avoid an unused
	// variable error.
	_ = runTarget

	handleError := func(logger *_log.Logger, err interface{}) {
		if err != nil {
			logger.Printf("Error: %+v\n", err)
			type code interface {
				ExitStatus() int
			}
			if c, ok := err.(code); ok {
				_os.Exit(c.ExitStatus())
			}
			_os.Exit(1)
		}
	}
	_ = handleError

	// Set MAGEFILE_VERBOSE so mg.Verbose() reflects the flag value.
	if args.Verbose {
		_os.Setenv("MAGEFILE_VERBOSE", "1")
	} else {
		_os.Setenv("MAGEFILE_VERBOSE", "0")
	}

	_log.SetFlags(0)
	if !args.Verbose {
		_log.SetOutput(_io.Discard)
	}
	logger := _log.New(_os.Stderr, "", 0)
	if args.List {
		if err := list(); err != nil {
			_log.Println(err)
			_os.Exit(1)
		}
		return
	}

	if args.Help {
		if len(args.Args) < 1 {
			logger.Println("no target specified")
			_os.Exit(2)
		}
		switch _strings.ToLower(args.Args[0]) {
			case "accuracy:baseline":
				_fmt.Println("Baseline records accuracy results as the new baselines and prints the review diff (old -> new).\n\nReads the per-case results of an accuracy run ($TPUCI_OUT/accuracy/ by\ndefault; -from=FILE_OR_DIR picks others) and writes the scores of\ncomplete runs to the baselines file ([accuracy].baselines, default\ntpuci/baselines/accuracy.toml; created from tpuci's built-in SGLang-JAX\nbaselines when missing). Entries keep their allowed drop. Interrupted\nruns and runs with failed requests are not recorded.\n\nEnvironment:\n\n\tTPUCI_DRY_RUN=1  print the changes without writing the file\n\tTPUCI_OUT        where the accuracy results are\n\nOutputs: the changed baselines file (review with git diff and commit it),\n$TPUCI_OUT/accuracy:baseline.json and summary.md.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage accuracy:baseline [-from=<string>]\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "bench:client":
				_fmt.Println("Client measures tpuci's own benchmark client against the simulator and prints its capacity.\n\nStarts tpuci-simserver (the tpuci binary itself, linked into $TPUCI_OUT/bin) with a 10 ms decode\nstep and streams requests back to back: prints chunks/s, CPU per chunk,\nthe arrival-to-timestamp delay and the client's TTFT bias.\n\nEnvironment:\n\n\tTPUCI_BENCH_STREAMS=256          concurrent streams\n\tTPUCI_BENCH_DURATION=10s         measurement window\n\tTPUCI_BENCH_SERVING=<file>       also run SGLang-JAX's bench_serving.py on the same workload and print both (needs TPUCI_PYTHON with its dependencies)\n\nOffline, Debian's /usr/bin/python3 runs bench_serving.py with\nPYTHONPATH=internal/bench/testdata/compat/shims (stub transformers,\ndatasets and pybase64).\n\nOutputs: figures on stdout; the simulator's log in $TPUCI_OUT/logs/bench-client/.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage bench:client\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "ci:finish":
				_fmt.Println("Finish is the final gate: it fails when a job the plan required failed, was cancelled or was skipped.\n\nReads TPUCI_NEEDS (toJSON(needs) of the finish job) and TPUCI_PLAN (the\ncoordinator's plan output; read from needs when unset). Jobs the plan\ndid not require may be skipped. Prints a table, writes\n$TPUCI_OUT/finish.json and the step summary.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage ci:finish\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "ci:matrix":
				_fmt.Println("Matrix prints the JSON job matrix of a target for strategy.matrix.\n\nOne entry per suite partition for suite targets (suite, part, parts,\npartition ID/COUNT, chips, runner), one per case partition for perf,\naccuracy and pallas; partition counts and runner labels come from the\nconfig. TPUCI_SELECT=FILE narrows it to the selected files.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage ci:matrix <target>\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "ci:plan":
				_fmt.Println("Plan decides which PR targets run and which test files each suite runs.\n\nOn GitHub Actions it reads GITHUB_EVENT_NAME and the payload at\nGITHUB_EVENT_PATH (draft, labels, base and head); locally it compares\nthe working tree with TPUCI_BASE (default origin/main, then main) and\ntakes labels from TPUCI_LABELS=a,b. Rules come from [gating]: PRs need\nthe required label (run-ci), drafts fail, labels add targets, path\nfilters enable targets, and the Python import graph narrows each suite\nto the test files that import a change; a push to main runs everything.\n-explain lists every selected and skipped file with the reason.\n\nOutputs: run_TARGET=true|false and matrix_TARGET (strategy.matrix JSON)\nin GITHUB_OUTPUT, plus plan (for ci:finish); $TPUCI_OUT/plan.json,\n$TPUCI_OUT/select.txt (for TPUCI_SELECT) and the step summary.\nEnvironment: TPUCI_DURATIONS weighs files by measured minutes.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage ci:plan [-explain=<bool>]\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "ci:replay":
				_fmt.Println("Replay shows what the plan would have run over the last N commits, in TPU-minutes.\n\nCompares, per first-parent commit of TPUCI_REPO, SGLang-JAX's two path\nfilters, tpuci's filters without narrowing and tpuci's plan, using\nsuite estimates (or TPUCI_DURATIONS). Writes $TPUCI_OUT/replay.json.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage ci:replay <n>\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "config:show":
				_fmt.Println("Show prints the resolved configuration (after defaults) and where it came from.\n\nEnvironment: TPUCI_CONFIG, TPUCI_REPO (see the README).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage config:show\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "nightly:list":
				_fmt.Println("List prints the nightly matrix: one line per case key with its server, device and what it measures.\n\nKeys look like perf/qwen3-8b-tp1/c64-i4096-o1024 (max concurrency,\ninput and output length) and accuracy/qwen3-8b-tp1/gsm8k.\n\nEnvironment:\n\n\tTPUCI_CASES=glob,glob      list only matching cases (* stays within a key segment, ** crosses them)\n\tTPUCI_PARTITION=ID/COUNT   list one CI job's share (whole models per job)\n\tTPUCI_CHIPS=N              chip count override (cases needing more are shown as skipped)")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage nightly:list\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "pallas:baseline":
				_fmt.Println("Baseline records kernel timings as the new baselines and prints the review diff (old -> new, % change).\n\nReads $TPUCI_OUT/pallas.json (-from=FILE picks another results file)\nand writes every case's time_ms into [pallas].baselines under this\nhost's device kind; new entries use their kernel's tolerance.\n\nEnvironment:\n\n\tTPUCI_DRY_RUN=1  print the changes without writing the file\n\tTPUCI_OUT        where pallas.json is\n\nOutputs: the changed baselines file (review with git diff and commit it).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage pallas:baseline [-from=<string>]\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "perf:baseline":
				_fmt.Println("Baseline records perf results as the new baselines and prints the review diff (old -> new, % change).\n\nReads $TPUCI_OUT/perf.json (-from=FILE picks another results file) and\nwrites the measured metrics of every case that ran cleanly (all requests\ncompleted, no recompilation) into [perf].baselines under the case's\ndevice kind. Existing entries keep their tolerance; new ones take\n[perf.tolerances]. With the embedded SGLang-JAX default and no file\nyet, it starts from tpuci's built-in baselines.\n\nEnvironment:\n\n\tTPUCI_DRY_RUN=1  print the changes without writing the file\n\tTPUCI_OUT        where perf.json is\n\nOutputs: the changed baselines file (review with git diff and commit it).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage perf:baseline [-from=<string>]\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "release:docker":
				_fmt.Println("Docker builds, smoke-tests and pushes the image and its multi-arch manifest lists.\n\nBuilds once through the Docker engine API (context honours\n.dockerignore; build args carry the version; OCI labels; linux/amd64;\nlayers reused from the previous image and the last local build),\nsmoke-runs [release].smoke_command in the built image, which must\nprint the version, then, only when publishing, pushes that same image\nas vX.Y.Z-amd64 and writes the lists vX.Y.Z and, when it moves, latest.\nA nightly pushes vX.Y.Z-nightly-amd64 and writes vX.Y.Z-nightly,\nnightly and vX.Y.Z-nightly-YYYYMMDD. Existing release tags are never\noverwritten.\n\nEnvironment:\n\n\tDOCKER_HOST                       engine (default unix:///var/run/docker.sock)\n\tDOCKER_USERNAME, DOCKER_TOKEN     registry credentials ([release].registry_*_env), else the Docker config\n\tTPUCI_RELEASE_CHANNEL=nightly     publish the nightly image\n\tTPUCI_RELEASE_FORCE=1             replace existing release tags deliberately\n\tTPUCI_RELEASE_SKIP_PULL=1         do not pull the previous image for the layer cache\n\tTPUCI_RELEASE_DRY_RUN, TPUCI_RELEASE_PUBLISH, TPUCI_RELEASE_OVERRIDE, TPUCI_NIGHTLY_STATUS  as for release:pypi\n\nOutputs: $TPUCI_OUT/release/release-docker.json (plan, decision, gate,\ndigests), release/docker/context.tar, logs/release:docker/,\n$TPUCI_OUT/release:docker.json, junit/release:docker.xml, summary.md.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage release:docker\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "release:pypi":
				_fmt.Println("Pypi builds, checks, smoke-installs and uploads the Python package.\n\nBuilds sdist and wheel with python -m build ([release].build_isolation =\nfalse adds --no-isolation for offline builds), checks their normalised\nfile names and metadata, runs twine check, installs the wheel alone in\na fresh venv and imports the package, which must report the version.\nThen, only when publishing, uploads with twine --skip-existing and\ncompares the index's sha256 of every file with ours, so a skipped\nupload cannot hide different bytes. Outside the official repository's\nCI this is a dry run that prints what it would upload.\n\nEnvironment:\n\n\tPYPI_TOKEN ([release].pypi_token_env)  upload token; masked, never printed\n\tTPUCI_PYPI_REPOSITORY=url              upload URL (e.g. https://test.pypi.org/legacy/)\n\tTPUCI_RELEASE_DRY_RUN=1                never publish\n\tTPUCI_RELEASE_PUBLISH=1                publish (official repository, main or the version tag)\n\tTPUCI_RELEASE_OVERRIDE=text            publish despite an unhealthy nightly; the text is recorded\n\tTPUCI_NIGHTLY_STATUS=path-or-url       nightly-status.json for the release gate\n\nOutputs: $TPUCI_OUT/release/pypi/dist/, release/release-pypi.json\n(plan, decision, gate, uploads), logs/release:pypi/,\n$TPUCI_OUT/release:pypi.json, junit/release:pypi.xml, summary.md.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage release:pypi\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "release:version":
				_fmt.Println("Version prints the release version, its tag, whether it is a pre-release and whether latest moves.\n\nAlso prints the whole plan (image tags, manifest lists, PyPI files) and\nwhether this run would publish. The version comes from\n[release].version_source: \"file\" reads __version__ from\n[repo].version_file, \"scm\" takes the vX.Y.Z tag on HEAD (or\nSETUPTOOLS_SCM_PRETEND_VERSION). Local versions (+...) and epochs are\nrefused. latest moves only for a final or post release that is the\nhighest released (git tags and registry tags).\n\nEnvironment:\n\n\tTPUCI_RELEASE_CHANNEL=nightly  plan the nightly image instead of a release\n\tTPUCI_RELEASE_DATE=YYYYMMDD    date of the nightly's dated tag (default: today, UTC)\n\tTPUCI_RELEASE_IMAGE=repo       override [release].image\n\nOutputs: GitHub outputs version, tag, is_prerelease, update_latest,\nchannel, publish; $TPUCI_OUT/release/release-version.json.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage release:version\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "suite:import":
				_fmt.Println("Import converts an SGLang-JAX run_suite.py into tpuci TOML on stdout, without executing it.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage suite:import <path>\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "suite:list":
				_fmt.Println("List prints what a suite runs: files in execution order with estimates, per partition.\n\ngo tool mage suite:list unit-test-tpu-v6e-1 shows every partition of\nthe suite's configured matrix size; -part=2/5 (or TPUCI_PARTITION)\nshows one. TPUCI_DURATIONS balances on measured minutes.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage suite:list <name> [-part=<string>]\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "accuracy":
				_fmt.Println("Accuracy evaluates the served models against accuracy thresholds (stage 5, expensive: after perf).\n\nFor each [[accuracy.case]] the model server of its [[server]] profile is\nlaunched once (shared by cases of the same profile), N questions of the\ndataset are sampled with the case's seed and asked through\n/v1/chat/completions, and the score (with its standard error) is judged\nagainst the baseline for that model and device: it may drop at most the\nallowed drop (2 points by default). Datasets come from [accuracy].data_dir\nor a checksummed cache.\n\nEnvironment:\n\n\tTPUCI_CASES=a,b           run only these cases\n\tTPUCI_PARTITION=ID/COUNT  run this share of the cases (balanced on their minutes)\n\tTPUCI_OFFLINE=1           never download datasets (cache or data_dir only)\n\tTPUCI_EVAL_CACHE=<dir>    dataset cache directory\n\tTPUCI_LOCK_WAIT=30m       how long to queue for the host-wide TPU lock\n\nOutputs: $TPUCI_OUT/accuracy.json, junit/accuracy.xml, summary.md,\naccuracy/<case>.json and accuracy/<case>.jsonl (one line per question),\nlogs/accuracy/server-<profile>.log.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage accuracy\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "e2e":
				_fmt.Println("E2e runs the end-to-end suites (stage 3, after unitTest1).\n\nSame runner, environment and outputs as unitTest1, for suites with\ntarget = \"e2e\"; 4-chip suites run only where 4 chips are (or on CPU with\n4 host devices when the host has no TPU).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage e2e\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "lint":
				_fmt.Println("Lint runs pylint's error checks over the checkout (stage 1).\n\nRuns <python> -m pylint --output-format=json with [lint].args over\n[lint].paths, using the repository's own pylint configuration, in\nparallel over files ([lint].jobs, 0 = one per core).\n\nEnvironment:\n\n\tTPUCI_LINT_CHANGED=<ref>  lint only Python files changed since <ref> (e.g. origin/main)\n\tTPUCI_REPO, TPUCI_CONFIG, TPUCI_OUT, TPUCI_PYTHON  see the README\n\nOutputs: $TPUCI_OUT/lint.json, junit/lint.xml, summary.md, logs/lint/;\none annotation per finding on GitHub.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage lint\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "nightly":
				_fmt.Println("Nightly runs the nightly matrix, records history and writes the report.\n\nRuns every case of the [nightly] matrix (perf points per model, max\nconcurrency and ISL/OSL; accuracy datasets per model), one server per\nmodel, and records each result with commit, date, device, profile and\nversions in the history store (local by default; a git data repository\nwith TPUCI_NIGHTLY_GIT). Each metric is compared with its recent history\nand its floor; regressions are flagged with their size, nights affected\nand commit range. A failed case never loses the others' results.\n\nEnvironment:\n\n\tTPUCI_CASES=glob,glob        run a subset of case keys (see nightly:list)\n\tTPUCI_PARTITION=ID/COUNT     run this share of the models\n\tTPUCI_NIGHTLY_DATE=YYYY-MM-DD  the night to record (default today, UTC)\n\tTPUCI_NIGHTLY_SCHEDULED=1    a complete scheduled run: write the nightly status record\n\tTPUCI_NIGHTLY_HISTORY=<dir>  local history store\n\tTPUCI_NIGHTLY_GIT=<url>      shared git data repository (token: TPUCI_NIGHTLY_GIT_TOKEN)\n\nOutputs: $TPUCI_OUT/nightly.json, nightly/report.html (plots, tables,\nPerfetto links), nightly/digest.md, nightly/traces/,\nnightly/nightly-status.json (complete scheduled runs only).")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage nightly\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "pr":
				_fmt.Println("PR runs the whole pipeline in progressive order and prints one summary.\n\nStages: lint; unitTest1; e2e and pallas; perf; unitTest4 and accuracy.\nEvery target of a stage runs even when a sibling fails; the next stage\nstarts only when the whole stage passed. Targets that already passed for\nthis commit and config are not run again (TPUCI_FORCE=1 reruns them).\nSIGINT or SIGTERM stops every child process tree and keeps the partial\nreports.\n\nOutputs: $TPUCI_OUT/summary.md and per target <target>.json,\njunit/<target>.xml and logs/<target>/.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage pr\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "pallas":
				_fmt.Println("Pallas runs the kernel benchmarks against their baselines (independent of the tests; after lint).\n\nEach [[pallas.kernel]] script runs with the repository's Python, even\nafter another failed. With format = \"json\" it prints one JSON line per\ncase ({\"kernel\",\"case\",\"time_ms\"}) and each time is judged against\n[pallas].baselines for this device with the kernel's tolerance; with\nformat = \"exit-code\" the script judges itself.\n\nEnvironment:\n\n\tTPUCI_KERNELS=a,b         run only these kernels\n\tTPUCI_PARTITION=ID/COUNT  run this share of the kernels\n\tTPUCI_LOCK_WAIT=30m       how long to queue for the host-wide TPU lock\n\nOutputs: $TPUCI_OUT/pallas.json, junit/pallas.xml, summary.md (verdict\ntable), logs/pallas/<kernel>.log. pallas:baseline records new baselines.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage pallas\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "perf":
				_fmt.Println("Perf runs the serving benchmarks against versioned baselines (stage 4, after e2e).\n\nFor each [[perf.case]] the model server of its [[server]] profile is\nlaunched once (free port on 127.0.0.1, readiness wait, log captured,\nwhole tree killed afterwards) with recompilation detection on, and tpuci's\nGo client runs the benchmark (random token ids, max concurrency, request\nrate, warmup). Every request must complete, no recompilation may happen\nduring the measured phase, and each metric is judged against the\nbaseline for the profile's device (v6e-1, v6e-4, sim) with its tolerance.\n\nEnvironment:\n\n\tTPUCI_CASES=a,b           run only these cases\n\tTPUCI_PARTITION=ID/COUNT  run this share of the cases\n\tTPUCI_SERVER_ARGS=\"...\"   extra flags for every server (e.g. --sim-slowdown 1.2)\n\tTPUCI_LOCK_WAIT=30m       how long to queue for the host-wide TPU lock\n\nOutputs: $TPUCI_OUT/perf.json (every metric, baseline, tolerance and\nmargin), junit/perf.xml, summary.md (verdict table),\nlogs/perf/server-<profile>.log and per-case benchmark results.\nperf:baseline records new baselines from a results file.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage perf\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "unittest1":
				_fmt.Println("UnitTest1 runs the 1-chip and CPU unit suites (stage 2, after lint).\n\nRuns every [[suite]] with target = \"unitTest1\", one process per file,\nevery file even after failures. Each file has its suite's\ntimeout_per_file (the whole process tree is killed) and is rerun up to\nreruns times only after a crash or timeout.\n\nEnvironment:\n\n\tTPUCI_PARTITION=ID/COUNT  run share ID (from 0) of COUNT of each suite, split like run_suite.py's auto_partition\n\tTPUCI_SUITE=a,b           run only these suites of the target\n\tTPUCI_SELECT=<file>       run only the test files listed there (ci:plan writes select.txt)\n\tTPUCI_DURATIONS=<file>    balance partitions on measured minutes (a durations.json from an earlier run)\n\tTPUCI_DEPS=workflow       do not run upstream targets: the CI workflow orders the jobs\n\tTPUCI_FORCE=1             rerun upstream targets even if they passed for this commit and config\n\tTPUCI_CHIPS=N             chip count override; without TPUs suites run on CPU with N host devices\n\tTPUCI_LOCK_WAIT=30m       how long to queue for the host-wide TPU lock (0 fails at once)\n\tTPUCI_VERBOSE=1           stream every file's output (otherwise shown on failure)\n\nUpstream targets that already passed for the same commit and config\n(their $TPUCI_OUT/<target>.json record) are not run again.\n\nOutputs: $TPUCI_OUT/unitTest1.json, junit/unitTest1.xml, summary.md,\ndurations.json, logs/unitTest1/<suite>/<file>.log.")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage unittest1\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				case "unittest4":
				_fmt.Println("UnitTest4 runs the 4-chip unit suites (stage 5, expensive: after perf).\n\nSame runner, environment and outputs as unitTest1, for suites with\ntarget = \"unitTest4\".")
				_fmt.Println()
				
				_fmt.Print("Usage:\n\n\tmage unittest4\n\n")
				var aliases []string
				if len(aliases) > 0 {
					_sort.Strings(aliases)
					_fmt.Printf("Aliases: %s\n\n", _strings.Join(aliases, ", "))
				}
				return
				default:
				logger.Printf("Unknown target: %q\n", args.Args[0])
				_os.Exit(2)
		}
	}
	if len(args.Args) < 1 {
		if err := list(); err != nil {
			logger.Println("Error:", err)
			_os.Exit(1)
		}
		return
	}
	for x := 0; x < len(args.Args); {
		target := args.Args[x]
		x++

		// resolve aliases
		switch _strings.ToLower(target) {
		
		}

		switch _strings.ToLower(target) {
		
		
		
			
				case "accuracy:baseline":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Accuracy:Baseline\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Accuracy:Baseline")
					}
					
				var arg0 *string
				for x < len(args.Args) && _strings.HasPrefix(args.Args[x], "-") {
					_optArg := args.Args[x]
					_eqIdx := _strings.Index(_optArg, "=")
					var _optName, _optVal string
					if _eqIdx < 0 {
						_optName = _strings.ToLower(_optArg[1:])
						switch _optName {
						default:
							logger.Printf("invalid option %q for target \"Accuracy:Baseline\", expected -name=value format\n", _optArg)
							_os.Exit(2)
						}
					} else {
						_optName = _strings.ToLower(_optArg[1:_eqIdx])
						_optVal = _optArg[_eqIdx+1:]
					}
					switch _optName {
					case "from":
						_tmp0 := _optVal
						arg0 = &_tmp0
					default:
						logger.Printf("unknown option %q for target \"Accuracy:Baseline\"\n", _optName)
						_os.Exit(2)
					}
					x++
				}
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Accuracy{}.Baseline(ctx, arg0)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "bench:client":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Bench:Client\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Bench:Client")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Bench{}.Client(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "ci:finish":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"CI:Finish\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "CI:Finish")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.CI{}.Finish(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "ci:matrix":
					expected := x + 1
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"CI:Matrix\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "CI:Matrix")
					}
					
			arg0 := args.Args[x]
			x++
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.CI{}.Matrix(ctx, arg0)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "ci:plan":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"CI:Plan\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "CI:Plan")
					}
					
				var arg0 *bool
				for x < len(args.Args) && _strings.HasPrefix(args.Args[x], "-") {
					_optArg := args.Args[x]
					_eqIdx := _strings.Index(_optArg, "=")
					var _optName, _optVal string
					if _eqIdx < 0 {
						_optName = _strings.ToLower(_optArg[1:])
						switch _optName {
						case "explain":
							_optVal = "true"
						default:
							logger.Printf("invalid option %q for target \"CI:Plan\", expected -name=value format\n", _optArg)
							_os.Exit(2)
						}
					} else {
						_optName = _strings.ToLower(_optArg[1:_eqIdx])
						_optVal = _optArg[_eqIdx+1:]
					}
					switch _optName {
					case "explain":
						_tmp0, err := _strconv.ParseBool(_optVal)
						if err != nil {
							logger.Printf("can't convert option %q value %q to bool\n", _optName, _optVal)
							_os.Exit(2)
						}
						arg0 = &_tmp0
					default:
						logger.Printf("unknown option %q for target \"CI:Plan\"\n", _optName)
						_os.Exit(2)
					}
					x++
				}
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.CI{}.Plan(ctx, arg0)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "ci:replay":
					expected := x + 1
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"CI:Replay\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "CI:Replay")
					}
					
				arg0, err := _strconv.Atoi(args.Args[x])
				if err != nil {
					logger.Printf("can't convert argument %q to int\n", args.Args[x])
					_os.Exit(2)
				}
				x++
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.CI{}.Replay(ctx, arg0)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "config:show":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Config:Show\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Config:Show")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Config{}.Show(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "nightly:list":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Nightly:List\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Nightly:List")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Nightly{}.List(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "pallas:baseline":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Pallas:Baseline\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Pallas:Baseline")
					}
					
				var arg0 *string
				for x < len(args.Args) && _strings.HasPrefix(args.Args[x], "-") {
					_optArg := args.Args[x]
					_eqIdx := _strings.Index(_optArg, "=")
					var _optName, _optVal string
					if _eqIdx < 0 {
						_optName = _strings.ToLower(_optArg[1:])
						switch _optName {
						default:
							logger.Printf("invalid option %q for target \"Pallas:Baseline\", expected -name=value format\n", _optArg)
							_os.Exit(2)
						}
					} else {
						_optName = _strings.ToLower(_optArg[1:_eqIdx])
						_optVal = _optArg[_eqIdx+1:]
					}
					switch _optName {
					case "from":
						_tmp0 := _optVal
						arg0 = &_tmp0
					default:
						logger.Printf("unknown option %q for target \"Pallas:Baseline\"\n", _optName)
						_os.Exit(2)
					}
					x++
				}
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Pallas{}.Baseline(ctx, arg0)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "perf:baseline":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Perf:Baseline\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Perf:Baseline")
					}
					
				var arg0 *string
				for x < len(args.Args) && _strings.HasPrefix(args.Args[x], "-") {
					_optArg := args.Args[x]
					_eqIdx := _strings.Index(_optArg, "=")
					var _optName, _optVal string
					if _eqIdx < 0 {
						_optName = _strings.ToLower(_optArg[1:])
						switch _optName {
						default:
							logger.Printf("invalid option %q for target \"Perf:Baseline\", expected -name=value format\n", _optArg)
							_os.Exit(2)
						}
					} else {
						_optName = _strings.ToLower(_optArg[1:_eqIdx])
						_optVal = _optArg[_eqIdx+1:]
					}
					switch _optName {
					case "from":
						_tmp0 := _optVal
						arg0 = &_tmp0
					default:
						logger.Printf("unknown option %q for target \"Perf:Baseline\"\n", _optName)
						_os.Exit(2)
					}
					x++
				}
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Perf{}.Baseline(ctx, arg0)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "release:docker":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Release:Docker\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Release:Docker")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Release{}.Docker(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "release:pypi":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Release:Pypi\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Release:Pypi")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Release{}.Pypi(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "release:version":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Release:Version\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Release:Version")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Release{}.Version(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "suite:import":
					expected := x + 1
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Suite:Import\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Suite:Import")
					}
					
			arg0 := args.Args[x]
			x++
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Suite{}.Import(ctx, arg0)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "suite:list":
					expected := x + 1
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Suite:List\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Suite:List")
					}
					
			arg0 := args.Args[x]
			x++
				var arg1 *string
				for x < len(args.Args) && _strings.HasPrefix(args.Args[x], "-") {
					_optArg := args.Args[x]
					_eqIdx := _strings.Index(_optArg, "=")
					var _optName, _optVal string
					if _eqIdx < 0 {
						_optName = _strings.ToLower(_optArg[1:])
						switch _optName {
						default:
							logger.Printf("invalid option %q for target \"Suite:List\", expected -name=value format\n", _optArg)
							_os.Exit(2)
						}
					} else {
						_optName = _strings.ToLower(_optArg[1:_eqIdx])
						_optVal = _optArg[_eqIdx+1:]
					}
					switch _optName {
					case "part":
						_tmp1 := _optVal
						arg1 = &_tmp1
					default:
						logger.Printf("unknown option %q for target \"Suite:List\"\n", _optName)
						_os.Exit(2)
					}
					x++
				}
				wrapFn := func(ctx _context.Context) error {
					return namespaces_mageimport.Suite{}.List(ctx, arg0, arg1)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
		
			
				case "accuracy":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Accuracy\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Accuracy")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Accuracy(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "e2e":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"E2e\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "E2e")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.E2e(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "lint":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Lint\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Lint")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Lint(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "nightly":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Nightly\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Nightly")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Nightly(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "pr":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"PR\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "PR")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.PR(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "pallas":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Pallas\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Pallas")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Pallas(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "perf":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"Perf\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "Perf")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.Perf(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "unittest1":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"UnitTest1\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "UnitTest1")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.UnitTest1(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
				case "unittest4":
					expected := x + 0
					if expected > len(args.Args) {
						// note that expected and args at this point include the arg for the target itself
						// so we subtract 1 here to show the number of args without the target.
						logger.Printf("not enough arguments for target \"UnitTest4\", expected %v, got %v\n", expected-1, len(args.Args)-1)
						_os.Exit(2)
					}
					if args.Verbose {
						logger.Println("Running target:", "UnitTest4")
					}
					
				wrapFn := func(ctx _context.Context) error {
					return targets_mageimport.UnitTest4(ctx)
				}
				ret := runTarget(logger, wrapFn)
					handleError(logger, ret)
		default:
			logger.Printf("Unknown target specified: %q\n", target)
			_os.Exit(2)
		}
	}
}




