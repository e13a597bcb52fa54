package chips

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDetect(t *testing.T) {
	root := t.TempDir()
	i, err := Detect(root, env(nil))
	if err != nil || !i.CPU || i.Count != 0 {
		t.Fatalf("no devices: %+v %v", i, err)
	}
	os.MkdirAll(filepath.Join(root, "dev", "vfio"), 0o755)
	for _, n := range []string{"vfio", "0", "1", "2", "3"} {
		os.WriteFile(filepath.Join(root, "dev", "vfio", n), nil, 0o644)
	}
	i, _ = Detect(root, env(nil))
	if i.CPU || i.Count != 4 || i.Kind != "v6e-4" {
		t.Fatalf("4 vfio devices: %+v", i)
	}
	if ok, why := i.Enough(8); ok || !strings.Contains(why, "needs 8 chips") {
		t.Fatalf("Enough(8) = %v %q", ok, why)
	}
	i, _ = Detect(root, env(map[string]string{"TPUCI_CHIPS": "1"}))
	if i.Count != 1 || i.Source != "TPUCI_CHIPS" {
		t.Fatalf("override: %+v", i)
	}
	if _, err := Detect(root, env(map[string]string{"TPUCI_CHIPS": "four"})); err == nil {
		t.Fatal("bad override accepted")
	}
}

func TestCPUEnvGivesHostDevices(t *testing.T) {
	i := Info{CPU: true}
	got := strings.Join(i.Env(4), " ")
	if !strings.Contains(got, "--xla_force_host_platform_device_count=4") || !strings.Contains(got, "JAX_PLATFORMS=cpu") {
		t.Fatalf("env: %s", got)
	}
	if (Info{Count: 4}).Env(4) != nil {
		t.Fatal("TPU host should need no extra env")
	}
	if got := i.Env(0); got != nil {
		t.Fatalf("a CPU suite (0 chips) gets %q; it runs in the host's environment as it is", got)
	}
}

func TestFingerprint(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "proc"), 0o755)
	os.WriteFile(filepath.Join(root, "proc", "cpuinfo"), []byte("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD  EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: other\n"), 0o644)
	cpu, _ := Detect(root, env(nil))
	cpu.Cores = 2
	if got := cpu.Fingerprint(1); got != "cpu AMD EPYC 7B13 (family 25 model 1), 2 cores" {
		t.Fatalf("cpu fingerprint %q", got)
	}
	cpu.Cores = 8
	if cpu.Fingerprint(1) == "cpu AMD EPYC 7B13 (family 25 model 1), 2 cores" {
		t.Fatal("core count not in the fingerprint")
	}
	tpu := Info{Count: 4, Kind: "v6e-4"}
	if tpu.Fingerprint(1) != "v6e-1" || tpu.Fingerprint(4) != "v6e-4" || tpu.Fingerprint(0) != "v6e-4" {
		t.Fatalf("tpu fingerprints %q %q", tpu.Fingerprint(1), tpu.Fingerprint(4))
	}
	if host := (Info{CPU: true}).Fingerprint(1); !strings.HasPrefix(host, "cpu ") || !strings.Contains(host, " cores") {
		t.Fatalf("this host: %q", host)
	}
}
