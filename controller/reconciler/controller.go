package reconciler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/collector"
	"github.com/saturn-autoscaler/saturn/controller/config"
	"github.com/saturn-autoscaler/saturn/controller/metrics"
	"github.com/saturn-autoscaler/saturn/controller/metricsapi"
	"github.com/saturn-autoscaler/saturn/controller/planner"
)

// DefaultInterval is the period of the decision cycle (--interval).
const DefaultInterval = 30 * time.Second

// DefaultMinGap is the shortest time between two event-triggered cycles.
const DefaultMinGap = 2 * time.Second

// DefaultRetryInterval is the next-cycle delay after metrics were missing.
const DefaultRetryInterval = 10 * time.Second

// DefaultStuckAfter is how long a pod may stay not ready before it counts as stuck rather
// than starting: longer than a large model's weights take to load.
const DefaultStuckAfter = 15 * time.Minute

// targetNameField indexes VariantAutoscalings by spec.scaleTargetRef.name.
const targetNameField = "spec.scaleTargetRef.name"

// cycleKey is the single work item every trigger maps to.
var cycleKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "saturn-cycle"}}

// EventRecorder is the events.k8s.io recorder (tools/events.EventRecorder).
type EventRecorder interface {
	Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

// Options tune the controller.
type Options struct {
	// Interval between periodic cycles (DefaultInterval when zero).
	Interval time.Duration
	// MinGap between triggered cycles (DefaultMinGap when zero).
	MinGap time.Duration
	// RetryInterval replaces Interval after a cycle that held a variant for
	// missing metrics, when shorter (DefaultRetryInterval when zero).
	RetryInterval time.Duration
	// ConfigNamespace holds the two WVA ConfigMaps.
	ConfigNamespace string
	// ScaleToZero is the global scale-to-zero default (chart wva.scaleToZero).
	ScaleToZero bool
	// Collector tunes the PromQL queries.
	Collector collector.Options
	// StuckAfter: a not-ready pod of a scale target whose readiness has not changed for
	// this long (or that cannot start: crash loop, image pull or config errors, failed)
	// is stuck, not starting; the analyzers do not count it as supply (DefaultStuckAfter
	// when zero).
	StuckAfter time.Duration
	// SaturationConfigMapName names the saturation ConfigMap, in ConfigNamespace and in
	// the VAs' namespaces (WVA's SATURATION_CONFIG_MAP_NAME; config.SaturationConfigMapName
	// when empty).
	SaturationConfigMapName string
	// ControllerInstance, when set, limits the controller to the VariantAutoscalings
	// labeled v1alpha1.ControllerInstanceLabel with this value (WVA's CONTROLLER_INSTANCE:
	// several controllers share a cluster, each with its own VAs); empty = every VA.
	ControllerInstance string
}

// Deps are the controller's collaborators.
type Deps struct {
	Client   client.Client
	Recorder EventRecorder
	Clock    clock.Clock
	Querier  collector.Querier
	Planner  *planner.Planner
	Actuator actuation.Actuator
	Metrics  *metrics.Metrics
	// Store receives decisions for the external metrics API; may be nil.
	Store *metricsapi.Store
	Log   logr.Logger
	// ConfigReader reads the namespace-local copies of the two ConfigMaps by name, uncached
	// (the controller caches and watches ConfigMaps of its own namespace only; RBAC grants
	// get on those two names elsewhere). nil: Client.
	ConfigReader client.Reader
}

// Controller reconciles every VariantAutoscaling in one cycle.
type Controller struct {
	Deps
	opts Options

	mu        sync.Mutex
	lastCycle time.Time
	known     map[types.NamespacedName]struct{}
	lastCfg   config.Config
	// lastNotices are the ConfigMap notices last reported, by ConfigMap name: each is
	// an Event once, not once per cycle.
	lastNotices map[string]string
	// pods is reset at the start of each cycle; cycles never overlap.
	pods podCache
}

// New returns a Controller; it validates its dependencies.
func New(d Deps, opts Options) (*Controller, error) {
	switch {
	case d.Client == nil:
		return nil, fmt.Errorf("reconciler: Client is required")
	case d.Querier == nil:
		return nil, fmt.Errorf("reconciler: Querier is required")
	case d.Metrics == nil:
		return nil, fmt.Errorf("reconciler: Metrics is required")
	}
	if d.Clock == nil {
		d.Clock = clock.RealClock{}
	}
	if d.Planner == nil {
		d.Planner = planner.NewPlanner(planner.Options{})
	}
	if d.Actuator == nil {
		d.Actuator = actuation.MetricsOnly{}
	}
	if d.Recorder == nil {
		d.Recorder = nopRecorder{}
	}
	if d.Log.GetSink() == nil {
		d.Log = logr.Discard()
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.MinGap <= 0 {
		opts.MinGap = DefaultMinGap
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = DefaultRetryInterval
	}
	if opts.StuckAfter <= 0 {
		opts.StuckAfter = DefaultStuckAfter
	}
	if opts.Collector.ActivityWindow <= 0 {
		opts.Collector.ActivityWindow = collector.ActivityWindowFor(opts.Interval)
	}
	if err := opts.Collector.WithDefaults().Validate(); err != nil {
		return nil, fmt.Errorf("reconciler: collector options: %w", err)
	}
	return &Controller{Deps: d, opts: opts, known: map[types.NamespacedName]struct{}{}, lastCfg: config.Default()}, nil
}

// Register adds the controller to mgr: watches on VariantAutoscalings, their
// target Deployments and the two ConfigMaps, all mapped to the one cycle item.
func (c *Controller) Register(mgr ctrl.Manager) error {
	toCycle := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{cycleKey}
	})
	vaChanged := predicate.And(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}),
		predicate.NewPredicateFuncs(func(o client.Object) bool { return c.owns(o) }))
	isConfigMap := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetNamespace() == c.opts.ConfigNamespace &&
			(o.GetName() == c.saturationName() || o.GetName() == config.ScaleToZeroConfigMapName)
	})
	// A Deployment matters only when a VA targets it (field index lookup);
	// its replica counts live in status, so status changes count too.
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.VariantAutoscaling{}, targetNameField, func(o client.Object) []string {
		return []string{o.(*v1alpha1.VariantAutoscaling).Spec.ScaleTargetRef.Name}
	}); err != nil {
		return fmt.Errorf("indexing VariantAutoscalings by target: %w", err)
	}
	targeted := predicate.NewPredicateFuncs(func(o client.Object) bool {
		var vas v1alpha1.VariantAutoscalingList
		err := mgr.GetCache().List(context.Background(), &vas, client.InNamespace(o.GetNamespace()), client.MatchingFields{targetNameField: o.GetName()})
		return err == nil && len(vas.Items) > 0
	})
	kick := make(chan event.GenericEvent, 1)
	kick <- event.GenericEvent{Object: &v1alpha1.VariantAutoscaling{}}
	err := ctrl.NewControllerManagedBy(mgr).
		Named("variantautoscaling").
		Watches(&v1alpha1.VariantAutoscaling{}, toCycle, builder.WithPredicates(vaChanged)).
		Watches(&appsv1.Deployment{}, toCycle, builder.WithPredicates(targeted)).
		Watches(&corev1.ConfigMap{}, toCycle, builder.WithPredicates(isConfigMap)).
		// The first cycle runs at start even with no VA, so the periodic tick starts.
		WatchesRawSource(source.Channel(kick, toCycle)).
		WithOptions(controller.Options{MaxConcurrentReconciles: 1, SkipNameValidation: ptr.To(true)}).
		Complete(c)
	if err != nil {
		return fmt.Errorf("registering the variantautoscaling controller: %w", err)
	}
	return nil
}

// Reconcile runs one cycle (or defers it when the previous one was less than
// MinGap ago) and schedules the next periodic one.
func (c *Controller) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	c.mu.Lock()
	since := c.Clock.Since(c.lastCycle)
	c.mu.Unlock()
	if !c.lastCycleZero() && since < c.opts.MinGap {
		return reconcile.Result{RequeueAfter: c.opts.MinGap - since}, nil
	}
	res, err := c.RunCycle(ctx)
	if err != nil {
		c.Log.Error(err, "cycle failed")
	}
	// A held variant (metrics missing) is retried sooner than the interval:
	// pod metrics are not watched, so only a cycle notices they came back.
	next := c.opts.Interval
	for _, d := range res.Decisions {
		if !d.MetricsAvailable {
			next = min(next, c.opts.RetryInterval)
			break
		}
	}
	return reconcile.Result{RequeueAfter: next}, nil
}

func (c *Controller) lastCycleZero() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastCycle.IsZero()
}

type nopRecorder struct{}

func (nopRecorder) Eventf(runtime.Object, runtime.Object, string, string, string, string, ...any) {}

// owns tells whether the VariantAutoscaling o is this controller's: every VA without a
// controller instance, else those labeled with it.
func (c *Controller) owns(o client.Object) bool {
	return c.opts.ControllerInstance == "" || o.GetLabels()[v1alpha1.ControllerInstanceLabel] == c.opts.ControllerInstance
}

// vaListOptions selects this controller's VariantAutoscalings.
func (c *Controller) vaListOptions() []client.ListOption {
	if c.opts.ControllerInstance == "" {
		return nil
	}
	return []client.ListOption{client.MatchingLabels{v1alpha1.ControllerInstanceLabel: c.opts.ControllerInstance}}
}

// saturationName is the saturation ConfigMap's name.
func (c *Controller) saturationName() string {
	if c.opts.SaturationConfigMapName != "" {
		return c.opts.SaturationConfigMapName
	}
	return config.SaturationConfigMapName
}
