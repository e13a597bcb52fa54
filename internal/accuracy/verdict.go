package accuracy

import (
	"fmt"

	"github.com/sgl-project/tpuci/internal/gate"
	"github.com/sgl-project/tpuci/internal/report"
)

// Verdict statuses.
const (
	Pass       = "pass"
	Fail       = "fail"
	NoBaseline = "no-baseline"
	// OtherDevice: the file has baselines of other devices only. Neither
	// a pass nor a failure: the case is skipped with the command that
	// records one.
	OtherDevice = "no-baseline-for-device"
	Error       = "error" // the evaluation did not finish
)

// Verdict is a score judged against its baseline.
type Verdict struct {
	Status      string   `json:"status"`
	Score       float64  `json:"score"`
	Stderr      float64  `json:"stderr"`
	Baseline    *float64 `json:"baseline"`
	AllowedDrop float64  `json:"allowed_drop"`
	Threshold   *float64 `json:"threshold"`
	Margin      *float64 `json:"margin"` // score - threshold; negative fails
	Message     string   `json:"message"`
}

// Judge compares a score with baseline minus allowed drop (gate.Drop); a
// score equal to the threshold passes.
func Judge(score, stderr float64, key Key, b *Baselines) Verdict {
	v := Verdict{Score: score, Stderr: stderr}
	e, ok := b.Find(key)
	if !ok {
		v.AllowedDrop = b.AllowedDrop
		v.Status = NoBaseline
		if !b.HasDevice(key.Device) {
			v.Status = OtherDevice
			v.Message = fmt.Sprintf("score %s (±%s): no baseline for this device (%s) in %s%s: record one with go tool mage accuracy:baseline",
				f4(score), f4(stderr), key.Device, b.Path, b.devicesNote())
			return v
		}
		v.Message = fmt.Sprintf("score %s (±%s): no baseline for %s in %s; record one with go tool mage accuracy:baseline", f4(score), f4(stderr), key, b.Path)
		return v
	}
	d := gate.Drop{Baseline: e.Score, Allowed: b.Drop(e)}
	th, margin := d.Threshold(), d.Margin(score)
	v.Baseline, v.AllowedDrop, v.Threshold, v.Margin = &e.Score, d.Allowed, &th, &margin
	cmp := ">="
	v.Status = Pass
	if !d.Pass(score) {
		cmp, v.Status = "<", Fail
	}
	v.Message = fmt.Sprintf("score %s (±%s) %s threshold %s (baseline %s - allowed drop %s): margin %s",
		f4(score), f4(stderr), cmp, f4(th), f4(e.Score), f4(d.Allowed), signed(margin))
	return v
}

func baselineDevice(e Baseline) string { return e.Device }

// HasDevice reports whether any entry was measured on device.
func (b *Baselines) HasDevice(device string) bool {
	return gate.HasDevice(b.Entries, device, baselineDevice)
}

// devicesNote lists the devices the file has baselines for.
func (b *Baselines) devicesNote() string { return gate.DevicesNote(b.Entries, baselineDevice) }

// f4 prints a score in the one number format of every report.
func f4(f float64) string { return report.Number(f) }

func signed(f float64) string {
	s := report.Number(f)
	if f >= 0 {
		s = "+" + s
	}
	return s
}
