//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/report"
)

// benchSaved is what bench -format json writes and bench -load reads: the
// results under their context (command, machine, kernel, Go, commit, date)
// and the configuration they were measured with.
type benchSaved struct {
	Setup   benchSetup     `json:"setup"`
	Results []bench.Result `json:"results"`
}

type benchSetup struct {
	runInfo
	Size     int    `json:"message_bytes"`
	Chunk    int    `json:"stream_chunk_bytes"`
	Conns    []int  `json:"conns"`
	Duration string `json:"run"`
	Count    int    `json:"count"`
}

// writeBench writes rs in format; JSON and Markdown carry info, where and
// from what they come (nil: results saved by an iomodel that did not say).
func writeBench(w io.Writer, format string, rs []bench.Result, info *runInfo, cfg bench.Config, count int) error {
	switch format {
	case "json":
		saved := benchSaved{Setup: benchSetup{Size: cfg.Size, Chunk: cfg.Chunk, Conns: cfg.Conns, Duration: cfg.Duration.String(), Count: count}, Results: rs}
		if info != nil {
			saved.Setup.runInfo = *info
		}
		if saved.Results == nil {
			saved.Results = []bench.Result{}
		}
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(saved)
	case "table": // termWidth columns; wide is report's table, every column
		tw := &textWriter{w: w, width: termWidth}
		err := errors.Join(report.Markdown(tw, rs), report.Readings(tw, rs))
		fmt.Fprint(tw, "\n", report.Legend)
		return errors.Join(err, tw.Close())
	case "wide":
		format = "table"
	case "markdown", "md":
		if info != nil {
			fmt.Fprintf(w, "    %s\n\n%s; %s\n\n", info.Command, measured(cfg, count), info.machine())
		} else {
			fmt.Fprintf(w, "%s (saved without the command, machine, date and commit)\n\n", measured(cfg, count))
		}
	}
	return report.Write(w, format, rs)
}

// loadResults reads results written with -format json, and their context
// (nil when an older iomodel wrote a bare list of results).
func loadResults(path string) ([]bench.Result, *runInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var saved benchSaved
	var info *runInfo
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		err = json.Unmarshal(b, &saved.Results)
	} else if err = json.Unmarshal(b, &saved); err == nil && saved.Setup.Command != "" {
		info = &saved.Setup.runInfo
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not results written by -format json: %v", path, err)
	}
	if len(saved.Results) == 0 {
		return nil, nil, fmt.Errorf("%s: no results", path)
	}
	return saved.Results, info, nil
}

// benchFormats are bench's -format values.
var benchFormats = append([]string{"table", "wide"}, report.Formats[1:]...)

func ptr[T any](v T) *T { return &v }
