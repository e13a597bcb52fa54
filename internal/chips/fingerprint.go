package chips

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Fingerprint names the device that figures measured here with chipsUsed
// chips belong to, so a baseline is only ever compared with figures of
// the same kind of device: on TPU hosts the generation and the chip count
// ("v6e-1", "v6e-4"); without TPUs the CPU model and the core count
// ("cpu AMD EPYC 7B13 (family 25 model 1), 2 cores").
func (i Info) Fingerprint(chipsUsed int) string {
	if i.CPU {
		model, cores := i.CPUModel, i.Cores
		if model == "" {
			model = hostCPUModel()
		}
		if cores <= 0 {
			cores = runtime.NumCPU()
		}
		return fmt.Sprintf("cpu %s, %d cores", model, cores)
	}
	kind := i.Kind
	if chipsUsed <= 0 {
		return kind
	}
	gen, _, ok := strings.Cut(kind, "-")
	if !ok || gen == "" {
		gen = kind
	}
	return fmt.Sprintf("%s-%d", gen, chipsUsed)
}

var hostCPUModel = sync.OnceValue(func() string { return cpuModel("/") })

// cpuModel reads the CPU model of root/proc/cpuinfo: its model name, with
// the family and model numbers when the name alone is generic.
func cpuModel(root string) string {
	data, err := os.ReadFile(filepath.Join(root, "proc", "cpuinfo"))
	if err != nil {
		return runtime.GOARCH
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			if len(fields) > 0 {
				break // the first processor is enough
			}
			continue
		}
		k, v = strings.TrimSpace(k), strings.Join(strings.Fields(v), " ")
		if _, seen := fields[k]; !seen {
			fields[k] = v
		}
	}
	name := fields["model name"]
	if name == "" {
		name = fields["CPU part"] // arm64
	}
	if name == "" {
		name = runtime.GOARCH
	}
	if fam, mod := fields["cpu family"], fields["model"]; fam != "" && mod != "" {
		name += fmt.Sprintf(" (family %s model %s)", fam, mod)
	}
	return name
}
