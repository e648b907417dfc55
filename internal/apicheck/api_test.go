package apicheck

import (
	"bytes"
	"go/ast"
	"go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The platforms compared with linux/amd64: one of each kind of stub.
var others = []struct{ goos, goarch string }{
	{"darwin", "arm64"}, {"windows", "amd64"}, {"freebsd", "amd64"}, {"linux", "386"},
}

// TestSameAPIEverywhere parses every package of the module as the go
// command would build it for each platform (build tags and file names
// evaluated) and compares the exported declarations: names, signatures,
// exported fields.
func TestSameAPIEverywhere(t *testing.T) {
	root := filepath.Join("..", "..")
	var dirs []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Only what a user can import: internal packages are the
		// module's own, and Linux-only ones (benchkit) are allowed; the
		// vet on every port checks that the stubs compile.
		skip := strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "internal" || d.Name() == "cmd"
		if d.IsDir() && skip && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	checked := 0
	for _, dir := range dirs {
		want, ok := exported(t, dir, "linux", "amd64")
		if !ok {
			continue
		}
		checked++
		for _, p := range others {
			got, ok := exported(t, dir, p.goos, p.goarch)
			if !ok {
				t.Errorf("%s: no Go files for %s/%s", dir, p.goos, p.goarch)
				continue
			}
			for _, d := range diff(want, got) {
				t.Errorf("%s on %s/%s: %s", rel(root, dir), p.goos, p.goarch, d)
			}
		}
	}
	if checked < 7 {
		t.Fatalf("only %d packages found under %s", checked, root)
	}
}

func rel(root, dir string) string {
	r, _ := filepath.Rel(root, dir)
	return r
}

// exported lists dir's exported declarations for one platform, one line
// each; ok is false if no file of dir builds there.
func exported(t *testing.T, dir, goos, goarch string) (map[string]bool, bool) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = goos, goarch, false
	pkg, err := ctx.ImportDir(dir, 0)
	if err != nil {
		return nil, false
	}
	fset := token.NewFileSet()
	decls := map[string]bool{}
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			for _, line := range declLines(fset, d) {
				decls[line] = true
			}
		}
	}
	return decls, true
}

func declLines(fset *token.FileSet, d ast.Decl) []string {
	show := func(n ast.Node) string {
		var b bytes.Buffer
		printer.Fprint(&b, fset, n)
		return strings.Join(strings.Fields(b.String()), " ")
	}
	switch d := d.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return nil
		}
		recv := ""
		if d.Recv != nil {
			recv = "(" + show(d.Recv.List[0].Type) + ") "
			if !ast.IsExported(strings.TrimLeft(strings.Split(show(d.Recv.List[0].Type), "[")[0], "*")) {
				return nil
			}
		}
		return []string{"func " + recv + d.Name.Name + show(d.Type)[len("func"):]}
	case *ast.GenDecl:
		var lines []string
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				if st, ok := s.Type.(*ast.StructType); ok {
					lines = append(lines, "type "+s.Name.Name+" struct")
					for _, f := range st.Fields.List {
						for _, n := range f.Names {
							if n.IsExported() {
								lines = append(lines, "field "+s.Name.Name+"."+n.Name+" "+show(f.Type))
							}
						}
					}
					continue
				}
				lines = append(lines, "type "+s.Name.Name+" "+show(s.Type))
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() {
						lines = append(lines, d.Tok.String()+" "+n.Name)
					}
				}
			}
		}
		return lines
	}
	return nil
}

func diff(want, got map[string]bool) []string {
	var out []string
	for l := range want {
		if !got[l] {
			out = append(out, "missing: "+l)
		}
	}
	for l := range got {
		if !want[l] {
			out = append(out, "only here: "+l)
		}
	}
	sort.Strings(out)
	return out
}
