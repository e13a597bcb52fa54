//go:build mage

// tpuci: the CI/CD of SGLang-JAX. Stages run in progressive order
// (lint; unitTest1; e2e; pallas after lint; perf; unitTest4 and
// accuracy), as internal/stages lists them; pr runs them all.
// go tool mage -h <target> documents a target.
package main

//mage:multiline

import (
	_ "github.com/sgl-project/tpuci/targets"            //mage:import
	_ "github.com/sgl-project/tpuci/targets/namespaces" //mage:import
)
