package planner

import (
	"fmt"
	"math"
	"time"

	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const podCapacity = 10000

// podLoad is a pod's KV usage and waiting requests.
type podLoad struct{ kv, waiting float64 }

// snapBuilder builds a collector.Snapshot by hand.
type snapBuilder struct{ s collector.Snapshot }

func newSnap(now time.Time) *snapBuilder {
	return &snapBuilder{s: collector.Snapshot{Time: now, Models: map[collector.ModelKey]*collector.ModelMetrics{}, Failed: map[string]error{}, StaleAfter: 2 * time.Minute}}
}

func (b *snapBuilder) model(ns, id string) *collector.ModelMetrics {
	k := collector.ModelKey{Namespace: ns, ModelID: id}
	m := b.s.Models[k]
	if m == nil {
		m = &collector.ModelMetrics{Pods: map[string]*collector.PodMetrics{}, MeanPromptTokens: math.NaN(), FinishedRequests: 0, ScaleFromZeroWaiting: math.NaN()}
		b.s.Models[k] = m
	}
	return m
}

// pods adds fresh pods "<deploy>-abc-<i>" with the given loads.
func (b *snapBuilder) pods(ns, id, deploy string, loads ...podLoad) *snapBuilder {
	m := b.model(ns, id)
	for i, l := range loads {
		name := fmt.Sprintf("%s-abc-%d", deploy, i)
		m.Pods[name] = &collector.PodMetrics{Pod: name, KVUsage: l.kv, Waiting: l.waiting, Running: 1, Generated: math.NaN(),
			KVCapacityTokens: podCapacity, LastSample: b.s.Time.Add(-10 * time.Second)}
	}
	return b
}

// running sets the running requests of every pod of the model.
func (b *snapBuilder) running(ns, id string, r float64) *snapBuilder {
	for _, pm := range b.model(ns, id).Pods {
		pm.Running = r
	}
	return b
}

func (b *snapBuilder) build() collector.Snapshot { return b.s }

// state describes a variant whose ready pods are named like snapBuilder.pods names them.
func state(name string, cost float64, current, ready int) saturation.VariantState {
	v := saturation.VariantState{Name: name, Namespace: "ns", ModelID: "m", Accelerator: "L40S", TargetName: name,
		Cost: cost, Current: current, Ready: ready}
	for i := range ready {
		v.Pods = append(v.Pods, fmt.Sprintf("%s-abc-%d", name, i))
	}
	return v
}

func cfgWith(saturationData, s2zData map[string]string) config.Config {
	s, err := config.ParseSaturation(saturationData)
	if err != nil {
		panic(err)
	}
	z, err := config.ParseScaleToZero(s2zData, false)
	if err != nil {
		panic(err)
	}
	return config.Config{Saturation: s, ScaleToZero: z}
}

func repeat(l podLoad, n int) []podLoad {
	out := make([]podLoad, n)
	for i := range out {
		out[i] = l
	}
	return out
}

func nan() float64 { return math.NaN() }
