package metricsapi

import (
	"sort"
	"sync"
	"time"
)

// Entry is one variant's latest decision.
type Entry struct {
	Variant     string
	Namespace   string
	Accelerator string
	ModelID     string
	Desired     int32
	Time        time.Time
}

// Labels are the entry's series labels: those of the wva_* gauges, plus exported_namespace
// with the same value as namespace. WVA's chart and its llm-d guide select the metric by
// {variant_name, exported_namespace} (as Prometheus renames a scraped namespace label), so
// an HPA written for WVA matches saturn's entries as it matches WVA's series.
func (e Entry) Labels() map[string]string {
	l := map[string]string{
		"variant_name":       e.Variant,
		"namespace":          e.Namespace,
		"exported_namespace": e.Namespace,
		"accelerator_type":   e.Accelerator,
	}
	if e.ModelID != "" {
		l["model_id"] = e.ModelID
	}
	return l
}

// Store holds the latest decision per variant. Safe for concurrent use.
type Store struct {
	mu sync.RWMutex
	m  map[[2]string]Entry
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{m: map[[2]string]Entry{}} }

// Set records e, replacing the previous entry for its namespace and variant.
func (s *Store) Set(e Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[[2]string{e.Namespace, e.Variant}] = e
}

// Delete forgets a variant.
func (s *Store) Delete(namespace, variant string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, [2]string{namespace, variant})
}

// List returns the entries of namespace (all namespaces when empty), sorted
// by namespace then variant.
func (s *Store) List(namespace string) []Entry {
	s.mu.RLock()
	out := make([]Entry, 0, len(s.m))
	for k, e := range s.m {
		if namespace == "" || k[0] == namespace {
			out = append(out, e)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Variant < out[j].Variant
	})
	return out
}
