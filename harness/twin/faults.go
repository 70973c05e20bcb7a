package twin

import (
	"fmt"
	"time"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// fault timer actions (timer.b).
const (
	faultStart = iota
	faultEnd
)

// faultState tracks the scenario's faults during a run.
type faultState struct {
	faults        []scenario.Fault
	pendingIngest []ingestBatch
	// unresponsive holds, per fault index, the replica it hung (-1 none).
	unresponsive map[int]int
}

type ingestBatch struct {
	at      time.Duration
	samples []sample
}

// init validates fault references and schedules their timers.
func (f *faultState) init(t *twin) error {
	f.faults = t.spec.Faults
	f.unresponsive = map[int]int{}
	for i, fl := range f.faults {
		switch {
		case fl.PrometheusOutage != nil:
			t.timers.push(fl.PrometheusOutage.Start, timerFault, i, faultStart)
			t.timers.push(fl.PrometheusOutage.Start+fl.PrometheusOutage.Duration, timerFault, i, faultEnd)
		case fl.KillReplica != nil:
			if t.variantByName(fl.KillReplica.Variant) == nil {
				return fmt.Errorf("%w: spec.faults[%d].killReplica.variant %q: no such variant", ErrInvalidScenario, i, fl.KillReplica.Variant)
			}
			t.timers.push(fl.KillReplica.At, timerFault, i, faultStart)
		case fl.UnresponsiveReplica != nil:
			if t.variantByName(fl.UnresponsiveReplica.Variant) == nil {
				return fmt.Errorf("%w: spec.faults[%d].unresponsiveReplica.variant %q: no such variant", ErrInvalidScenario, i, fl.UnresponsiveReplica.Variant)
			}
			t.timers.push(fl.UnresponsiveReplica.At, timerFault, i, faultStart)
			t.timers.push(fl.UnresponsiveReplica.At+fl.UnresponsiveReplica.Duration, timerFault, i, faultEnd)
		case fl.ControllerRestart != nil:
			t.timers.push(fl.ControllerRestart.At, timerFault, i, faultStart)
			t.timers.push(fl.ControllerRestart.At+fl.ControllerRestart.Downtime, timerFault, i, faultEnd)
		case fl.SlowStart != nil:
			if t.variantByName(fl.SlowStart.Variant) == nil {
				return fmt.Errorf("%w: spec.faults[%d].slowStart.variant %q: no such variant", ErrInvalidScenario, i, fl.SlowStart.Variant)
			}
		}
	}
	return nil
}

func (t *twin) variantByName(name string) *variant {
	for _, v := range t.variants {
		if v.name == name {
			return v
		}
	}
	return nil
}

// fire runs fault i's start or end action.
func (f *faultState) fire(t *twin, i, action int) {
	fl := f.faults[i]
	switch {
	case fl.PrometheusOutage != nil:
		t.store.SetDown(action == faultStart)
	case fl.KillReplica != nil:
		v := t.variantByName(fl.KillReplica.Variant)
		n := max(fl.KillReplica.Count, 1)
		for j := len(v.alive) - 1; j >= 0 && n > 0; j-- {
			r := v.alive[j]
			if r.state != record.ReplicaReady {
				continue
			}
			n--
			t.failInflight(r, "replica killed")
			t.stop(r, record.ReplicaFailed)
		}
		t.reconcile(v)
	case fl.ControllerRestart != nil:
		if action == faultStart {
			t.ctrl.stop()
		} else {
			t.ctrl.start()
		}
	case fl.UnresponsiveReplica != nil:
		v := t.variantByName(fl.UnresponsiveReplica.Variant)
		if action == faultStart {
			for _, r := range v.alive {
				if r.state == record.ReplicaReady && !r.unresponsive {
					r.unresponsive = true
					t.failInflight(r, "504: replica unresponsive (timed out)")
					f.unresponsive[i] = r.id
					// The hung engine loses its work; it restarts empty on recovery.
					if eng, err := newEngine(v); err == nil {
						r.eng = eng
						r.next = never
					}
					return
				}
			}
			return
		}
		if id, ok := f.unresponsive[i]; ok {
			delete(f.unresponsive, i)
			r := t.replicas[id]
			r.unresponsive = false
			t.dispatchQueue()
		}
	}
}

// slowStartExtra is the extra start-up time of a replica of v created at now.
func (f *faultState) slowStartExtra(v *variant, now time.Duration) time.Duration {
	var extra time.Duration
	for _, fl := range f.faults {
		s := fl.SlowStart
		if s == nil || s.Variant != v.name {
			continue
		}
		if now >= s.Start && (s.Duration <= 0 || now < s.Start+s.Duration) {
			extra += s.Extra
		}
	}
	return extra
}

// scrapeDelay is the ingestion delay of a scrape taken at now.
func (f *faultState) scrapeDelay(now time.Duration) time.Duration {
	var d time.Duration
	for _, fl := range f.faults {
		s := fl.ScrapeDelay
		if s == nil {
			continue
		}
		if now >= s.Start && (s.Duration <= 0 || now < s.Start+s.Duration) {
			d = max(d, s.Delay)
		}
	}
	return d
}
