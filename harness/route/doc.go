// Package route is the request-placement policy shared by the digital twin's
// router and the in-cluster router (harness/router): given one candidate per
// replica, it picks where the next request goes, as llm-d's endpoint picker
// does. It is a pure core: no clock, no goroutines, no I/O; callers own the
// state the candidates are built from.
package route
