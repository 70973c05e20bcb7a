package explain

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/planner"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
	"github.com/saturn-autoscaler/saturn/controller/saturation"
)

// Request says what to explain.
type Request struct {
	Namespace, Model string
	// ConfigNamespace holds the WVA ConfigMaps.
	ConfigNamespace string
	// SaturationConfigMapName is the saturation ConfigMap's name (the controller's
	// --saturation-config-map-name); empty: config.SaturationConfigMapName.
	SaturationConfigMapName string
	// ScaleToZero is the controller's global --scale-to-zero.
	ScaleToZero bool
	Now         time.Time
}

// Input is everything Write prints.
type Input struct {
	Request
	Snapshot    collector.Snapshot
	CollectErr  error
	ModelConfig config.ModelConfig
	ConfigNote  string
	Variants    []saturation.VariantState
	ClusterNote string
	Decisions   []planner.Decision
	// Controller holds the running controller's last decision per VariantAutoscaling
	// (its status), which a fresh planner cannot reproduce: the controller remembers the
	// stabilization windows' recommendations, the ITL lines it fitted and the start-up
	// times it saw.
	Controller []ControllerDecision
}

// ControllerDecision is a VariantAutoscaling's status.desiredOptimizedAlloc.
type ControllerDecision struct {
	Variant  string
	Replicas int
	Analyzer string
	Reason   string
	At       time.Time
}

// Gather queries Prometheus (q) and, when r is not nil, the cluster.
func Gather(ctx context.Context, q collector.Querier, r client.Reader, req Request) (Input, error) {
	if req.Namespace == "" || req.Model == "" {
		return Input{}, fmt.Errorf("--namespace and --model are required")
	}
	in := Input{Request: req}
	in.Snapshot, in.CollectErr = collector.Collect(ctx, q, req.Now, []collector.Target{{Namespace: req.Namespace, ModelID: req.Model}}, collector.Options{})
	if ctx.Err() != nil {
		return in, ctx.Err()
	}
	cfg := config.Default()
	cfg.ScaleToZero = config.DefaultScaleToZeroSettings(req.ScaleToZero)
	in.ConfigNote = "built-in defaults (no cluster access)"
	satName := req.SaturationConfigMapName
	if satName == "" {
		satName = config.SaturationConfigMapName
	}
	if r != nil {
		var errs []string
		for _, name := range []string{satName, config.ScaleToZeroConfigMapName} {
			var cm corev1.ConfigMap
			err := r.Get(ctx, client.ObjectKey{Namespace: req.ConfigNamespace, Name: name}, &cm)
			switch {
			case apierrors.IsNotFound(err):
				errs = append(errs, fmt.Sprintf("%s/%s not found (defaults)", req.ConfigNamespace, name))
			case err != nil:
				errs = append(errs, fmt.Sprintf("reading %s/%s: %v", req.ConfigNamespace, name, err))
			default:
				if _, perr := cfg.Load("", name == satName, cm.Data, req.ScaleToZero); perr != nil {
					errs = append(errs, perr.Error())
				}
			}
		}
		in.ConfigNote = fmt.Sprintf("ConfigMaps in namespace %s", req.ConfigNamespace)
		for _, e := range errs {
			in.ConfigNote += "; " + e
		}
		// As the controller: a copy in the model's namespace replaces the global one there.
		if req.Namespace != req.ConfigNamespace {
			for _, name := range []string{satName, config.ScaleToZeroConfigMapName} {
				var cm corev1.ConfigMap
				if err := r.Get(ctx, client.ObjectKey{Namespace: req.Namespace, Name: name}, &cm); err != nil {
					continue
				}
				_, perr := cfg.Load(req.Namespace, name == satName, cm.Data, req.ScaleToZero)
				in.ConfigNote += fmt.Sprintf("; %s/%s replaces the global one for this namespace", req.Namespace, name)
				if perr != nil {
					in.ConfigNote += "; " + perr.Error()
				}
			}
		}
		in.Variants, in.Controller, in.ClusterNote = variants(ctx, r, req)
		if flavour, err := v1alpha1.CRDFlavour(ctx, r); err == nil {
			in.ClusterNote += "; VariantAutoscaling CRD: " + flavour
		} else {
			in.ClusterNote += "; " + err.Error()
		}
	} else {
		in.ClusterNote = "no cluster access: pass --kubeconfig (or set KUBECONFIG) to see the VariantAutoscalings and the decision"
	}
	in.ModelConfig = cfg.For(req.Namespace, req.Model)
	if len(in.Variants) > 0 {
		p := planner.NewPlanner(planner.Options{})
		// As a controller seeing the model for the first time: the ITL lines come from the
		// pods' recent history. Its failure leaves the lines unknown, as the reason says.
		_, herr := p.ReadHistory(ctx, q, &in.Snapshot, in.Variants, reconciler.DefaultInterval, collector.Options{})
		in.CollectErr = errors.Join(in.CollectErr, herr)
		in.Decisions = p.Decide(req.Now, in.Snapshot, in.Variants, cfg)
	}
	return in, nil
}

func variants(ctx context.Context, r client.Reader, req Request) ([]saturation.VariantState, []ControllerDecision, string) {
	var list v1alpha1.VariantAutoscalingList
	if err := r.List(ctx, &list, client.InNamespace(req.Namespace)); err != nil {
		return nil, nil, fmt.Sprintf("listing VariantAutoscalings in %s: %v", req.Namespace, err)
	}
	var out []saturation.VariantState
	var decided []ControllerDecision
	var notes []string
	for i := range list.Items {
		va := &list.Items[i]
		if va.Spec.ModelID != req.Model {
			continue
		}
		cost, err := va.Cost()
		if err != nil {
			notes = append(notes, err.Error())
			continue
		}
		st := saturation.VariantState{
			Name: va.Name, Namespace: va.Namespace, ModelID: va.Spec.ModelID, Accelerator: v1alpha1.UnknownAccelerator,
			TargetName: va.Spec.ScaleTargetRef.Name, Cost: cost, Created: va.CreationTimestamp.Time,
		}
		if va.Spec.MinReplicas != nil {
			st.Min = int(*va.Spec.MinReplicas)
		}
		if va.Spec.MaxReplicas != nil {
			st.Max = int(*va.Spec.MaxReplicas)
		}
		if a := va.Status.DesiredOptimizedAlloc; !a.LastRunTime.IsZero() {
			st.Desired = int(a.NumReplicas)
			decided = append(decided, ControllerDecision{Variant: va.Name, Replicas: int(a.NumReplicas), Analyzer: a.Analyzer, Reason: a.Reason, At: a.LastRunTime.Time})
		}
		var d appsv1.Deployment
		if err := r.Get(ctx, client.ObjectKey{Namespace: va.Namespace, Name: va.Spec.ScaleTargetRef.Name}, &d); err != nil {
			notes = append(notes, fmt.Sprintf("VariantAutoscaling %s: target %s: %v", va.Name, va.Spec.ScaleTargetRef.Name, err))
			continue
		}
		st.Current = 1
		if d.Spec.Replicas != nil {
			st.Current = int(*d.Spec.Replicas)
		}
		st.Ready = int(d.Status.ReadyReplicas)
		acc, source := v1alpha1.ResolveAccelerator(va, &d.Spec.Template)
		if acc != "" {
			st.Accelerator = acc
		}
		notes = append(notes, fmt.Sprintf("VariantAutoscaling %s: %s", va.Name, v1alpha1.AcceleratorMessage(acc, source)))
		if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
			var pods corev1.PodList
			if err := r.List(ctx, &pods, client.InNamespace(va.Namespace), client.MatchingLabelsSelector{Selector: sel}); err == nil {
				st.Pods = []string{}
				var startups []time.Duration
				for _, p := range pods.Items {
					if isReady(&p) {
						st.Pods = append(st.Pods, p.Name)
						startups = append(startups, reconciler.PodStartup(&p))
					}
				}
				sort.Strings(st.Pods)
				st.Startup = saturation.MedianStartup(startups) // as the controller
			}
		}
		out = append(out, st)
	}
	note := fmt.Sprintf("%d VariantAutoscaling(s) for this model", len(out))
	for _, n := range notes {
		note += "; " + n
	}
	return out, decided, note
}

func isReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
