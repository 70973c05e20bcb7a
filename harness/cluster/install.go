package cluster

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// InstallPrometheus generates a fresh CA and server certificate, applies Prometheus
// (HTTPS only), writes the prometheus-ca ConfigMap into every namespace of caNamespaces
// (creating them), and waits until Prometheus is ready. It returns the TLS bundle so
// callers can verify Prometheus themselves (e.g. through 127.0.0.1 and the NodePort).
func InstallPrometheus(ctx context.Context, c client.Client, o PrometheusOptions, caNamespaces []string, now time.Time, timeout time.Duration) (*TLSBundle, error) {
	bundle, err := NewTLSBundle(rand.Reader, now, 7*24*time.Hour, PrometheusDNSNames(o.Name, o.Namespace), []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("creating Prometheus certificates: %w", err)
	}
	if err := Apply(ctx, c, PrometheusObjects(o, bundle)...); err != nil {
		return nil, fmt.Errorf("deploying Prometheus: %w", err)
	}
	for _, ns := range caNamespaces {
		if err := Apply(ctx, c, NamespaceObject(ns), CAConfigMapObject(ns, bundle.CACert)); err != nil {
			return nil, fmt.Errorf("publishing the Prometheus CA: %w", err)
		}
	}
	if err := WaitDeploymentReady(ctx, c, o.Namespace, o.Name, 1, timeout); err != nil {
		return nil, fmt.Errorf("waiting for Prometheus: %w", err)
	}
	return bundle, nil
}

// WaitDeploymentReady waits until the Deployment's controller observed its latest
// spec and at least want replicas are ready and updated (want 0: all of spec.replicas).
func WaitDeploymentReady(ctx context.Context, c client.Client, ns, name string, want int32, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		var d appsv1.Deployment
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &d); err != nil {
			last = err.Error()
			return false, nil //nolint:nilerr // polling: a failed read is retried until the timeout
		}
		target := want
		if target == 0 && d.Spec.Replicas != nil {
			target = *d.Spec.Replicas
		}
		last = fmt.Sprintf("observedGeneration %d/%d, ready %d/%d, updated %d", d.Status.ObservedGeneration, d.Generation,
			d.Status.ReadyReplicas, target, d.Status.UpdatedReplicas)
		return d.Status.ObservedGeneration >= d.Generation && d.Status.ReadyReplicas >= target && d.Status.UpdatedReplicas >= target, nil
	})
	if err != nil {
		return fmt.Errorf("deployment %s/%s not ready within %s (%s): %w", ns, name, timeout, last, err)
	}
	return nil
}

// ScaleDeployment sets spec.replicas through the scale subresource.
func ScaleDeployment(ctx context.Context, c client.Client, ns, name string, replicas int32) error {
	var d appsv1.Deployment
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &d); err != nil {
		return fmt.Errorf("getting deployment %s/%s: %w", ns, name, err)
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = &replicas
	if err := c.Patch(ctx, &d, patch); err != nil {
		return fmt.Errorf("scaling deployment %s/%s to %d: %w", ns, name, replicas, err)
	}
	return nil
}
