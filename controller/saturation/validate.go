package saturation

import (
	"fmt"
	"math"
)

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// validateInput reports the first input an analyzer cannot reason about.
func validateInput(in ModelInput) error {
	t := in.Thresholds
	if !finite(t.KvCacheThreshold) || t.KvCacheThreshold <= 0 || t.KvCacheThreshold > 1 {
		return fmt.Errorf("kvCacheThreshold %v is not a fraction in (0, 1]", t.KvCacheThreshold)
	}
	if !finite(t.QueueLengthThreshold) || t.QueueLengthThreshold <= 0 {
		return fmt.Errorf("queueLengthThreshold %v is not positive", t.QueueLengthThreshold)
	}
	if !finite(t.KvSpareTrigger) || t.KvSpareTrigger < 0 || !finite(t.QueueSpareTrigger) || t.QueueSpareTrigger < 0 {
		return fmt.Errorf("spare triggers kv=%v queue=%v are not non-negative numbers", t.KvSpareTrigger, t.QueueSpareTrigger)
	}
	for _, v := range in.Variants {
		if !finite(v.Cost) || v.Cost < 0 {
			return fmt.Errorf("variant %s has cost %v", v.Name, v.Cost)
		}
		if v.Current < 0 || v.Ready < 0 || v.Min < 0 || v.Max < 0 || v.Desired < 0 || v.Stuck < 0 ||
			max(v.Current, v.Ready, v.Min, v.Max, v.Desired, v.Stuck) > MaxTargetReplicas {
			return fmt.Errorf("variant %s has a replica count outside [0, %d] (current=%d ready=%d min=%d max=%d desired=%d)",
				v.Name, MaxTargetReplicas, v.Current, v.Ready, v.Min, v.Max, v.Desired)
		}
		for _, r := range v.Replicas {
			if !finite(r.KVUsage) || r.KVUsage < 0 || !finite(r.Waiting) || r.Waiting < 0 ||
				!finite(r.Running) || r.Running < 0 || !finite(r.KVCapacityTokens) || r.KVCapacityTokens < 0 {
				return fmt.Errorf("pod %s of variant %s has an invalid sample (kv=%v waiting=%v running=%v capacity=%v)",
					r.Pod, v.Name, r.KVUsage, r.Waiting, r.Running, r.KVCapacityTokens)
			}
		}
	}
	return nil
}
