package twin

import (
	"fmt"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/harness/promstore"
	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/harness/route"
	"github.com/saturn-autoscaler/saturn/simulator/vllmmetrics"
)

// The vLLM families the twin scrapes: the ones the controller's collector
// queries. Names come from simulator/vllmmetrics, and their labels
// (model_name, engine, finished_reason, the cache config labels) are read
// from a real vllmmetrics registry, so names and labels have one source.
const (
	famRunning      = vllmmetrics.NameNumRequestsRunning
	famWaiting      = vllmmetrics.NameNumRequestsWaiting
	famKVUsage      = vllmmetrics.NameKVCacheUsagePerc
	famSuccess      = vllmmetrics.NameRequestSuccessTotal
	famPromptTokens = vllmmetrics.NameRequestPromptTokens // histogram: _sum and _count
	famCacheConfig  = vllmmetrics.NameCacheConfigInfo
	famPreemptions  = vllmmetrics.NameNumPreemptionsTotal
	famPromptTotal  = vllmmetrics.NamePromptTokensTotal
	famGenTotal     = vllmmetrics.NameGenerationTokensTotal
	famITL          = vllmmetrics.NameInterTokenLatencySeconds  // histogram: _sum and _count
	famGenTokens    = vllmmetrics.NameRequestGenerationTokens   // histogram: _sum and _count
	famPrefill      = vllmmetrics.NameRequestPrefillTimeSeconds // histogram: _sum and _count
	// famEPPQueue is llm-d's endpoint-picker flow-control queue gauge, the
	// collector's default scale-from-zero signal.
	famEPPQueue = collector.EPPQueueMetric
	// famEPPRequests is the endpoint picker's request counter: every request the
	// twin's router received.
	famEPPRequests = route.RequestTotalMetric
)

// scrapeJob is the job label of the replicas' scrape target.
const scrapeJob = "vllm"

var staleNaN = math.Float64frombits(value.StaleNaN)

// replicaSeries are one replica's scraped series.
type replicaSeries struct {
	running, waiting, kv, cacheInfo *promstore.Series
	preempt, promptTotal, genTotal  *promstore.Series
	promptSum, promptCount          *promstore.Series
	itlSum, itlCount                *promstore.Series
	genSum, genCount                *promstore.Series
	prefillSum, prefillCount        *promstore.Series
	success                         []*promstore.Series // per finished_reason, in vllmmetrics.FinishedReasons order
	all                             []*promstore.Series
}

// metricNames holds, per variant, the label sets of the scraped families as
// a vllmmetrics registry exposes them.
type metricNames struct {
	byVariant   [][]famLabels
	retired     []*replica
	eppQueue    *promstore.Series
	eppRequests *promstore.Series
}

type famLabels struct {
	name string // sample name (with _sum/_count for histograms)
	lbls labels.Labels
	// reason is the finished_reason of request_success_total samples.
	reason string
}

func newMetricNames() *metricNames { return &metricNames{} }

// addVariant registers vLLM's families for the variant on a scratch registry
// and keeps the label sets of the families the twin scrapes.
func (m *metricNames) addVariant(v *variant, model string) error {
	// The block count needs an engine; build one to read its cache config.
	eng, err := newEngine(v)
	if err != nil {
		return fmt.Errorf("%w: variant %s: %w", ErrInvalidScenario, v.name, err)
	}
	cc := vllmmetrics.FromEngineCache(eng.CacheConfig())
	reg := prometheus.NewPedanticRegistry()
	if _, err := vllmmetrics.Register(reg, model, v.maxLen, cc); err != nil {
		return fmt.Errorf("registering vLLM metrics for variant %s: %w", v.name, err)
	}
	fams, err := reg.Gather()
	if err != nil {
		return fmt.Errorf("gathering vLLM metrics for variant %s: %w", v.name, err)
	}
	var out []famLabels
	want := map[string]bool{famRunning: true, famWaiting: true, famKVUsage: true, famSuccess: true,
		famPromptTokens: true, famCacheConfig: true, famPreemptions: true, famPromptTotal: true, famGenTotal: true, famITL: true, famGenTokens: true, famPrefill: true}
	for _, f := range fams {
		if !want[f.GetName()] {
			continue
		}
		for _, mt := range f.GetMetric() {
			b := labels.NewScratchBuilder(len(mt.GetLabel()) + 1)
			reason := ""
			for _, lp := range mt.GetLabel() {
				b.Add(lp.GetName(), lp.GetValue())
				if lp.GetName() == vllmmetrics.LabelFinishedReason {
					reason = lp.GetValue()
				}
			}
			b.Sort()
			base := b.Labels()
			if f.GetType() == dto.MetricType_HISTOGRAM {
				out = append(out, famLabels{name: f.GetName() + "_sum", lbls: base}, famLabels{name: f.GetName() + "_count", lbls: base})
				continue
			}
			out = append(out, famLabels{name: f.GetName(), lbls: base, reason: reason})
		}
	}
	if len(out) == 0 {
		return fmt.Errorf("variant %s: simulator/vllmmetrics exposes none of the families the collector queries", v.name)
	}
	m.byVariant = append(m.byVariant, out)
	return nil
}

// seriesFor builds the series handles of a new ready replica: the family
// labels plus what Prometheus' Kubernetes discovery adds.
func (m *metricNames) seriesFor(r *replica, namespace string) *replicaSeries {
	rs := &replicaSeries{}
	for _, f := range m.byVariant[r.v.idx] {
		b := labels.NewBuilder(f.lbls)
		b.Set(model.MetricNameLabel, f.name)
		b.Set("namespace", namespace)
		b.Set("pod", r.name)
		b.Set("job", scrapeJob)
		b.Set("instance", r.name+":8000")
		s := promstore.NewSeries(b.Labels())
		rs.all = append(rs.all, s)
		switch f.name {
		case famRunning:
			rs.running = s
		case famWaiting:
			rs.waiting = s
		case famKVUsage:
			rs.kv = s
		case famCacheConfig:
			rs.cacheInfo = s
		case famPreemptions:
			rs.preempt = s
		case famPromptTotal:
			rs.promptTotal = s
		case famGenTotal:
			rs.genTotal = s
		case famPromptTokens + "_sum":
			rs.promptSum = s
		case famPromptTokens + "_count":
			rs.promptCount = s
		case famGenTokens + "_sum":
			rs.genSum = s
		case famGenTokens + "_count":
			rs.genCount = s
		case famITL + "_sum":
			rs.itlSum = s
		case famITL + "_count":
			rs.itlCount = s
		case famPrefill + "_sum":
			rs.prefillSum = s
		case famPrefill + "_count":
			rs.prefillCount = s
		case famSuccess:
			rs.success = append(rs.success, s)
		}
	}
	return rs
}

// retire queues a replica whose series must get staleness markers.
func (m *metricNames) retire(r *replica) { m.retired = append(m.retired, r) }

// sample is one pending TSDB sample.
type sample struct {
	s *promstore.Series
	t time.Duration
	v float64
}

// scrape is one Prometheus scrape of every target plus one timeline point
// per variant.
func (t *twin) scrape() {
	batch := t.batchBuf[:0]
	add := func(s *promstore.Series, v float64) {
		if s != nil {
			batch = append(batch, sample{s, t.now, v})
		}
	}
	// A scripted run has no controller: nothing reads the metrics.
	promUp := !t.store.Down() && t.script == nil
	// Bring every engine to now first: a draining replica may finish and stop
	// (leaving the lists) while it advances.
	for i := 0; i < len(t.serving); {
		r := t.serving[i]
		t.advance(r, t.now)
		if i < len(t.serving) && t.serving[i] == r {
			i++
		}
	}
	for _, v := range t.variants {
		var p record.TimelinePoint
		p.Time, p.Variant, p.Desired = t.now, v.name, v.desired
		p.Ready, p.Starting, p.Draining = v.counts()
		kvN := 0
		for _, r := range v.alive {
			if r.eng == nil {
				continue
			}
			st := r.eng.Stats()
			if r.state == record.ReplicaReady && !r.unresponsive {
				p.KVMean += st.KVCacheUsage
				p.KVMax = max(p.KVMax, st.KVCacheUsage)
				p.Running += st.Running
				p.Waiting += st.Waiting
				kvN++
			}
			t.rec.Samples = append(t.rec.Samples, record.MetricSample{
				Time: t.now, Variant: v.name, Replica: r.name, KVUsage: st.KVCacheUsage, Running: st.Running, Waiting: st.Waiting,
			})
			if r.unresponsive {
				if !r.staleMarked {
					r.staleMarked = true
					t.metrics.retire(r)
				}
				continue
			}
			if !promUp {
				continue
			}
			r.staleMarked = false
			rs := r.series
			add(rs.running, float64(st.Running))
			add(rs.waiting, float64(st.Waiting))
			add(rs.kv, st.KVCacheUsage)
			add(rs.cacheInfo, 1)
			add(rs.preempt, float64(st.Preemptions))
			add(rs.promptTotal, float64(st.PromptTokens))
			add(rs.genTotal, float64(st.GenerationTokens))
			add(rs.promptSum, r.promptSum)
			add(rs.promptCount, r.promptCount)
			add(rs.genSum, r.genSum)
			add(rs.genCount, r.promptCount)
			add(rs.itlSum, r.itlSum)
			add(rs.itlCount, r.itlCount)
			add(rs.prefillSum, r.prefillSum)
			add(rs.prefillCount, r.promptCount)
			for i, s := range rs.success {
				var n int64
				switch vllmmetrics.FinishedReasons[min(i, len(vllmmetrics.FinishedReasons)-1)] {
				case "stop":
					n = st.Finished.Stop
				case "length":
					n = st.Finished.Length
				case "abort":
					n = st.Finished.Abort
				}
				add(s, float64(n))
			}
		}
		if kvN > 0 {
			p.KVMean /= float64(kvN)
		}
		if iv := t.spec.Prometheus.ScrapeInterval; iv > 0 {
			p.ArrivalRate = float64(v.routed) / iv.Seconds()
		}
		v.routed = 0
		t.rec.Timeline = append(t.rec.Timeline, p)
	}
	if promUp {
		// Series of replicas that went away or stopped answering get staleness
		// markers, as Prometheus writes when a target disappears or fails.
		for _, r := range t.metrics.retired {
			for _, s := range r.series.all {
				add(s, staleNaN)
			}
		}
		t.metrics.retired = t.metrics.retired[:0]
		if t.metrics.eppQueue == nil {
			// The endpoint picker's series, labelled as llm-d's are.
			epp := func(name string) *promstore.Series {
				return promstore.NewSeries(labels.FromStrings(
					model.MetricNameLabel, name, "namespace", t.namespace, "model_name", t.spec.Model.Name,
					"target_model_name", t.spec.Model.Name, "job", "epp", "instance", "epp:9090", "pod", "epp-0"))
			}
			t.metrics.eppQueue, t.metrics.eppRequests = epp(famEPPQueue), epp(famEPPRequests)
		}
		add(t.metrics.eppQueue, float64(len(t.queue)))
		add(t.metrics.eppRequests, float64(len(t.rec.Requests)))
	}
	if t.script != nil {
		return
	}
	t.deliver(batch)
	// Keep the head small, as Prometheus' compaction does: the controller
	// looks back minutes, not hours.
	if t.now-t.lastTruncate >= truncateEvery && t.now > truncateKeep {
		t.lastTruncate = t.now
		_ = t.store.Truncate(at(t.now - truncateKeep))
	}
}

// TSDB head truncation.
const (
	truncateEvery = 30 * time.Minute
	truncateKeep  = time.Hour
)

// deliver appends a scrape's samples now or, under a scrape-delay fault,
// later; batches are ingested in order so every series stays in time order.
func (t *twin) deliver(batch []sample) {
	delay := t.faults.scrapeDelay(t.now)
	if delay == 0 && len(t.faults.pendingIngest) == 0 {
		t.appendBatch(batch)
		t.batchBuf = batch[:0] // reused by the next scrape
		return
	}
	t.batchBuf = nil // the queued batch owns its memory
	t.faults.pendingIngest = append(t.faults.pendingIngest, ingestBatch{at: t.now + delay, samples: batch})
	t.timers.push(t.now+delay, timerIngest, 0, 0)
}

func (t *twin) ingest() {
	q := t.faults.pendingIngest
	n := 0
	for n < len(q) && q[n].at <= t.now {
		if !t.store.Down() {
			t.appendBatch(q[n].samples)
		}
		n++
	}
	t.faults.pendingIngest = q[n:]
}

func (t *twin) appendBatch(batch []sample) {
	for _, s := range batch {
		// Out-of-order or duplicate samples are what a real TSDB drops too.
		_ = t.store.Append(s.s, at(s.t), s.v)
	}
	_ = t.store.Commit()
}
