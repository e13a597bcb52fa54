// Package triage answers "is this failure mine?". Runs on main and
// scheduled runs write a failure record (record.go) into the history
// store; ci:finish and the suite runner read it: main's latest result per
// test, flake rates over a window, and, with the [[quarantine]] entries,
// one class per failed test (decide.go) and one verdict for the run.
//
// Everything here is pure but Store, which reads and writes records.
package triage
