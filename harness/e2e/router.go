package e2e

import (
	"context"
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/harness/blueprint"
	"github.com/saturn-autoscaler/saturn/harness/cluster"
	"github.com/saturn-autoscaler/saturn/harness/scenario"
)

// RouterNodePort exposes the router on the host: kind/cluster.yaml maps it to
// 127.0.0.1:38080, so while a scenario runs `saturn load --target http://127.0.0.1:38080`
// reaches its model from the host.
const RouterNodePort = 30080

// RouterRules are everything the router may do: read the EndpointSlices of its
// namespace.
var RouterRules = []rbacv1.PolicyRule{{
	APIGroups: []string{discoveryv1.GroupName}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"},
}}

// RouterName is the router's Deployment, Service and ServiceAccount for the
// scenario's model.
func RouterName(sc *scenario.Scenario) string { return ServiceName(sc) + "-gateway" }

// routerArgs are `saturn router` flags for the blueprint's router, every weight given.
func routerArgs(sc *scenario.Scenario, r blueprint.Router, ns string) []string {
	f := func(w float64) string { return strconv.FormatFloat(w, 'g', -1, 64) }
	return []string{
		"router", "--service", ServiceName(sc), "--namespace", ns, "--model", sc.Spec.Model.Name,
		"--listen", ":" + strconv.Itoa(SimulatorPort),
		"--policy", r.Policy,
		"--queue-weight", f(r.Weights.Queue),
		"--kv-cache-weight", f(r.Weights.KVCache),
		"--prefix-weight", f(r.Weights.PrefixCache),
	}
}

// RouterObjects returns the in-cluster router (`saturn router`, llm-d's gateway
// and endpoint picker in miniature) in front of the model's Service, in apply
// order: its ServiceAccount, a Role that may only read EndpointSlices in ns,
// the binding, the Deployment (scraped by Prometheus for the flow-control queue
// gauge) and a NodePort Service.
func RouterObjects(sc *scenario.Scenario, r blueprint.Router, ns, image string) []client.Object {
	name := RouterName(sc)
	labels := map[string]string{"app.kubernetes.io/name": "saturn-router", "app.kubernetes.io/instance": name}
	meta := metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
	return []client.Object{
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta},
		&rbacv1.Role{
			TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}, ObjectMeta: meta,
			Rules: RouterRules,
		},
		&rbacv1.RoleBinding{
			TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}, ObjectMeta: meta,
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}},
		},
		&appsv1.Deployment{
			TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](1),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{
						"prometheus.io/scrape": "true", "prometheus.io/port": strconv.Itoa(SimulatorPort), "prometheus.io/path": "/metrics",
					}},
					Spec: corev1.PodSpec{
						ServiceAccountName:            name,
						TerminationGracePeriodSeconds: ptr.To[int64](10),
						SecurityContext:               cluster.RestrictedPod(),
						Containers: []corev1.Container{{
							Name: "router", Image: image, ImagePullPolicy: corev1.PullNever,
							Args:            routerArgs(sc, r, ns),
							Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: SimulatorPort}},
							ReadinessProbe:  cluster.HTTPReadiness("/health", "http"),
							Resources:       cluster.Requests("50m", "32Mi"),
							SecurityContext: cluster.RestrictedContainer(),
						}},
					},
				},
			},
		},
		&corev1.Service{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: meta,
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeNodePort,
				Selector: labels,
				Ports: []corev1.ServicePort{{
					Name: "http", Port: SimulatorPort, TargetPort: intstr.FromString("http"), NodePort: RouterNodePort,
				}},
			},
		},
	}
}

// RouterURL is the in-cluster base URL of the scenario's router: the load Job's target.
func RouterURL(sc *scenario.Scenario, ns string) string {
	return fmt.Sprintf("http://%s.%s.svc:%d", RouterName(sc), ns, SimulatorPort)
}

// DeployRouter applies the router and waits until it has read the model's endpoints.
func (e *Env) DeployRouter(ctx context.Context, sc *scenario.Scenario, r blueprint.Router) error {
	if err := cluster.Apply(ctx, e.Client, RouterObjects(sc, r, e.Namespace, e.image(LoadImage))...); err != nil {
		return fmt.Errorf("deploying the router: %w", err)
	}
	return cluster.WaitDeploymentReady(ctx, e.Client, e.Namespace, RouterName(sc), 0, 2*time.Minute)
}

// deleteRouter removes what DeployRouter applied.
func (e *Env) deleteRouter(ctx context.Context, sc *scenario.Scenario) error {
	for _, o := range RouterObjects(sc, blueprint.Router{}, e.Namespace, "") {
		if err := e.Client.Delete(ctx, o); client404(err) != nil {
			return fmt.Errorf("deleting router %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
	return nil
}
