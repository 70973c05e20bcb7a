package report

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/saturn-autoscaler/saturn/harness/record"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes the assertions of a run as one JUnit test suite, one test
// case per assertion (CI systems render them as tests).
func JUnit(w io.Writer, sum *record.Summary) error {
	wall := "0"
	if sum.Run != nil {
		wall = fmt.Sprintf("%.3f", sum.Run.WallSeconds)
	}
	s := junitSuite{Name: "saturn." + sum.Scenario, Tests: len(sum.Assertions), Time: wall,
		Properties: []junitProperty{
			{"mode", sum.Mode}, {"seed", fmt.Sprint(sum.Seed)}, {"analyzer", sum.Analyzer}, {"actuation", sum.Actuation},
			{"gpu_hours", fmt.Sprintf("%.3f", sum.GPUHours)}, {"verdict", sum.Verdict},
		}}
	for _, a := range sum.Assertions {
		c := junitCase{Name: a.Name, Classname: "saturn." + sum.Scenario, Time: "0", SystemOut: "observed: " + a.Observed}
		if !a.Pass {
			s.Failures++
			c.Failure = &junitFailure{Message: a.Name + ": observed " + a.Observed, Type: "AssertionFailed", Text: a.Detail}
		}
		s.Cases = append(s.Cases, c)
	}
	doc := junitSuites{Name: "saturn", Tests: s.Tests, Failures: s.Failures, Time: wall, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding JUnit XML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
