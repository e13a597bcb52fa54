package settings

import (
	"fmt"
	"strings"
)

// README markers around the generated environment table.
const (
	DocsBegin = "<!-- settings table: generated from internal/settings (go test ./internal/settings -update) -->"
	DocsEnd   = "<!-- end of settings table -->"
)

// Markdown is the environment table of the README, one row per Var.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | form | default | read by | meaning |\n|---|---|---|---|---|\n")
	for _, v := range Table {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", v.Name, form(v), cell(v.Default), cell(v.Targets), cell(v.Doc))
	}
	return b.String()
}

// form is the value column of a variable.
func form(v Var) string {
	switch {
	case v.Kind == Int:
		return fmt.Sprintf("int ≥ %d", v.Min)
	case v.Kind == Duration && v.Min > 0:
		return "duration > 0"
	case v.Kind == Choice:
		return strings.Join(v.Choices, " or ")
	case v.Kind == Date:
		return "date " + layoutText(v.Layout)
	}
	return string(v.Kind)
}

// cell escapes the pipes of a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WithTable returns readme with the text between DocsBegin and DocsEnd
// replaced by Markdown.
func WithTable(readme string) (string, error) {
	i := strings.Index(readme, DocsBegin)
	j := strings.Index(readme, DocsEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("settings: README has no %q ... %q block", DocsBegin, DocsEnd)
	}
	return readme[:i+len(DocsBegin)] + "\n\n" + Markdown() + "\n" + readme[j:], nil
}
