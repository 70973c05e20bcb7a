package twin

import (
	"fmt"
	"slices"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
)

// Script is a schedule of replicas for one variant that stands in for the
// autoscaler (the plan's replay). Step k covers [k*Step, (k+1)*Step) and asks
// for Replicas[k] ready replicas: a step that needs more starts them Lead
// earlier (the variant's start-up time), one that needs fewer lets them go at
// its start. Past the last step the last entry holds. The other variants
// keep their minReplicas.
type Script struct {
	Variant  string
	Step     time.Duration
	Lead     time.Duration
	Replicas []int
}

// scriptChange sets a variant's desired replicas at a time.
type scriptChange struct {
	at       time.Duration
	variant  int
	replicas int
}

// desiredAt is the number of replicas the script asks for at offset tau: the
// most that any step starting within Lead from tau (or holding tau) needs.
func (s *Script) desiredAt(tau time.Duration) int {
	if len(s.Replicas) == 0 {
		return 0
	}
	last := len(s.Replicas) - 1
	from := min(int(tau/s.Step), last)
	to := min(int((tau+s.Lead)/s.Step), last)
	return slices.Max(s.Replicas[from : to+1])
}

// startScript checks the script and queues its changes.
func (t *twin) startScript(s *Script) error {
	if s.Step <= 0 || s.Lead < 0 {
		return fmt.Errorf("script: step %v must be > 0 and lead %v >= 0", s.Step, s.Lead)
	}
	vi := -1
	for i, v := range t.variants {
		if v.name == s.Variant {
			vi = i
		}
	}
	if vi < 0 {
		return fmt.Errorf("script: no variant %q in the scenario", s.Variant)
	}
	// The desired count only changes where a step starts or its lead begins.
	var times []time.Duration
	for k := range s.Replicas {
		start := time.Duration(k) * s.Step
		times = append(times, start, max(start-s.Lead, 0))
	}
	slices.Sort(times)
	times = slices.Compact(times)
	prev := -1
	for _, tau := range times {
		n := s.desiredAt(tau)
		if n == prev {
			continue
		}
		prev = n
		t.script = append(t.script, scriptChange{at: tau, variant: vi, replicas: n})
	}
	for i, v := range t.variants {
		if i != vi {
			t.script = append(t.script, scriptChange{at: 0, variant: i, replicas: v.min})
		}
	}
	for i, c := range t.script {
		t.timers.push(c.at, timerScript, i, 0)
	}
	return nil
}

// onScript applies scripted change i, within the variant's bounds.
func (t *twin) onScript(i int) {
	c := t.script[i]
	v := t.variants[c.variant]
	n := c.replicas
	if v.max > 0 {
		n = min(n, v.max)
	}
	n = max(n, v.min)
	if n == v.desired {
		return
	}
	t.rec.Scales = append(t.rec.Scales, record.ScaleEvent{Time: t.now, Variant: v.name, From: v.desired, To: n, Source: "plan"})
	v.desired = n
	t.reconcile(v)
}
