// Package saturn holds the Go tests of the saturn Helm chart (chart_test.go,
// flags_test.go): they render the chart with bin/helm and check the objects,
// and parse the rendered controller args with the controller's own flags.
// There is no non-test code; .helmignore keeps the Go files out of the chart.
package saturn
