package jobplan

// For the external test that has the real apiserver check the plans.
var (
	GoldenTOML = goldenTOML
	GoldenRun  = goldenRun
)
