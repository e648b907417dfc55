//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/iomodel/iomodel/cmd/iomodel/internal/bench"
	"github.com/iomodel/iomodel/cmd/iomodel/internal/report"
)

// benchFormats are bench's -format values.
var benchFormats = append([]string{"table", "wide"}, report.Formats[1:]...)

// writeBench writes rs in format: table fits termWidth columns, wide has
// every column; the Markdown page starts with the command, what was
// measured and where (the results' Machine; results saved by an iomodel
// that did not say have none).
func writeBench(w io.Writer, format string, rs []bench.Result, cfg bench.Config, count int) error {
	switch format {
	case "table":
		tw := &textWriter{w: w, width: termWidth}
		err := errors.Join(report.Markdown(tw, rs), report.Readings(tw, rs))
		fmt.Fprint(tw, "\n", report.Legend)
		return errors.Join(err, tw.Close())
	case "wide":
		format = "table"
	case "markdown", "md":
		if len(rs) > 0 && rs[0].Machine != nil {
			fmt.Fprintf(w, "    %s\n\n%s; %s\n\n", rs[0].Machine.Command, measured(cfg, count), machineLine(*rs[0].Machine))
		} else {
			fmt.Fprintf(w, "%s (saved without the command, machine, date and commit)\n\n", measured(cfg, count))
		}
	}
	return report.Write(w, format, rs)
}

// loadResults reads results written with -format json.
func loadResults(path string) ([]bench.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []bench.Result
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("%s: not results written by -format json: %v", path, err)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%s: no results", path)
	}
	return rs, nil
}
