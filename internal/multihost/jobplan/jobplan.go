// Package jobplan makes the Kubernetes objects of one multi-host run: a
// headless Service and an Indexed Job, one pod per TPU host. It is pure
// (no cluster, no clock, no environment), so the objects for a config and
// a run are golden-tested; the runner (internal/multihost) only submits
// them.
package jobplan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sgl-project/tpuci/internal/config"
)

// Labels and annotations that carry a run's identity. Leftovers are found
// by LabelWorkflow (and LabelCase), never by a name prefix.
const (
	prefix         = "tpuci.sgl-project.io/"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelWorkflow  = prefix + "workflow"
	LabelCase      = prefix + "case"
	LabelRun       = prefix + "run"
	LabelJob       = prefix + "job"
	// GKE's TPU node labels and resource.
	Accelerator = "cloud.google.com/gke-tpu-accelerator"
	Topology    = "cloud.google.com/gke-tpu-topology"
	NodePool    = "cloud.google.com/gke-nodepool"
	TPU         = "google.com/tpu"
	// IndexLabel is the label the Job controller gives each pod.
	IndexLabel = "batch.kubernetes.io/job-completion-index"
	// Port is the TPU runtime's coordination port.
	Port = 8471
)

// Run is the identity of one run of a workflow.
type Run struct {
	Workflow   string // e.g. GitHub's workflow name; leftovers are its earlier runs
	ID         string // GITHUB_RUN_ID, or a local id
	Attempt    string // GITHUB_RUN_ATTEMPT
	Commit     string
	Repository string
	URL        string // link to the run
}

// Objects is what one run submits.
type Objects struct {
	Service *corev1.Service
	Job     *batchv1.Job
}

// Name is the Job's and the Service's name: the case and a hash of the
// run, so that two runs never collide and a hostname stays short.
func Name(c config.MultiHostCase, run Run) string {
	sum := sha256.Sum256([]byte(run.Workflow + "\x00" + run.ID + "\x00" + run.Attempt))
	return c.Name + "-" + hex.EncodeToString(sum[:4])
}

var notLabel = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LabelValue fits s into a label value: allowed characters, at most 63,
// alphanumeric at both ends ("" stays "").
func LabelValue(s string) string {
	v := notLabel.ReplaceAllString(s, "-")
	if len(v) > 63 {
		v = v[:63]
	}
	return strings.Trim(v, "-_.")
}

// Selector is the label selector of a workflow's objects for a case
// ("" case: every case), used to find and delete leftovers.
func Selector(workflow, caseName string) string {
	s := LabelManagedBy + "=tpuci," + LabelWorkflow + "=" + LabelValue(workflow)
	if caseName != "" {
		s += "," + LabelCase + "=" + caseName
	}
	return s
}

// Plan returns the Service and the Job of case c for run.
func Plan(m config.MultiHost, c config.MultiHostCase, run Run) (Objects, error) {
	if c.Hosts < 1 || c.ChipsPerHost < 1 || len(c.Command) == 0 || c.Image == "" {
		return Objects{}, fmt.Errorf("jobplan: case %s: hosts, chips_per_host, command and image "+
			"are required", c.Name)
	}
	if LabelValue(run.Workflow) == "" || LabelValue(run.ID) == "" {
		return Objects{}, fmt.Errorf("jobplan: case %s: the run needs a workflow and an id", c.Name)
	}
	name := Name(c, run)
	labels := map[string]string{
		LabelManagedBy: "tpuci",
		LabelWorkflow:  LabelValue(run.Workflow),
		LabelCase:      c.Name,
		LabelRun:       LabelValue(run.ID + "-" + run.Attempt),
	}
	annotations := map[string]string{}
	for k, v := range map[string]string{"workflow": run.Workflow, "run-id": run.ID,
		"run-attempt": run.Attempt, "commit": run.Commit, "repository": run.Repository,
		"run-url": run.URL, "topology": c.Topology} {
		if v != "" {
			annotations[prefix+k] = v
		}
	}
	meta := metav1.ObjectMeta{Name: name, Namespace: m.Namespace, Labels: labels,
		Annotations: annotations}

	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: *meta.DeepCopy(),
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  map[string]string{LabelJob: name},
			// Ranks resolve each other before they are Ready: the TPU
			// runtime's rendezvous is what makes them ready.
			PublishNotReadyAddresses: true,
			Ports:                    []corev1.ServicePort{{Name: "tpu", Port: Port}},
		},
	}

	hosts := make([]string, c.Hosts)
	addrs := make([]string, c.Hosts)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("%s-%d.%s", name, i, name)
		addrs[i] = fmt.Sprintf("%s:%d", hosts[i], Port)
	}
	env := []corev1.EnvVar{
		{Name: "TPU_WORKER_ID", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			FieldPath: "metadata.annotations['" + IndexLabel + "']"}}},
		{Name: "TPU_WORKER_HOSTNAMES", Value: strings.Join(hosts, ",")},
		{Name: "TPU_PROCESS_ADDRESSES", Value: strings.Join(addrs, ",")},
		{Name: "TPU_PROCESS_PORT", Value: fmt.Sprint(Port)},
	}
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, corev1.EnvVar{Name: k, Value: c.Env[k]})
	}

	selector := map[string]string{Accelerator: m.Accelerator, Topology: c.Topology}
	if c.NodePool != "" {
		selector[NodePool] = c.NodePool
	}
	chips := resource.MustParse(fmt.Sprint(c.ChipsPerHost))
	podLabels := map[string]string{LabelJob: name}
	for k, v := range labels {
		podLabels[k] = v
	}
	hostsN := int32(c.Hosts)
	zero := int32(0)
	deadline := int64(c.Deadline.Seconds())
	grace := int64(m.GracePeriod.Seconds())
	// A day after the end, the cluster removes a Job that a killed tpuci
	// could not delete.
	ttl := int32(24 * 3600)
	indexed := batchv1.IndexedCompletion
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: *meta.DeepCopy(),
		Spec: batchv1.JobSpec{
			CompletionMode: &indexed,
			Completions:    &hostsN,
			Parallelism:    &hostsN,
			// One rank's failure fails the run: a slice is all or nothing.
			BackoffLimit:            &zero,
			ActiveDeadlineSeconds:   &deadline,
			TTLSecondsAfterFinished: &ttl,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: annotations},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					Subdomain:                     name,
					NodeSelector:                  selector,
					TerminationGracePeriodSeconds: &grace,
					Tolerations: []corev1.Toleration{{Key: TPU, Operator: corev1.TolerationOpExists,
						Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{
						Name:    "rank",
						Image:   c.Image,
						Command: c.Command,
						Env:     env,
						Ports:   []corev1.ContainerPort{{Name: "tpu", ContainerPort: Port}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{TPU: chips},
							Limits:   corev1.ResourceList{TPU: chips},
						},
						// The last lines of a failed rank's log reach the
						// pod's status, so a diagnosis has them even when
						// the log is gone.
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
					}},
				},
			},
		},
	}
	return Objects{Service: svc, Job: job}, nil
}

// YAML renders the objects as one multi-document YAML, for golden tests
// and for the run's log directory.
func (o Objects) YAML() ([]byte, error) {
	var b []byte
	for i, obj := range []any{o.Service, o.Job} {
		y, err := yaml.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("jobplan: yaml: %w", err)
		}
		if i > 0 {
			b = append(b, "---\n"...)
		}
		b = append(b, y...)
	}
	return b, nil
}
