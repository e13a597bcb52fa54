package accuracy

import (
	"fmt"
	"math"
)

// Verdict statuses.
const (
	Pass       = "pass"
	Fail       = "fail"
	NoBaseline = "no-baseline"
	Error      = "error" // the evaluation did not finish
)

// eps absorbs float noise in score >= threshold (scores are k/n).
const eps = 1e-9

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

// Judge compares a score with baseline minus allowed drop; a score equal
// to the threshold passes.
func Judge(score, stderr float64, key Key, b *Baselines) Verdict {
	v := Verdict{Score: score, Stderr: stderr}
	e, ok := b.Find(key)
	if !ok {
		v.Status = NoBaseline
		v.AllowedDrop = b.AllowedDrop
		v.Message = fmt.Sprintf("score %s (±%s): no baseline for %s in %s; record one with go tool mage accuracy:baseline", f4(score), f4(stderr), key, b.Path)
		return v
	}
	drop := b.Drop(e)
	th := e.Score - drop
	margin := score - th
	v.Baseline, v.AllowedDrop, v.Threshold, v.Margin = &e.Score, drop, &th, &margin
	cmp := ">="
	v.Status = Pass
	if margin < -eps {
		cmp, v.Status = "<", Fail
	}
	v.Message = fmt.Sprintf("score %s (±%s) %s threshold %s (baseline %s - allowed drop %s): margin %s",
		f4(score), f4(stderr), cmp, f4(th), f4(e.Score), f4(drop), signed(margin))
	return v
}

func f4(f float64) string { return fmt.Sprintf("%.4f", f) }

func signed(f float64) string {
	if math.Abs(f) < eps {
		f = 0
	}
	return fmt.Sprintf("%+.4f", f)
}
