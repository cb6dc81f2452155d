package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Limits on non-test, non-generated Go code.
const (
	maxFuncLines = 100
	maxFileLines = 600
	// maxWiringFuncLines bounds every function under wiringDir, the
	// binary's flags, wiring and shutdown, with no exception: a starter
	// stays short enough to see what it needs and what it starts.
	maxWiringFuncLines = 80
	wiringDir          = "cmd/tern/"
)

// finding is a function or file over its limit.
type finding struct {
	what string
	// strict: over a limit that takes no exception.
	strict bool
}

// skipDir reports whether a directory holds no code of the repository's
// own: version control, build output, local state, test inputs.
func skipDir(name string) bool {
	switch name {
	case "bin", "data", "testdata", "node_modules":
		return true
	}
	return strings.HasPrefix(name, ".") && name != "."
}

// checkSizes walks root's Go files and returns one line per function or
// file over its limit that has no exception, per exception that no
// longer matches one, and per function under wiringDir over
// maxWiringFuncLines, excepted or not.
func checkSizes(root string, allowed map[string]string) ([]string, error) {
	over := map[string]finding{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found, err := oversized(filepath.ToSlash(rel), src)
		if err != nil {
			return err
		}
		for k, v := range found {
			over[k] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var problems []string
	for k, f := range over {
		if _, ok := allowed[k]; !ok || f.strict {
			problems = append(problems, f.what)
		}
	}
	for k := range allowed {
		if _, ok := over[k]; !ok {
			problems = append(problems, fmt.Sprintf("%s: within its limit now; remove its exception from bench/lint/exceptions.go", k))
		}
	}
	slices.Sort(problems)
	return problems, nil
}

// oversized returns the functions and the file in src (at path rel) over
// their limits, keyed as exceptions are: "path" for a file, "path Name"
// or "path (*T).Name" for a function. A generated file has none.
func oversized(rel string, src []byte) (map[string]finding, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", rel, err)
	}
	out := map[string]finding{}
	if ast.IsGenerated(f) {
		return out, nil
	}
	if n := fset.File(f.Pos()).LineCount(); n > maxFileLines {
		out[rel] = finding{what: fmt.Sprintf("%s: %d lines, over %d", rel, n, maxFileLines)}
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		// From the func keyword to the closing brace; the doc comment
		// does not count.
		n := fset.Position(fn.End()).Line - fset.Position(fn.Type.Func).Line + 1
		key := rel + " " + funcName(fn)
		switch {
		case strings.HasPrefix(rel, wiringDir) && n > maxWiringFuncLines:
			out[key] = finding{strict: true,
				what: fmt.Sprintf("%s: %d lines, over %d (%s takes no exception)", key, n, maxWiringFuncLines, wiringDir)}
		case n > maxFuncLines:
			out[key] = finding{what: fmt.Sprintf("%s: %d lines, over %d", key, n, maxFuncLines)}
		}
	}
	return out, nil
}

// funcName is fn's name as Go writes a method expression: f, T.m or (*T).m.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	switch g := t.(type) { // drop type parameters: T[K] is T
	case *ast.IndexExpr:
		t = g.X
	case *ast.IndexListExpr:
		t = g.X
	}
	name := fmt.Sprint(t)
	if id, ok := t.(*ast.Ident); ok {
		name = id.Name
	}
	if star {
		return "(*" + name + ")." + fn.Name.Name
	}
	return name + "." + fn.Name.Name
}
