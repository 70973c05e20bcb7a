package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/harness/suite"
)

// defaultAnalyzer is the analyzer a scenario gets when it names none.
func defaultAnalyzer() string {
	var sc scenario.Scenario
	sc.Default()
	return sc.Spec.Autoscaler.Analyzer
}

// validateSuite checks the flags of `compare --suite DIR` and fills in the
// default analyzers.
func (o *CompareOptions) validateSuite(args []string) error {
	if len(args) > 0 {
		return invalid("--suite %s: takes no scenario files (got %s); compare files without --suite", o.Suite, strings.Join(args, " "))
	}
	if !slices.Contains(suite.Formats, o.Format) {
		return invalid("--format %q: must be %s", o.Format, strings.Join(suite.Formats, ", "))
	}
	if o.Out != "" {
		return invalid("--out %s: not supported with --suite; run one scenario with `saturn run FILE --out DIR`", o.Out)
	}
	if o.Analyzer == "" {
		o.Analyzer = defaultAnalyzer()
	}
	if o.Against == "" {
		o.Against = scenario.AnalyzerWVAv1
	}
	for _, f := range []struct{ flag, value string }{{"--analyzer", o.Analyzer}, {"--against", o.Against}} {
		if f.value != scenario.AnalyzerCapacity && f.value != scenario.AnalyzerWVAv1 {
			return invalid("%s %q: must be %s or %s", f.flag, f.value, scenario.AnalyzerCapacity, scenario.AnalyzerWVAv1)
		}
	}
	if o.Analyzer == o.Against {
		return invalid("--against %s: same as --analyzer; name two different analyzers", o.Against)
	}
	if len(o.Seeds) > maxSuiteSeeds {
		return invalid("--seeds: %d seeds, at most %d (each runs every scenario under two analyzers)", len(o.Seeds), maxSuiteSeeds)
	}
	seen := map[uint]bool{}
	for _, s := range o.Seeds {
		switch {
		case s == 0:
			return invalid("--seeds: 0 is not a seed (leave --seeds out to run each scenario with its own spec.seed)")
		case seen[s]:
			return invalid("--seeds: %d is listed twice", s)
		}
		seen[s] = true
	}
	return o.Limits.Validate()
}

// maxSuiteSeeds bounds --seeds.
const maxSuiteSeeds = 32

// runSuite runs every scenario of o.Suite under o.Analyzer and o.Against and
// prints one table. It fails, after running every scenario it could load,
// when a scenario did not load (exit 2) or did not run (exit 1, or 2 when
// the twin found it invalid).
func runSuite(ctx context.Context, o *CompareOptions, stdout, stderr io.Writer) error {
	entries, loadErrs, err := loadSuite(o.Suite, o.Limits.Limits)
	if err != nil {
		return err
	}
	workers := runtime.GOMAXPROCS(0)
	if len(o.Seeds) > 0 {
		seeds := make([]uint64, len(o.Seeds))
		for i, s := range o.Seeds {
			seeds[i] = uint64(s)
		}
		fmt.Fprintf(stderr, "running %d scenarios x %d seeds under %s and %s on %d workers\n", len(entries), len(seeds), o.Analyzer, o.Against, workers)
		entries = suite.WithSeeds(entries, seeds)
	} else {
		fmt.Fprintf(stderr, "running %d scenarios under %s and %s on %d workers\n", len(entries), o.Analyzer, o.Against, workers)
	}
	var mu sync.Mutex
	run := func(ctx context.Context, sc *scenario.Scenario) (record.Summary, error) {
		start := time.Now()
		out, err := execute(ctx, sc, 0, nil)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fmt.Fprintf(stderr, "%s under %s: failed\n", sc.Metadata.Name, sc.Spec.Autoscaler.Analyzer)
			return record.Summary{}, err
		}
		fmt.Fprintf(stderr, "%s (seed %d) under %s: %s\n", sc.Metadata.Name, sc.Spec.Seed, sc.Spec.Autoscaler.Analyzer, time.Since(start).Round(100*time.Millisecond))
		return out.sum, nil
	}
	rows, runErr := suite.Run(ctx, entries, o.Analyzer, o.Against, workers, run)
	if err := suite.Write(stdout, o.Format, rows); err != nil {
		return fmt.Errorf("writing the table: %w", err)
	}
	switch {
	case len(loadErrs) > 0:
		return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("--suite %s: %w", o.Suite, errors.Join(append(loadErrs, runErr)...))}
	case runErr != nil:
		return fmt.Errorf("--suite %s: %w", o.Suite, runErr) // exit 1, or 2 for a scenario the twin refused
	}
	return nil
}

// loadSuite loads every *.yaml file of dir (not its subfolders), sorted by
// name. A file that does not load is reported in loadErrs and skipped; err
// is set when the folder cannot be read or holds no scenario.
func loadSuite(dir string, limits scenario.Limits) (entries []suite.Entry, loadErrs []error, err error) {
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, invalid("--suite %s: %w", dir, err)
	}
	for _, f := range files { // ReadDir sorts by name
		if f.IsDir() || !strings.HasSuffix(f.Name(), ".yaml") {
			continue
		}
		path := filepath.Join(dir, f.Name())
		sc, err := loadFile(path, limits)
		if err != nil {
			loadErrs = append(loadErrs, fmt.Errorf("loading %s: %w", path, err))
			continue
		}
		entries = append(entries, suite.Entry{Name: strings.TrimSuffix(f.Name(), ".yaml"), Scenario: sc})
	}
	if len(entries) == 0 && len(loadErrs) == 0 {
		return nil, nil, invalid("--suite %s: no scenario files (*.yaml) in the folder", dir)
	}
	return entries, loadErrs, nil
}
