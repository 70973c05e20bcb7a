package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/saturn-autoscaler/saturn/controller/actuation"
	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/metrics"
	"github.com/saturn-autoscaler/saturn/controller/metricsapi"
	"github.com/saturn-autoscaler/saturn/controller/planner"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
	"github.com/saturn-autoscaler/saturn/controller/reconciler"
)

// NewScheme returns the scheme with the built-in kinds and llmd.ai/v1alpha1.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("building the scheme: %w", err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("building the scheme: %w", err)
	}
	return s, nil
}

// metricsServer returns the options of the /metrics endpoint: plain HTTP, or with
// --metrics-secure HTTPS (the certificate in --metrics-cert-dir, else self-signed) that
// answers only bearer tokens the API server authenticates and authorizes for GET /metrics.
func (o *RunOptions) metricsServer() metricsserver.Options {
	m := metricsserver.Options{BindAddress: o.MetricsBindAddress}
	if !o.MetricsSecure {
		return m
	}
	m.SecureServing = true
	m.FilterProvider = filters.WithAuthenticationAndAuthorization
	if o.MetricsCertDir != "" {
		m.CertDir, m.CertName, m.KeyName = o.MetricsCertDir, "tls.crt", "tls.key"
	}
	return m
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("loading --kubeconfig %q: %w", kubeconfig, err)
		}
		return cfg, nil
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("finding the cluster (pass --kubeconfig, set KUBECONFIG, or run in a pod): %w", err)
	}
	return cfg, nil
}

func runController(ctx context.Context, o *RunOptions, stderr io.Writer) error {
	log := newLogger(stderr, o.Verbosity)
	ctrl.SetLogger(log)
	klog.SetLogger(log.WithName("client-go"))

	cfg, err := restConfig(o.Kubeconfig)
	if err != nil {
		return err
	}
	scheme, err := NewScheme()
	if err != nil {
		return err
	}
	prom, err := promclient.New(o.Prometheus.Config)
	if err != nil {
		return err
	}
	mode, err := actuation.ParseMode(o.Actuation)
	if err != nil {
		return err
	}

	cacheOpts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			// Only the two ConfigMaps' namespace: no cluster-wide ConfigMap watch.
			&corev1.ConfigMap{}: {Namespaces: map[string]cache.Config{o.ConfigNamespace: {}}},
			// Pods: keep only what readiness needs, not their specs.
			&corev1.Pod{}: {Transform: slimPod},
		},
	}
	if o.WatchNamespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{o.WatchNamespace: {}}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   cacheOpts,
		Metrics:                 o.metricsServer(),
		HealthProbeBindAddress:  o.HealthProbeBindAddress,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        o.leaderElectionID(),
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// Hand the Lease back on shutdown: the next leader (a rolling update's new pod, a
		// standby) takes over at its next retry instead of after the lease expires, so a
		// restart pauses autoscaling for seconds. Safe: the process exits once Start
		// returns (cmd/saturn-controller).
		LeaderElectionReleaseOnCancel: true,
		Logger:                        log,
	})
	if err != nil {
		return fmt.Errorf("creating the controller manager: %w", err)
	}
	m, err := metrics.NewFor(crmetrics.Registry, o.ControllerInstance)
	if err != nil {
		return err
	}
	act, err := actuation.New(mode, mgr.GetClient())
	if err != nil {
		return err
	}
	c, err := reconciler.New(reconciler.Deps{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("saturn-controller"),
		Clock:    clock.RealClock{},
		Querier:  prom,
		Planner:  planner.NewPlanner(planner.Options{}),
		Actuator: act,
		Metrics:  m,
		Log:      log.WithName("reconciler"),
		// Namespace-local ConfigMaps: read by name, uncached (no cluster-wide watch).
		ConfigReader: mgr.GetAPIReader(),
	}, reconciler.Options{
		Interval:        o.Interval,
		StuckAfter:      o.StuckAfter,
		ConfigNamespace: o.ConfigNamespace,
		ScaleToZero:     o.ScaleToZero,
		// As WVA with CONTROLLER_INSTANCE: only this instance's VAs.
		ControllerInstance:      o.ControllerInstance,
		SaturationConfigMapName: o.SaturationConfigMapName,
	})
	if err != nil {
		return err
	}
	if err := c.Register(mgr); err != nil {
		return err
	}
	if o.MetricsAPI {
		srv, err := metricsapi.NewServer(metricsapi.VAStatus{Reader: mgr.GetCache(), Instance: o.ControllerInstance}, metricsapi.ServerOptions{
			Port: o.MetricsAPIPort, CertDir: o.MetricsAPICertDir, Kubeconfig: o.Kubeconfig,
			CertFile: o.MetricsAPICertFile, KeyFile: o.MetricsAPIKeyFile, ControllerInstance: o.ControllerInstance,
		})
		if err != nil {
			return err
		}
		// Every replica serves (from VA status), leader or not.
		if err := mgr.Add(nonLeader{manager.RunnableFunc(srv.Run)}); err != nil {
			return fmt.Errorf("adding the external metrics API: %w", err)
		}
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("cache", func(r *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(r.Context()) {
			return fmt.Errorf("informer caches not synced")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}
	if strings.HasPrefix(strings.ToLower(o.Prometheus.URL), "http://") {
		log.Info("WARNING: Prometheus is read over plain http: metrics and any bearer token travel unencrypted (--prometheus-allow-http)", "prometheus", o.Prometheus.URL)
	}
	if flavour, err := v1alpha1.CRDFlavour(ctx, mgr.GetAPIReader()); err != nil {
		log.Info("could not tell which VariantAutoscaling CRD is served", "err", err.Error())
	} else {
		log.Info("VariantAutoscaling CRD", "crd", v1alpha1.CRDName, "flavour", flavour)
	}
	log.Info("starting saturn-controller", "actuation", mode, "interval", o.Interval.String(),
		"prometheus", o.Prometheus.URL, "watchNamespace", o.WatchNamespace, "configNamespace", o.ConfigNamespace,
		"leaderElection", o.LeaderElect, "metricsAPI", o.MetricsAPI, "controllerInstance", o.ControllerInstance, "saturationConfigMap", o.SaturationConfigMapName)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the controller manager: %w", err)
	}
	return nil
}

// slimPod drops everything of a cached Pod but its identity, labels and
// readiness, which is all the reconciler reads.
func slimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &corev1.Pod{
		TypeMeta: p.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion,
			// The creation dates a pod that never became ready (stuck after stuckAfter)
			// and a ready pod's start-up (reconciler.PodStartup).
			CreationTimestamp: p.CreationTimestamp,
			Labels:            p.Labels, DeletionTimestamp: p.DeletionTimestamp,
		},
		Status: corev1.PodStatus{
			Phase: p.Status.Phase, Conditions: p.Status.Conditions,
			// What tells a stuck pod from a starting one: containers that cannot start
			// (waiting reasons) and containers running since before readiness was lost.
			InitContainerStatuses: slimStatuses(p.Status.InitContainerStatuses),
			ContainerStatuses:     slimStatuses(p.Status.ContainerStatuses),
		},
	}, nil
}

// slimStatuses keeps a container status's name, readiness, restarts and state (its waiting
// reason, its running start); images, IDs and messages are dropped.
func slimStatuses(in []corev1.ContainerStatus) []corev1.ContainerStatus {
	if len(in) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(in))
	for i, cs := range in {
		out[i] = corev1.ContainerStatus{Name: cs.Name, Ready: cs.Ready, RestartCount: cs.RestartCount, Started: cs.Started}
		if w := cs.State.Waiting; w != nil {
			out[i].State.Waiting = &corev1.ContainerStateWaiting{Reason: w.Reason}
		}
		if r := cs.State.Running; r != nil {
			out[i].State.Running = &corev1.ContainerStateRunning{StartedAt: r.StartedAt}
		}
		if tm := cs.State.Terminated; tm != nil {
			out[i].State.Terminated = &corev1.ContainerStateTerminated{Reason: tm.Reason, ExitCode: tm.ExitCode}
		}
	}
	return out
}

// nonLeader runs a runnable on every replica.
type nonLeader struct{ manager.RunnableFunc }

func (nonLeader) NeedLeaderElection() bool { return false }

// leaderElectionID is --leader-election-id, suffixed with the controller instance when the
// default is kept: each instance elects its own leader (one Lease per instance), or a
// second instance in the namespace would never run.
func (o *RunOptions) leaderElectionID() string {
	if o.ControllerInstance != "" && o.LeaderElectionID == NewRunOptions().LeaderElectionID {
		return o.LeaderElectionID + "-" + o.ControllerInstance
	}
	return o.LeaderElectionID
}
