// Package arrivals holds the stochastic building blocks of synthetic traffic: piecewise rate
// schedules (constant, linear and exponential ramps, sinusoidal cycles, scaled by spikes) with
// their cumulative intensity and its inverse, renewal arrival processes (Poisson, gamma with a
// coefficient of variation, deterministic) mapped onto a schedule by time rescaling, and
// distributions for token lengths and durations (fixed, uniform, normal, lognormal,
// empirical).
//
// Everything is deterministic given a *rand.Rand, allocation-free per draw and streaming:
// callers pull one arrival at a time, so a day of traffic never sits in memory.
// The package must not know about scenario files (harness/scenario translates them), clocks,
// goroutines or I/O.
package arrivals
