// Package report writes benchmark results for people and for programs: an
// aligned table with a plain-words reading per model, CSV, JSON, Markdown,
// and an SVG chart.
//
// It is part of the iomodel tool, which runs on Linux only; elsewhere the
// package is empty.
package report
