package settings

import (
	"fmt"
	"strings"

	"github.com/sgl-project/tpuci/internal/readme"
)

// Docs is the README's generated environment table.
var Docs = readme.Block{Name: "settings table", Pkg: "settings"}

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
