package jobplan_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sgl-project/tpuci/internal/config"
	"github.com/sgl-project/tpuci/internal/multihost/jobplan"
	"github.com/sgl-project/tpuci/internal/multihost/kubetest"
)

// The real kube-apiserver accepts the golden plans (server-side dry run:
// validation and defaulting, nothing stored), and refuses a broken one.
func TestAPIServerAcceptsThePlans(t *testing.T) {
	c := kubetest.Start(t, 0, "4x4")
	cfg, err := config.Parse("golden.toml", []byte(jobplan.GoldenTOML))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cfg.MultiHost.Namespace}}
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	for _, mc := range cfg.MultiHost.Cases {
		objs, err := jobplan.Plan(cfg.MultiHost, mc, jobplan.GoldenRun)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Client.CoreV1().Services(ns.Name).Create(ctx, objs.Service, dry); err != nil {
			t.Errorf("%s: service refused: %v", mc.Name, err)
		}
		if _, err := c.Client.BatchV1().Jobs(ns.Name).Create(ctx, objs.Job, dry); err != nil {
			t.Errorf("%s: job refused: %v", mc.Name, err)
		}
	}
	// The check has teeth: a rank without its TPU limit is refused.
	objs, _ := jobplan.Plan(cfg.MultiHost, cfg.MultiHost.Cases[0], jobplan.GoldenRun)
	objs.Job.Spec.Template.Spec.Containers[0].Resources.Limits = nil
	if _, err := c.Client.BatchV1().Jobs(ns.Name).Create(ctx, objs.Job, dry); err == nil {
		t.Error("a google.com/tpu request without its limit was accepted")
	}
}
