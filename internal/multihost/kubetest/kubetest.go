// Package kubetest starts a real Kubernetes control plane for a test:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and kwok
// playing fake GKE TPU nodes and their pods' lifecycles. The binaries come
// from scripts/k8s-binaries.sh's cache (TPUCI_K8S_BIN, or the script's
// directory); without them the test skips, or fails under CI=true. Every
// process runs in its own process group (internal/proc) and is stopped in
// t.Cleanup.
//
// A fake rank's end is read from its container's environment by a kwok
// stage: FAKE_EXIT_<index> (default 0) is its exit code and
// FAKE_RUN_TIME_<index> (a Go duration, default 1s) how long it runs.
package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sgl-project/tpuci/internal/multihost/jobplan"
	"github.com/sgl-project/tpuci/internal/needs"
	"github.com/sgl-project/tpuci/internal/proc"
)

// RankLog is what every fake rank's log holds.
const RankLog = "kubetest: fake rank started\nkubetest: fake rank done\n"

// Binaries are the programs a cluster needs, in the cache's bin/.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// Cluster is a running control plane.
type Cluster struct {
	Kubeconfig string
	Client     kubernetes.Interface
	Dir        string
	Started    time.Duration // from the first process to every node Ready
}

// BinDir is where scripts/k8s-binaries.sh puts the binaries: TPUCI_K8S_BIN
// or the directory the script names.
func BinDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("TPUCI_K8S_BIN"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", "k8s-binaries.sh")
	out, err := proc.Output(context.Background(), filepath.Dir(script), "bash", script, "--dir")
	if err != nil {
		t.Fatalf("kubetest: %s --dir: %v", script, err)
	}
	return strings.TrimSpace(string(out))
}

// Start starts a control plane with nodes fake TPU nodes of topology
// (4 chips each) and returns when every node is Ready.
func Start(t *testing.T, nodes int, topology string) *Cluster {
	t.Helper()
	bin := BinDir(t)
	for _, b := range Binaries {
		if _, err := os.Stat(filepath.Join(bin, "bin", b)); err != nil {
			needs.Missing(t, fmt.Sprintf("kubetest: %s/bin/%s missing: run scripts/k8s-binaries.sh "+
				"(once per machine; 23 min cold on 2 cores)", bin, b))
		}
	}
	begin := time.Now()
	dir := t.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "kubetest-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(d) })
			dir = d
		}
	}
	pki := writePKI(t, dir)
	ports := freePorts(t, 4)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	server := fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	token := "kubetest-token"
	write(t, filepath.Join(dir, "tokens.csv"), token+",admin,admin,system:masters\n")
	kubeconfig := filepath.Join(dir, "kubeconfig")
	write(t, kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetest
  cluster: {server: %q, certificate-authority: %q}
users:
- name: admin
  user: {token: %q}
contexts:
- name: kubetest
  context: {cluster: kubetest, user: admin}
current-context: kubetest
`, server, pki.ca, token))

	start := func(name string, argv ...string) {
		log := filepath.Join(dir, name+".log")
		f, err := os.Create(log)
		if err != nil {
			t.Fatalf("kubetest: %v", err)
		}
		p, err := proc.Start(proc.Cmd{Argv: append([]string{filepath.Join(bin, "bin", name)}, argv...),
			Dir: dir, Stdout: f})
		if err != nil {
			t.Fatalf("kubetest: start %s: %v", name, err)
		}
		t.Cleanup(func() {
			p.Stop()
			_ = f.Close()
			if t.Failed() {
				b, _ := os.ReadFile(log)
				t.Logf("%s log tail:\n%s", name, lastLines(string(b), 20))
			}
		})
	}

	start("etcd", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", ports[1]),
		"--unsafe-no-fsync", "--log-level", "warn")
	waitHTTP(t, "etcd", etcdURL+"/health", nil)

	start("kube-apiserver", "--etcd-servers", etcdURL, "--bind-address", "127.0.0.1",
		"--advertise-address", "127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[2]),
		"--tls-cert-file", pki.cert, "--tls-private-key-file", pki.key,
		"--client-ca-file", pki.ca, "--requestheader-client-ca-file", pki.ca,
		"--token-auth-file", filepath.Join(dir, "tokens.csv"), "--authorization-mode=AlwaysAllow",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file", pki.saPub, "--service-account-signing-key-file", pki.saKey,
		"--api-audiences=https://kubernetes.default.svc", "--endpoint-reconciler-type=none",
		"--kubelet-preferred-address-types=InternalIP")
	waitHTTP(t, "kube-apiserver", server+"/readyz", &pki)

	auth := []string{"--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig,
		"--authorization-kubeconfig", kubeconfig, "--bind-address=127.0.0.1", "--leader-elect=false"}
	start("kube-controller-manager", append(auth, "--secure-port=0",
		"--service-account-private-key-file", pki.saKey, "--root-ca-file", pki.ca,
		"--controllers=*", "--use-service-account-credentials=false")...)
	start("kube-scheduler", append(auth, "--secure-port=0")...)

	// kwok serves every rank's log (RankLog) as a kubelet would, over
	// HTTPS on the nodes' kubelet port, where the apiserver asks for it.
	var cri strings.Builder // kwok reads the CRI log format, as a kubelet does
	for _, l := range strings.SplitAfter(RankLog, "\n") {
		if l != "" {
			fmt.Fprintf(&cri, "%s stdout F %s", time.Now().UTC().Format(time.RFC3339Nano), l)
		}
	}
	write(t, filepath.Join(dir, "rank.log"), cri.String())
	stages := kwokStages(t, bin) + fmt.Sprintf(`
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: ranks
spec:
  selector: {}
  logs:
  - containers: [rank]
    logsFile: %s
`, filepath.Join(dir, "rank.log"))
	write(t, filepath.Join(dir, "kwok.yaml"), stages)
	start("kwok", "--kubeconfig", kubeconfig, "--config", filepath.Join(dir, "kwok.yaml"),
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--node-ip=127.0.0.1", "--cidr=10.2.0.0/16", "--node-lease-duration-seconds=0",
		fmt.Sprintf("--node-port=%d", ports[3]), fmt.Sprintf("--server-address=127.0.0.1:%d", ports[3]),
		"--tls-cert-file", pki.cert, "--tls-private-key-file", pki.key)

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("kubetest: kubeconfig: %v", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("kubetest: client: %v", err)
	}
	c := &Cluster{Kubeconfig: kubeconfig, Client: client, Dir: dir}
	for i := range nodes {
		c.AddNode(t, fmt.Sprintf("tpu-node-%d", i), topology)
	}
	c.waitNodesReady(t, nodes)
	c.Started = time.Since(begin)
	t.Logf("kubetest: control plane and %d nodes ready in %s", nodes, c.Started.Round(time.Millisecond))
	return c
}

// AddNode creates a fake GKE TPU v6e node of topology with 4 chips.
func (c *Cluster) AddNode(t testing.TB, name, topology string) {
	t.Helper()
	four := resource.MustParse("4")
	list := corev1.ResourceList{jobplan.TPU: four, corev1.ResourceCPU: resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("128Gi"), corev1.ResourcePods: resource.MustParse("110")}
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
			Labels: map[string]string{jobplan.Accelerator: "tpu-v6e-slice", jobplan.Topology: topology,
				"kubernetes.io/hostname": name, "type": "kwok"}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: jobplan.TPU, Value: "present",
			Effect: corev1.TaintEffectNoSchedule}}},
		Status: corev1.NodeStatus{Capacity: list, Allocatable: list},
	}
	if _, err := c.Client.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kubetest: create node %s: %v", name, err)
	}
}

func (c *Cluster) waitNodesReady(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		nodes, err := c.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		ready := 0
		if err == nil {
			for _, n := range nodes.Items {
				if nodeReady(n) {
					ready++
				}
			}
		}
		if ready >= want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("kubetest: %d nodes not Ready within 60s", want)
}

// nodeReady: Ready, and the node lifecycle controller has lifted its
// not-ready taint (pods would fail to schedule on it for a moment).
func nodeReady(n corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if strings.HasPrefix(t.Key, "node.kubernetes.io/") {
			return false
		}
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// podExit replaces kwok's pod-complete: a Job's Ready pod ends with the
// exit code its container's FAKE_EXIT_<index> names, after
// FAKE_RUN_TIME_<index>.
const podExit = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-exit
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'In'
      values: ['True']
    - key: '.metadata.ownerReferences.[].kind'
      operator: 'In'
      values: ['Job']
  delay:
    durationMilliseconds: 1000
    durationFrom:
      expressionFrom: '.metadata.labels["batch.kubernetes.io/job-completion-index"] as $i | .spec.containers.[0].env.[] | select(.name == ("FAKE_RUN_TIME_" + $i)) | .value'
  next:
    delete: false
    statusTemplate: |
      {{ $now := Now }}
      {{ $want := printf "FAKE_EXIT_%v" (index .metadata.labels "batch.kubernetes.io/job-completion-index") }}
      {{ $code := "0" }}
      {{ range .spec.containers }}{{ range .env }}{{ if eq .name $want }}{{ $code = .value }}{{ end }}{{ end }}{{ end }}
      containerStatuses:
      {{ range $index, $item := .spec.containers }}
      - image: {{ $item.image | Quote }}
        name: {{ $item.name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: {{ $code }}
            finishedAt: {{ $now | Quote }}
            reason: {{ if eq $code "0" }}Completed{{ else }}Error{{ end }}
            message: {{ printf "fake rank: exit %s" $code | Quote }}
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: {{ if eq $code "0" }}Succeeded{{ else }}Failed{{ end }}
`

// kwokStages are the cached kwok stages with their random delays cut to
// 100 ms (a journey waits for them), pod-complete replaced by podExit.
func kwokStages(t testing.TB, bin string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(bin, "kwok-stages", "*.yaml"))
	if err != nil || len(files) == 0 {
		needs.Missing(t, "kubetest: no kwok stages in "+bin+"/kwok-stages: run scripts/k8s-binaries.sh")
	}
	docs := []string{podExit}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("kubetest: %v", err)
		}
		if filepath.Base(f) == "pod-complete.yaml" || !strings.Contains(string(b), "\nkind: Stage\n") {
			continue
		}
		s := strings.ReplaceAll(string(b), "durationMilliseconds: 1000", "durationMilliseconds: 100")
		s = strings.ReplaceAll(s, "jitterDurationMilliseconds: 5000", "jitterDurationMilliseconds: 100")
		docs = append(docs, s)
	}
	return strings.Join(docs, "\n---\n")
}

type pkiFiles struct{ ca, cert, key, saKey, saPub string }

// writePKI makes a CA, the apiserver's serving certificate and the
// service-account key pair.
func writePKI(t testing.TB, dir string) pkiFiles {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatalf("kubetest: pki: %v", err)
		}
	}
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubetest-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	must(err)
	caCert, err := x509.ParseCertificate(caDER)
	must(err)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.0.0.1")},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	must(err)
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	saPub, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	must(err)
	p := pkiFiles{ca: filepath.Join(dir, "ca.crt"), cert: filepath.Join(dir, "apiserver.crt"),
		key: filepath.Join(dir, "apiserver.key"), saKey: filepath.Join(dir, "sa.key"),
		saPub: filepath.Join(dir, "sa.pub")}
	pemFile := func(path, typ string, b []byte) {
		write(t, path, string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})))
	}
	pemFile(p.ca, "CERTIFICATE", caDER)
	pemFile(p.cert, "CERTIFICATE", der)
	pemFile(p.key, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
	pemFile(p.saKey, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(sa))
	pemFile(p.saPub, "PUBLIC KEY", saPub)
	return p
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("kubetest: free port: %v", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return out
}

// waitHTTP waits up to 90 s for url to answer 200 (the apiserver's first
// start on a loaded machine takes a while).
func waitHTTP(t testing.TB, name, url string, p *pkiFiles) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	if p != nil {
		pool := x509.NewCertPool()
		b, _ := os.ReadFile(p.ca)
		pool.AppendCertsFromPEM(b)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer kubetest-token")
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("kubetest: %s did not answer %s within 90s", name, url)
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
