package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/harness/record"
)

// Variant maps a scenario variant to the cluster objects serving and scaling it.
type Variant struct {
	// Name is the scenario's variant name (the record's variant key).
	Name      string
	Namespace string
	// Deployment is the scaled Deployment; HPA and VariantAutoscaling name the objects
	// scaling it ("" when absent).
	Deployment, HPA, VariantAutoscaling string
}

// Observation is what one sample read for one variant.
type Observation struct {
	Variant    Variant
	Deployment *appsv1.Deployment
	HPA        *autoscalingv2.HorizontalPodAutoscaler
	VA         *v1alpha1.VariantAutoscaling
	// Pods are the variant's replicas as Prometheus saw them (nil without a querier).
	Pods []PodMetrics
	// Replicas are the Deployment's pods as the API server shows them.
	Replicas []corev1.Pod
}

// ReplicaState is where a pod stands, as the twin records its replicas: pending until
// scheduled, starting until ready, draining once deleted; a pod that is gone stopped.
// A pod holds its accelerator from the moment it is scheduled (starting) until it is gone.
func ReplicaState(p *corev1.Pod) record.ReplicaState {
	switch {
	case p.DeletionTimestamp != nil:
		return record.ReplicaDraining
	case p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded:
		return record.ReplicaFailed
	case p.Spec.NodeName == "":
		return record.ReplicaPending
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return record.ReplicaReady
		}
	}
	return record.ReplicaStarting
}

// PodMetrics is what Prometheus last scraped from one replica.
type PodMetrics struct {
	Pod              string
	KVUsage          float64
	Running, Waiting int
}

// Querier runs an instant PromQL query (controller/promclient over HTTPS).
type Querier interface {
	Query(ctx context.Context, query string, ts time.Time) (model.Vector, error)
}

// Sampler turns periodic observations of the cluster into record rows: a timeline point
// per variant per sample, a scale event when spec.replicas changes, a decision when a
// VariantAutoscaling's desiredOptimizedAlloc.lastRunTime moves, and a replica event when
// one of the Deployment's pods changes state (the GPU-hours are counted from these, as
// in the twin).
type Sampler struct {
	c        client.Reader
	prom     Querier
	clock    clock.WithTicker
	start    time.Time
	variants []Variant

	mu        sync.Mutex
	replicas  map[string]record.ReplicaEvent // variant/pod -> its last recorded state
	lifecycle []record.ReplicaEvent
	desired   map[string]int
	lastRun   map[string]time.Time
	timeline  []record.TimelinePoint
	scales    []record.ScaleEvent
	decisions []record.Decision
	samples   []record.MetricSample
}

// NewSampler returns a sampler whose record offsets count from start.
func NewSampler(c client.Reader, clk clock.WithTicker, start time.Time, variants []Variant) *Sampler {
	return &Sampler{
		c: c, clock: clk, start: start, variants: variants,
		desired: map[string]int{}, lastRun: map[string]time.Time{}, replicas: map[string]record.ReplicaEvent{},
	}
}

// WithPrometheus makes every sample also read the replicas' vLLM gauges from q.
func (s *Sampler) WithPrometheus(q Querier) *Sampler {
	s.prom = q
	return s
}

// Run samples every interval until ctx is done; a failed sample is retried at the next tick.
func (s *Sampler) Run(ctx context.Context, interval time.Duration, onError func(error)) {
	t := s.clock.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Sample(ctx); err != nil && ctx.Err() == nil && onError != nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// Sample reads every variant's objects once and records what changed.
func (s *Sampler) Sample(ctx context.Context) error {
	now := s.clock.Now()
	obs := make([]Observation, 0, len(s.variants))
	for _, v := range s.variants {
		o := Observation{Variant: v, Deployment: &appsv1.Deployment{}}
		if err := s.c.Get(ctx, types.NamespacedName{Namespace: v.Namespace, Name: v.Deployment}, o.Deployment); err != nil {
			return fmt.Errorf("sampling deployment %s/%s: %w", v.Namespace, v.Deployment, err)
		}
		if sel := o.Deployment.Spec.Selector; sel != nil && len(sel.MatchLabels) > 0 {
			var pods corev1.PodList
			if err := s.c.List(ctx, &pods, client.InNamespace(v.Namespace), client.MatchingLabels(sel.MatchLabels)); err != nil {
				return fmt.Errorf("sampling the pods of deployment %s/%s: %w", v.Namespace, v.Deployment, err)
			}
			o.Replicas = pods.Items
		}
		if v.HPA != "" {
			o.HPA = &autoscalingv2.HorizontalPodAutoscaler{}
			if err := s.c.Get(ctx, types.NamespacedName{Namespace: v.Namespace, Name: v.HPA}, o.HPA); err != nil {
				if !apierrors.IsNotFound(err) {
					return fmt.Errorf("sampling HPA %s/%s: %w", v.Namespace, v.HPA, err)
				}
				o.HPA = nil
			}
		}
		if v.VariantAutoscaling != "" {
			o.VA = &v1alpha1.VariantAutoscaling{}
			if err := s.c.Get(ctx, types.NamespacedName{Namespace: v.Namespace, Name: v.VariantAutoscaling}, o.VA); err != nil {
				if !apierrors.IsNotFound(err) {
					return fmt.Errorf("sampling VariantAutoscaling %s/%s: %w", v.Namespace, v.VariantAutoscaling, err)
				}
				o.VA = nil
			}
		}
		obs = append(obs, o)
	}
	if s.prom != nil {
		pods, err := s.podMetrics(ctx, now)
		if err != nil {
			s.Observe(now, obs)
			return err
		}
		for i := range obs {
			obs[i].Pods = podsOf(obs[i].Variant, pods)
		}
	}
	s.Observe(now, obs)
	return nil
}

// podMetrics reads the vLLM gauges of every pod of the sampled namespaces.
func (s *Sampler) podMetrics(ctx context.Context, now time.Time) (map[string]*PodMetrics, error) {
	namespaces := map[string]bool{}
	for _, v := range s.variants {
		namespaces[v.Namespace] = true
	}
	pods := map[string]*PodMetrics{}
	for ns := range namespaces {
		for _, q := range []struct {
			metric string
			set    func(*PodMetrics, float64)
		}{
			{"vllm:kv_cache_usage_perc", func(p *PodMetrics, v float64) { p.KVUsage = v }},
			{"vllm:num_requests_running", func(p *PodMetrics, v float64) { p.Running = int(v) }},
			{"vllm:num_requests_waiting", func(p *PodMetrics, v float64) { p.Waiting = int(v) }},
		} {
			query := fmt.Sprintf("max by (pod) (%s{namespace=%q})", q.metric, ns)
			vec, err := s.prom.Query(ctx, query, now)
			if err != nil {
				return nil, fmt.Errorf("sampling %s: %w", q.metric, err)
			}
			for _, smp := range vec {
				pod := string(smp.Metric["pod"])
				if pod == "" {
					continue
				}
				if pods[pod] == nil {
					pods[pod] = &PodMetrics{Pod: pod}
				}
				q.set(pods[pod], float64(smp.Value))
			}
		}
	}
	return pods, nil
}

// podsOf keeps the pods of variant v: Deployment pods are named <deployment>-<hash>-<suffix>.
func podsOf(v Variant, pods map[string]*PodMetrics) []PodMetrics {
	var out []PodMetrics
	for name, p := range pods {
		rest, ok := strings.CutPrefix(name, v.Deployment+"-")
		if ok && strings.Count(rest, "-") == 1 { // <replicaset hash>-<suffix>, not a longer Deployment name
			out = append(out, *p)
		}
	}
	slices.SortFunc(out, func(a, b PodMetrics) int { return strings.Compare(a.Pod, b.Pod) })
	return out
}

// Observe records one set of observations made at now. It is the sampler's pure core.
func (s *Sampler) Observe(now time.Time, obs []Observation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := now.Sub(s.start)
	for _, o := range obs {
		name := o.Variant.Name
		d := o.Deployment
		desired := 1
		if d.Spec.Replicas != nil {
			desired = int(*d.Spec.Replicas)
		}
		ready := int(d.Status.ReadyReplicas)
		point := record.TimelinePoint{
			Time: at, Variant: name, Desired: desired, Ready: ready,
			Starting: max(0, min(int(d.Status.Replicas), desired)-ready),
			Draining: max(0, int(d.Status.Replicas)-desired),
		}
		for _, p := range o.Pods {
			s.samples = append(s.samples, record.MetricSample{
				Time: at, Variant: name, Replica: p.Pod, KVUsage: p.KVUsage, Running: p.Running, Waiting: p.Waiting,
			})
			point.KVMean += p.KVUsage / float64(len(o.Pods))
			point.KVMax = max(point.KVMax, p.KVUsage)
			point.Running += p.Running
			point.Waiting += p.Waiting
		}
		s.timeline = append(s.timeline, point)
		if prev, seen := s.desired[name]; seen && prev != desired {
			source := record.ScaleEvent{Time: at, Variant: name, From: prev, To: desired, Source: "direct"}
			if o.HPA != nil {
				source.Source = "hpa"
			}
			s.scales = append(s.scales, source)
		}
		s.desired[name] = desired
		if o.VA != nil {
			s.observeVA(at, name, desired, o.VA)
		}
		s.observeReplicas(at, name, o.Replicas)
	}
}

// observeReplicas records each pod's state changes and, for a pod no longer listed, its stop.
func (s *Sampler) observeReplicas(at time.Duration, variant string, pods []corev1.Pod) {
	seen := map[string]bool{}
	for i := range pods {
		p := &pods[i]
		key := variant + "/" + p.Name
		seen[key] = true
		state := ReplicaState(p)
		if last, ok := s.replicas[key]; ok && last.State == state {
			continue
		}
		e := record.ReplicaEvent{Time: at, Variant: variant, Replica: p.Name, State: state}
		s.replicas[key] = e
		s.lifecycle = append(s.lifecycle, e)
	}
	gone := make([]string, 0)
	for key, last := range s.replicas {
		if last.Variant == variant && !seen[key] && last.State != record.ReplicaStopped {
			gone = append(gone, key)
		}
	}
	slices.Sort(gone)
	for _, key := range gone {
		last := s.replicas[key]
		e := record.ReplicaEvent{Time: at, Variant: variant, Replica: last.Replica, State: record.ReplicaStopped}
		s.replicas[key] = e
		s.lifecycle = append(s.lifecycle, e)
	}
}

func (s *Sampler) observeVA(at time.Duration, variant string, current int, va *v1alpha1.VariantAutoscaling) {
	alloc := va.Status.DesiredOptimizedAlloc
	run := alloc.LastRunTime.Time
	if run.IsZero() || !run.After(s.lastRun[variant]) {
		return
	}
	s.lastRun[variant] = run
	d := record.Decision{
		Time: at, TimeSeconds: at.Seconds(), Variant: variant, Namespace: va.Namespace, Model: va.Spec.ModelID,
		Accelerator: va.Accelerator(), Analyzer: alloc.Analyzer, Current: current, Desired: int(alloc.NumReplicas),
		Reason: alloc.Reason, MetricsOK: true,
	}
	if c := va.GetCondition(v1alpha1.TypeMetricsAvailable); c != nil {
		d.MetricsOK = c.Status == "True"
		if !d.MetricsOK {
			d.MetricsWhy = c.Reason + ": " + c.Message
		}
	}
	if c := va.GetCondition(v1alpha1.TypeOptimizationReady); c != nil && c.Status != "True" {
		d.Error = c.Reason + ": " + c.Message
	}
	s.decisions = append(s.decisions, d)
}

// Fill copies what was sampled into rec.
func (s *Sampler) Fill(rec *record.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Timeline = append(rec.Timeline, s.timeline...)
	rec.Scales = append(rec.Scales, s.scales...)
	rec.Decisions = append(rec.Decisions, s.decisions...)
	rec.Samples = append(rec.Samples, s.samples...)
	rec.Lifecycle = append(rec.Lifecycle, s.lifecycle...)
}
