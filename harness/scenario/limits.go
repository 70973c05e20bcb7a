package scenario

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Default bounds on a scenario: a run of the twin holds every request in memory, so a
// scenario that would generate more than DefaultMaxRequests requests or simulate longer than
// DefaultMaxDuration is refused unless the limit is raised.
const (
	DefaultMaxRequests = 20_000_000
	DefaultMaxDuration = 31 * 24 * time.Hour
)

// The command-line flags that raise the limits; errors name them.
const (
	FlagMaxRequests = "--max-requests"
	FlagMaxDuration = "--max-duration"
)

// ceilingMaxRequests bounds MaxRequests itself: far beyond what the twin can hold in memory.
const ceilingMaxRequests = 1_000_000_000

// Limits bound the size of a scenario. Zero means the default.
type Limits struct {
	// MaxRequests bounds the expected number of requests of synthetic traffic (default
	// DefaultMaxRequests). A trace replay is bounded by MaxDuration only: counting its
	// records would mean reading the whole trace when loading.
	MaxRequests int64
	// MaxDuration bounds spec.duration (default DefaultMaxDuration).
	MaxDuration time.Duration
}

// Validate checks the limits themselves, naming the flag that set a bad one.
func (l Limits) Validate() error {
	if l.MaxRequests < 0 || l.MaxRequests > ceilingMaxRequests {
		return fmt.Errorf("%s %d: must be in [0, %s] (0 means the default, %s)",
			FlagMaxRequests, l.MaxRequests, thousands(ceilingMaxRequests), thousands(DefaultMaxRequests))
	}
	if l.MaxDuration < 0 {
		return fmt.Errorf("%s %s: must be >= 0 (0 means the default, %s)", FlagMaxDuration, l.MaxDuration, DefaultMaxDuration)
	}
	return nil
}

// withDefaults replaces zero limits by the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxRequests == 0 {
		l.MaxRequests = DefaultMaxRequests
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = DefaultMaxDuration
	}
	return l
}

// CheckLimits returns an ErrorList when s simulates longer than l.MaxDuration (located at
// spec.duration) or is expected to generate more than l.MaxRequests requests (located at
// spec.traffic); each error names the flag that raises the limit. Positions are known for a
// scenario from Load; otherwise errors carry field paths only, as Validate's do. s must be
// valid: problems Validate reports are not repeated here.
func (s *Scenario) CheckLimits(l Limits) error {
	if err := l.Validate(); err != nil {
		return err
	}
	l = l.withDefaults()
	sink := newErrorSink(s.Source)
	if s.positions != nil {
		sink.positions = s.positions
	}
	sp := &s.Spec
	if sp.Duration > l.MaxDuration {
		sink.field("spec.duration", "%s (%s days) is longer than the limit of %s (%s days); raise it with %s %s",
			sp.Duration, days(sp.Duration), l.MaxDuration, days(l.MaxDuration), FlagMaxDuration, sp.Duration)
	}
	if sp.Traffic.Trace != nil {
		return sink.err()
	}
	// An error from ExpectedRequests is a problem Validate reports.
	n, err := ExpectedRequests(sp)
	switch {
	case err != nil || n <= float64(l.MaxRequests):
	case n > ceilingMaxRequests:
		sink.field("spec.traffic", "about %.3g requests expected, more than %s allows (at most %s); shorten spec.duration or lower the rate",
			n, FlagMaxRequests, thousands(ceilingMaxRequests))
	default:
		sink.field("spec.traffic", "about %s requests expected, more than the limit of %s; raise it with %s %d",
			thousands(int64(n)), thousands(l.MaxRequests), FlagMaxRequests, int64(math.Ceil(n)))
	}
	return sink.err()
}

// days renders a duration in days, e.g. "31" or "0.5".
func days(d time.Duration) string {
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

// thousands renders n with comma separators, e.g. "20,000,000".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
