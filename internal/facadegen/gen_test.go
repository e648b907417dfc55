package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerated fails when a model's façade is not what the template makes:
// someone edited facade_gen.go by hand, or changed the template without
// running go run ./internal/facadegen.
func TestGenerated(t *testing.T) {
	for _, m := range Models {
		for _, f := range files {
			want, err := Generate(f.tmpl, m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join("..", "..", m.Pkg, f.name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s is out of date: run go run ./internal/facadegen from the module's root", m.Pkg, f.name)
			}
		}
	}
}
