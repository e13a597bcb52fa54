package gate

import "math"

// dropEps absorbs float noise in score >= threshold (scores are k/n).
const dropEps = 1e-9

// Drop is the absolute-drop judge of scores (accuracy): a score passes at
// or above its baseline minus the allowed drop (0.02 = 2 points).
type Drop struct {
	Baseline, Allowed float64
}

// Threshold is the lowest passing score.
func (d Drop) Threshold() float64 { return d.Baseline - d.Allowed }

// Margin is score minus the threshold: negative fails. Float noise below
// 1e-9 counts as zero.
func (d Drop) Margin(score float64) float64 {
	m := score - d.Threshold()
	if math.Abs(m) < dropEps {
		return 0
	}
	return m
}

// Pass reports whether score is at or above the threshold.
func (d Drop) Pass(score float64) bool { return d.Margin(score) >= 0 }

// AllOtherDevice reports whether every verdict found only other devices'
// baselines: the stage is then skipped, neither passed nor failed.
func AllOtherDevice(vs []Verdict) bool {
	for _, v := range vs {
		if !v.OtherDevice {
			return false
		}
	}
	return len(vs) > 0
}
