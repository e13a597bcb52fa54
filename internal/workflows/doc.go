// Package workflows holds the journeys of tpuci's GitHub Actions
// workflows. Its tests run each workflow under a real Actions engine
// (nektos/act, jobs on the host) on a repository made of tpuci's tree with
// the bundled example at its root, as SGLang-JAX would carry it, and check
// every job's result. Only GitHub's own actions are replaced, by the small
// stand-ins in testdata/actions; everything else (expressions, needs, if:,
// outputs, matrices from ci:plan, the targets, the simulator) runs for real.
package workflows
