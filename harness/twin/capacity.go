package twin

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
	"github.com/saturn-autoscaler/saturn/simulator/engine"
)

// Capacity probe tuning.
const (
	// defaultAttainment is the share of requests that must meet the SLO when
	// the scenario asks for none.
	defaultAttainment = 0.99
	probeRequests     = 1200
	mixSize           = 2000
)

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

type mixEntry struct{ prompt, output int }

// requestMix samples up to mixSize requests evenly from the run.
func requestMix(reqs []record.Request) []mixEntry {
	if len(reqs) == 0 {
		return nil
	}
	stride := max(len(reqs)/mixSize, 1)
	var out []mixEntry
	for i := 0; i < len(reqs) && len(out) < mixSize; i += stride {
		out = append(out, mixEntry{int(reqs[i].PromptTokens), int(reqs[i].OutputTokens)})
	}
	return out
}

// attainmentOf is the share of requests the scenario requires to meet the
// SLO: the lowest minShare of its sloAttainment assertions, else 99%.
func attainmentOf(sc *scenario.Scenario) float64 {
	share := 0.0
	for _, a := range sc.Spec.Assertions {
		if c := a.SLOAttainment; c != nil && c.MinShare > 0 && (share == 0 || c.MinShare < share) {
			share = c.MinShare
		}
	}
	if share == 0 {
		return defaultAttainment
	}
	return share
}

// Capacity is the highest Poisson arrival rate (requests/s) at which one
// replica with cfg serves the request mix with at least the given share of
// requests meeting the SLO, found by bisection on engine runs. When even
// isolated requests miss the SLO more often than that (prompts too long for
// the TTFT target), the bar is 99% of the attainment at a negligible rate.
func Capacity(cfg engine.Config, mix []mixEntry, slo record.SLO, share float64) (float64, error) {
	base, err := probe(cfg, mix, slo, 1e-3, 0)
	if err != nil || base <= 0 {
		return 0, err
	}
	target := min(share, 0.99*base)
	ok := func(rate float64) (bool, error) {
		a, err := probe(cfg, mix, slo, rate, target)
		return a >= target, err
	}
	lo, hi := 0.0, 0.5
	// Heavy requests: look below the starting rate first.
	for hi > 1.0/1024 {
		good, err := ok(hi)
		if err != nil {
			return 0, err
		}
		if good {
			break
		}
		hi /= 2
	}
	if hi <= 1.0/1024 {
		return 0, nil
	}
	lo, hi = hi, hi*2
	for {
		good, err := ok(hi)
		if err != nil {
			return 0, err
		}
		if !good {
			break
		}
		lo, hi = hi, hi*2
		if hi > 1e5 {
			return lo, nil
		}
	}
	for range 10 {
		mid := (lo + hi) / 2
		good, err := ok(mid)
		if err != nil {
			return 0, err
		}
		if good {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// probe runs one replica at rate and returns the share of requests (after
// a warm-up fifth) meeting the SLO; it stops early, returning what it has,
// once the misses alone put the share below stopBelow.
func probe(cfg engine.Config, mix []mixEntry, slo record.SLO, rate, stopBelow float64) (float64, error) {
	eng, err := engine.New(cfg)
	if err != nil {
		return 0, fmt.Errorf("building the probe engine: %w", err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	n := probeRequests
	arrivals := make([]time.Duration, n)
	var t float64
	for i := range arrivals {
		t += rng.ExpFloat64() / rate
		arrivals[i] = time.Duration(t * float64(time.Second))
	}
	met, measured := 0, 0
	warm := n / 5
	next := 0
	var evs []engine.Event
	done := 0
	for done < n {
		tEng, busy := eng.NextEventTime()
		if next < n && (!busy || !at(arrivals[next]).After(tEng)) {
			m := mix[next%len(mix)]
			if err := eng.Add(at(arrivals[next]), engine.Request{ID: strconv.Itoa(next), PromptTokens: m.prompt, OutputTokens: m.output}); err != nil {
				done++ // an impossible request counts as a miss
				if next >= warm {
					measured++
				}
			}
			next++
			continue
		}
		if !busy {
			break
		}
		evs = eng.AdvanceInto(evs[:0], tEng)
		for _, ev := range evs {
			i, _ := strconv.Atoi(ev.ID)
			switch ev.Kind {
			case engine.EventFinished:
				done++
				if i < warm {
					continue
				}
				measured++
				st := ev.Stats
				ttft := st.FirstToken.Sub(st.Arrival)
				good := !st.FirstToken.IsZero() && (slo.TTFT <= 0 || ttft <= slo.TTFT)
				if good && slo.ITL > 0 && st.OutputTokens > 1 {
					good = st.Finished.Sub(st.FirstToken)/time.Duration(st.OutputTokens-1) <= slo.ITL
				}
				if good {
					met++
				}
			}
		}
		// Stop early once the misses alone sink the attainment.
		if stopBelow > 0 && float64(measured-met) > (1-stopBelow)*float64(n-warm) {
			return 0, nil
		}
	}
	if measured == 0 {
		return 0, nil
	}
	return float64(met) / float64(measured), nil
}
