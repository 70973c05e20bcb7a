package router

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

// inClusterNamespaceFile holds the pod's namespace inside a cluster.
const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// namespace is --namespace, else POD_NAMESPACE, else the pod's own namespace.
func (o *Options) namespace() (string, error) {
	if o.Namespace != "" {
		return o.Namespace, nil
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns, nil
	}
	b, err := os.ReadFile(inClusterNamespaceFile)
	if err != nil {
		return "", fmt.Errorf("--namespace is not set and the pod's namespace is unknown (%w): set --namespace", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Clientset connects to the cluster of --kubeconfig, or the one the pod runs in.
func (o *Options) Clientset() (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading the Kubernetes client config (--kubeconfig %q): %w", o.Kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating a Kubernetes client: %w", err)
	}
	return cs, nil
}

// Discover watches the EndpointSlices of --service and keeps the router's pod
// set to their ready endpoints until ctx ends. It returns once the first list
// has been applied (or failed).
func (r *Router) Discover(ctx context.Context, cs kubernetes.Interface) error {
	ns, err := r.opts.namespace()
	if err != nil {
		return err
	}
	selector := labels.Set{discoveryv1.LabelServiceName: r.opts.Service}.AsSelector()
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector.String() }))
	informer := factory.Discovery().V1().EndpointSlices()
	resync := func() {
		list, err := informer.Lister().EndpointSlices(ns).List(selector)
		if err != nil {
			r.log.Error("listing endpoint slices", "service", r.opts.Service, "err", err)
			return
		}
		r.SetEndpoints(readyAddresses(list, r.opts.PortName))
	}
	if _, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { resync() },
		UpdateFunc: func(any, any) { resync() },
		DeleteFunc: func(any) { resync() },
	}); err != nil {
		return fmt.Errorf("watching endpoint slices of service %s/%s: %w", ns, r.opts.Service, err)
	}
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("reading endpoint slices (%v) of service %s/%s: %w", typ, ns, r.opts.Service, context.Cause(ctx))
		}
	}
	resync() // the pod set is known, even when empty
	r.log.Info("watching endpoints", "namespace", ns, "service", r.opts.Service)
	return nil
}

// readyAddresses lists host:port of every ready endpoint, the port being the
// one named portName (or the slice's only port).
func readyAddresses(list []*discoveryv1.EndpointSlice, portName string) []string {
	var out []string
	for _, s := range list {
		port := slicePort(s, portName)
		if port == 0 {
			continue
		}
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, a := range ep.Addresses {
				out = append(out, net.JoinHostPort(a, strconv.Itoa(int(port))))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func slicePort(s *discoveryv1.EndpointSlice, name string) int32 {
	for _, p := range s.Ports {
		if p.Port != nil && (len(s.Ports) == 1 || (p.Name != nil && *p.Name == name)) {
			return *p.Port
		}
	}
	return 0
}
