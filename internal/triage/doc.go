// Package triage answers "is this failure mine?". Runs on main and
// scheduled runs write a failure record (record.go, entries.go) into the
// history store (store.go); ci:finish and the suite runner read it:
// main's latest verdict per test and flake rates over a window
// (history.go), and, with the [[quarantine]] entries, one class per failed
// test and one verdict for the run (decide.go). ci:quarantine proposes
// entries from the same record (quarantine.go).
//
// Everything here is pure but the store and RunQuarantine, which read and
// write records.
package triage
