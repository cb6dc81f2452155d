// Command lint holds the repository to the shape its readers rely on:
//
//   - no non-test, non-generated Go function longer than 100 lines and no
//     such file longer than 600 lines, except those listed in exceptions
//     (exceptions.go) with a reason; an exception that no longer applies
//     fails too, so the list only shrinks;
//   - no function under cmd/tern (the binary's wiring) longer than 80
//     lines, with no exception;
//   - every relative link in the repository's Markdown files (README.md,
//     docs/, bench/) names a file or directory that exists.
//
// It is a Go program rather than a script because it reads Go through
// go/parser: a function's length is that of its declaration node, and a
// generated file is recognised by its standard header (ast.IsGenerated),
// where a line-based script would have to guess where a function ends.
//
//	go run ./bench/lint          # from the repository root; make lint runs it
//	go run ./bench/lint -root DIR
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	var problems []string
	sizes, err := checkSizes(*root, exceptions)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lint:", err)
		os.Exit(2)
	}
	problems = append(problems, sizes...)
	links, err := checkLinks(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lint:", err)
		os.Exit(2)
	}
	problems = append(problems, links...)
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		fmt.Printf("lint: %d problems\n", len(problems))
		os.Exit(1)
	}
}
