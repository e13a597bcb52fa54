// Package multihost runs a multi-host case on Kubernetes through client-go:
// it deletes the leftovers of earlier runs of the same workflow (by
// label), submits jobplan's Service and Indexed Job, waits for every rank
// to be Ready, streams rank 0's log, watches the Job to its end, writes a
// diagnosis, classifies the end with internal/failclass and deletes the
// Job and the Service on every way the run ends.
package multihost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/failclass"
	"github.com/sgl-project/tpuci/internal/multihost/jobplan"
)

// cleanupTimeout bounds the deletes after the run, which run even when the
// run's context is done (a signal, the deadline).
const cleanupTimeout = 30 * time.Second

// logTimeout bounds reading one finished rank's log.
const logTimeout = 10 * time.Second

// Options is one case's run.
type Options struct {
	Client kubernetes.Interface
	Config config.MultiHost
	Case   config.MultiHostCase
	Run    jobplan.Run
	LogDir string    // rank logs, the plan and the diagnosis go here
	Out    io.Writer // rank 0's log, streamed
	Log    io.Writer // progress lines
}

// RankResult is one rank's end as the run saw it.
type RankResult struct {
	Index    int    `json:"index"`
	Pod      string `json:"pod,omitempty"`
	Node     string `json:"node,omitempty"`
	Ready    bool   `json:"ready"` // it started (Ready, or ran to an end)
	Exited   bool   `json:"exited"`
	ExitCode int    `json:"exit_code"`
	Reason   string `json:"reason,omitempty"` // terminated reason, waiting reason or eviction
	Message  string `json:"message,omitempty"`
	Log      string `json:"log,omitempty"`
	Tail     string `json:"tail,omitempty"` // the log's last lines
}

// Result is one case's end.
type Result struct {
	Case      string            `json:"case"`
	Job       string            `json:"job"`
	Namespace string            `json:"namespace"`
	Verdict   failclass.Verdict `json:"verdict"`
	Ready     bool              `json:"ready"`
	Condition string            `json:"condition,omitempty"` // Complete, Failed (reason), or why it ended
	Ranks     []RankResult      `json:"ranks"`
	Leftovers []string          `json:"leftovers_deleted,omitempty"`
	Diagnosis string            `json:"diagnosis,omitempty"`
	Deleted   bool              `json:"deleted"` // the Job and the Service are gone
	Duration  time.Duration     `json:"duration_ns"`
}

// errDeadline and errNotReady end a run from tpuci's side.
var (
	errDeadline = errors.New("the case's deadline passed")
	errNotReady = errors.New("not every rank became Ready within ready_timeout")
)

// RunCase runs one case to its end. The error is for a run that could not
// be carried out (the API refused the objects) or was interrupted; a
// failed case is a Result whose verdict is not passed.
func RunCase(ctx context.Context, o Options) (res Result, err error) {
	start := time.Now()
	objs, err := jobplan.Plan(o.Config, o.Case, o.Run)
	if err != nil {
		return res, err
	}
	ns, name := o.Config.Namespace, objs.Job.Name
	res = Result{Case: o.Case.Name, Job: name, Namespace: ns}
	defer func() { res.Duration = time.Since(start) }()
	if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
		return res, fmt.Errorf("multihost: log dir: %w", err)
	}
	if y, err := objs.YAML(); err == nil {
		_ = os.WriteFile(filepath.Join(o.LogDir, "objects.yaml"), y, 0o644)
	}

	if res.Leftovers, err = deleteLeftovers(ctx, o.Client, ns, o.Run.Workflow, o.Case.Name); err != nil {
		return res, err
	}
	for _, l := range res.Leftovers {
		fmt.Fprintf(o.Log, "    deleted leftover %s\n", l)
	}

	// Deleted on every end from here: a clean end, a failure, the
	// deadline, an interrupt (ctx done: the deletes get their own time).
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		derr := deleteRun(dctx, o.Client, ns, name)
		res.Deleted = derr == nil
		if derr != nil {
			err = errors.Join(err, derr)
		}
		fmt.Fprintf(o.Log, "    deleted Job and Service %s/%s: %v\n", ns, name, res.Deleted)
	}()

	svcs := o.Client.CoreV1().Services(ns)
	if _, err := svcs.Create(ctx, objs.Service, metav1.CreateOptions{}); err != nil {
		return res, fmt.Errorf("multihost: create service %s: %w", name, err)
	}
	if _, err := o.Client.BatchV1().Jobs(ns).Create(ctx, objs.Job, metav1.CreateOptions{}); err != nil {
		return res, fmt.Errorf("multihost: create job %s: %w", name, err)
	}
	fmt.Fprintf(o.Log, "    created Service and Indexed Job %s/%s (%d ranks, topology %s)\n",
		ns, name, o.Case.Hosts, o.Case.Topology)

	w := &watcher{o: o, ns: ns, name: name, pods: map[int]*corev1.Pod{},
		started: map[int]bool{}, changed: make(chan struct{}, 1)}
	end := w.run(ctx)
	res.Ready = w.allStarted()
	res.Condition = w.condition(end)
	res.Ranks = w.collect(ctx)
	complete := w.jobCondition(batchv1.JobComplete)
	res.Verdict = failclass.Classify(toRanks(res.Ranks), res.Ready, complete)
	if ctx.Err() != nil {
		// Cut short from outside (a signal, the job's timeout): nothing
		// about the code is known, and running it again may pass.
		res.Verdict = failclass.New(failclass.Infra, -1,
			fmt.Sprintf("the run was cut short (%v) before the Job ended", context.Cause(ctx)))
	}
	if res.Verdict.Class != failclass.Passed {
		res.Diagnosis = w.diagnose(ctx, res, end)
		_ = os.WriteFile(filepath.Join(o.LogDir, "diagnosis.txt"), []byte(res.Diagnosis), 0o644)
	}
	if ctx.Err() != nil {
		return res, context.Cause(ctx)
	}
	return res, nil
}

func toRanks(rs []RankResult) []failclass.Rank {
	out := make([]failclass.Rank, len(rs))
	for i, r := range rs {
		out[i] = failclass.Rank{Index: r.Index, Exited: r.Exited, ExitCode: r.ExitCode, Reason: r.Reason}
	}
	return out
}

// deleteLeftovers deletes the Jobs and Services an earlier run of the
// same workflow and case left, found by label.
func deleteLeftovers(ctx context.Context, c kubernetes.Interface, ns, workflow, caseName string) ([]string, error) {
	sel := metav1.ListOptions{LabelSelector: jobplan.Selector(workflow, caseName)}
	jobs, err := c.BatchV1().Jobs(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("multihost: leftovers: list jobs: %w", err)
	}
	svcs, err := c.CoreV1().Services(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("multihost: leftovers: list services: %w", err)
	}
	var gone []string
	bg := metav1.DeletePropagationBackground
	for _, j := range jobs.Items {
		err := c.BatchV1().Jobs(ns).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
		if err != nil && !apierrors.IsNotFound(err) {
			return gone, fmt.Errorf("multihost: leftovers: delete job %s: %w", j.Name, err)
		}
		gone = append(gone, "job/"+j.Name)
	}
	for _, s := range svcs.Items {
		err := c.CoreV1().Services(ns).Delete(ctx, s.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return gone, fmt.Errorf("multihost: leftovers: delete service %s: %w", s.Name, err)
		}
		gone = append(gone, "service/"+s.Name)
	}
	return gone, nil
}

// deleteRun deletes the run's Job (its pods with it) and its Service.
func deleteRun(ctx context.Context, c kubernetes.Interface, ns, name string) error {
	bg := metav1.DeletePropagationBackground
	var errs []error
	err := c.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("multihost: delete job %s: %w", name, err))
	}
	err = c.CoreV1().Services(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("multihost: delete service %s: %w", name, err))
	}
	return errors.Join(errs...)
}

// watcher follows the Job and its pods through informers (list, then
// watch; no polling) and keeps the last state seen of each rank's pod,
// also after the Job controller deleted it.
type watcher struct {
	o       Options
	ns      string
	name    string
	mu      sync.Mutex
	pods    map[int]*corev1.Pod
	started map[int]bool // the ranks seen Ready (or ended) at least once
	job     *batchv1.Job
	changed chan struct{}
	stream  sync.WaitGroup
}

func (w *watcher) notify() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

func (w *watcher) onPod(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	i, err := strconv.Atoi(p.Labels[jobplan.IndexLabel])
	if err != nil {
		return
	}
	w.mu.Lock()
	// A deleted pod's final state is kept: its exit code matters.
	w.pods[i] = p
	if started(p) {
		w.started[i] = true
	}
	w.mu.Unlock()
	w.notify()
}

func (w *watcher) onJob(obj any) {
	if j, ok := obj.(*batchv1.Job); ok {
		w.mu.Lock()
		w.job = j
		w.mu.Unlock()
		w.notify()
	}
}

// started: the rank's container runs and the pod is Ready, or it already
// ran to an end.
func started(p *corev1.Pod) bool {
	if terminated(p) != nil {
		return true
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func terminated(p *corev1.Pod) *corev1.ContainerStateTerminated {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Terminated != nil {
			return cs.State.Terminated
		}
		if cs.LastTerminationState.Terminated != nil {
			return cs.LastTerminationState.Terminated
		}
	}
	return nil
}

func (w *watcher) allStarted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.started) >= w.o.Case.Hosts
}

func (w *watcher) jobCondition(t batchv1.JobConditionType) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.job == nil {
		return false
	}
	for _, c := range w.job.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// run follows the Job until it is Complete or Failed, the ranks miss
// ready_timeout, the case's deadline passes or ctx ends; it returns why
// it stopped (nil: the Job finished).
func (w *watcher) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs := w.o.Client
	pods := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(w.ns),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
			lo.LabelSelector = jobplan.LabelJob + "=" + w.name
		}))
	jobs := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(w.ns),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
			lo.FieldSelector = fields.OneTermEqualSelector("metadata.name", w.name).String()
		}))
	h := cache.ResourceEventHandlerFuncs{AddFunc: w.onPod, UpdateFunc: func(_, n any) { w.onPod(n) },
		DeleteFunc: w.onPod}
	if _, err := pods.Core().V1().Pods().Informer().AddEventHandler(h); err != nil {
		return fmt.Errorf("multihost: watch pods: %w", err)
	}
	jh := cache.ResourceEventHandlerFuncs{AddFunc: w.onJob, UpdateFunc: func(_, n any) { w.onJob(n) }}
	if _, err := jobs.Batch().V1().Jobs().Informer().AddEventHandler(jh); err != nil {
		return fmt.Errorf("multihost: watch job: %w", err)
	}
	pods.Start(ctx.Done())
	jobs.Start(ctx.Done())
	defer func() {
		cancel()
		pods.Shutdown()
		jobs.Shutdown()
		w.stream.Wait()
	}()

	deadline := time.NewTimer(w.o.Case.Deadline.Duration)
	defer deadline.Stop()
	ready := time.NewTimer(w.o.Config.ReadyTimeout.Duration)
	defer ready.Stop()
	streaming := false
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-deadline.C:
			return errDeadline
		case <-ready.C:
			if !w.allStarted() {
				return errNotReady
			}
		case <-w.changed:
		}
		if w.allStarted() && !streaming {
			streaming = true
			fmt.Fprintf(w.o.Log, "    every rank is Ready; streaming rank 0\n")
			w.streamRank0(ctx)
		}
		if w.jobCondition(batchv1.JobComplete) || w.jobCondition(batchv1.JobFailed) {
			return nil
		}
	}
}

func (w *watcher) rankPod(i int) *corev1.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pods[i]
}

func (w *watcher) rankLog(i int) string {
	return filepath.Join(w.o.LogDir, fmt.Sprintf("rank-%d.log", i))
}

// streamRank0 copies rank 0's log, as it is written, to the stage's
// output and to its file; the other ranks' logs are read at the end.
func (w *watcher) streamRank0(ctx context.Context) {
	p := w.rankPod(0)
	if p == nil {
		return
	}
	w.stream.Add(1)
	go func() {
		defer w.stream.Done()
		f, err := os.Create(w.rankLog(0))
		if err != nil {
			return
		}
		defer f.Close()
		req := w.o.Client.CoreV1().Pods(w.ns).GetLogs(p.Name, &corev1.PodLogOptions{Follow: true})
		rc, err := req.Stream(ctx)
		if err != nil {
			fmt.Fprintf(f, "tpuci: rank 0's log is not available: %v\n", err)
			return
		}
		defer rc.Close()
		_, _ = io.Copy(io.MultiWriter(f, w.o.Out), rc)
	}()
}

// collect reads each rank's end and log.
func (w *watcher) collect(ctx context.Context) []RankResult {
	out := make([]RankResult, w.o.Case.Hosts)
	var wg sync.WaitGroup
	for i := range out {
		r := RankResult{Index: i, Log: w.rankLog(i)}
		w.mu.Lock()
		p, st := w.pods[i], w.started[i]
		w.mu.Unlock()
		r.Ready = st
		if p != nil {
			r.Pod, r.Node = p.Name, p.Spec.NodeName
			r.Reason, r.Message = waitingWhy(p)
			if t := terminated(p); t != nil {
				r.Exited, r.ExitCode, r.Reason = true, int(t.ExitCode), t.Reason
				r.Message = t.Message
			}
			if p.Status.Reason != "" {
				r.Reason = p.Status.Reason // Evicted, DeadlineExceeded
			}
		}
		out[i] = r
		if i == 0 && st {
			continue // streamed
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w.saveLog(ctx, out[i].Pod, out[i].Log)
		}(i)
	}
	wg.Wait()
	for i := range out {
		out[i].Tail = tail(out[i].Log, out[i].Message, 15)
	}
	return out
}

// saveLog writes a finished rank's log to path, or why there is none.
func (w *watcher) saveLog(ctx context.Context, pod, path string) {
	msg := "tpuci: no pod ran for this rank\n"
	if pod != "" {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logTimeout)
		defer cancel()
		b, err := w.o.Client.CoreV1().Pods(w.ns).GetLogs(pod, &corev1.PodLogOptions{}).DoRaw(lctx)
		if err == nil {
			_ = os.WriteFile(path, b, 0o644)
			return
		}
		msg = fmt.Sprintf("tpuci: the log of pod %s is not available: %v\n", pod, err)
	}
	_ = os.WriteFile(path, []byte(msg), 0o644)
}

// tail is the last n lines of a rank's log, or of its termination
// message when the log holds only tpuci's own note.
func tail(path, message string, n int) string {
	b, _ := os.ReadFile(path)
	text := string(b)
	if (text == "" || strings.HasPrefix(text, "tpuci: ")) && message != "" {
		text = message
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitingWhy says why a pod's rank is not running: its container's
// waiting reason, or the scheduler's condition.
func waitingWhy(p *corev1.Pod) (reason, message string) {
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			return w.Reason, w.Message
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return c.Reason, c.Message
		}
	}
	if p.Status.Phase == corev1.PodPending {
		return "Pending", ""
	}
	return "", ""
}

func (w *watcher) condition(end error) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if end != nil {
		return end.Error()
	}
	if w.job != nil {
		for _, c := range w.job.Status.Conditions {
			if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) &&
				c.Status == corev1.ConditionTrue {
				if c.Reason != "" {
					return fmt.Sprintf("%s (%s)", c.Type, c.Reason)
				}
				return string(c.Type)
			}
		}
	}
	return "unknown"
}

// diagnose describes a run that did not pass: the verdict, each rank
// (pod, node, exit code, reason, last lines) and the events of the Job
// and its pods (FailedScheduling, image pulls, evictions, OOM kills).
func (w *watcher) diagnose(ctx context.Context, res Result, end error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "multi-host case %s: %s (retry: %v): %s\n", res.Case, res.Verdict.Class,
		yesNo(res.Verdict.Retry), res.Verdict.Why)
	fmt.Fprintf(&b, "job %s/%s: %s\n", res.Namespace, res.Job, res.Condition)
	names := map[string]bool{res.Job: true}
	for _, r := range res.Ranks {
		state := "no exit code"
		if r.Ready && !r.Exited {
			state = "running, no exit code"
		}
		if r.Exited {
			state = fmt.Sprintf("exit %d", r.ExitCode)
		}
		if r.Reason != "" {
			state += " (" + r.Reason + ")"
		}
		if !r.Ready {
			state += ", never Ready"
		}
		pod := r.Pod
		if pod == "" {
			pod = "no pod"
		}
		fmt.Fprintf(&b, "rank %d: pod %s on %s: %s\n", r.Index, pod, orNone(r.Node), state)
		if r.Message != "" && !r.Exited {
			fmt.Fprintf(&b, "  %s\n", r.Message)
		}
		if r.Tail != "" && r.Exited && r.ExitCode != 0 {
			for _, l := range strings.Split(r.Tail, "\n") {
				fmt.Fprintf(&b, "  | %s\n", l)
			}
		}
		if r.Pod != "" {
			names[r.Pod] = true
		}
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logTimeout)
	defer cancel()
	evs, err := w.o.Client.CoreV1().Events(w.ns).List(ectx, metav1.ListOptions{})
	if err != nil {
		fmt.Fprintf(&b, "events: %v\n", err)
		return b.String()
	}
	items := slices.Clone(evs.Items)
	slices.SortStableFunc(items, func(a, b corev1.Event) int {
		return a.LastTimestamp.Compare(b.LastTimestamp.Time)
	})
	b.WriteString("events:\n")
	for _, e := range items {
		if !names[e.InvolvedObject.Name] || (e.Type == corev1.EventTypeNormal && !notable[e.Reason]) {
			continue
		}
		fmt.Fprintf(&b, "  %s %s/%s: %s: %s\n", e.Type, strings.ToLower(e.InvolvedObject.Kind),
			e.InvolvedObject.Name, e.Reason, strings.TrimSpace(e.Message))
	}
	return b.String()
}

// notable are the Normal events a diagnosis still shows.
var notable = map[string]bool{"Scheduled": false, "SuccessfulDelete": true, "Completed": true,
	"BackoffLimitExceeded": true, "DeadlineExceeded": true}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if s == "" {
		return "no node"
	}
	return s
}

// NotReadyLines name each rank that is not Ready and why, for the stage's
// failure lines.
func NotReadyLines(res Result) []string {
	var out []string
	for _, r := range res.Ranks {
		if r.Ready {
			continue
		}
		why := r.Reason
		if r.Message != "" {
			why += ": " + r.Message
		}
		out = append(out, fmt.Sprintf("rank %d (pod %s) is not Ready: %s", r.Index, orNone(r.Pod),
			strings.TrimSpace(why)))
	}
	return out
}
