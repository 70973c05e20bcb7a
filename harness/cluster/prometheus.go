package cluster

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CAConfigMap is the name of the ConfigMap holding Prometheus' CA certificate under
// CAConfigMapKey, written into every namespace that needs to verify Prometheus.
const (
	CAConfigMap    = "prometheus-ca"
	CAConfigMapKey = "ca.crt"
)

// PrometheusOptions say how the harness deploys Prometheus.
type PrometheusOptions struct {
	// Namespace and Name of the Prometheus Deployment, Service and ServiceAccount.
	Namespace, Name string
	// Image of Prometheus (saturn.local/prometheus:dev, FROM scratch, non-root).
	Image string
	// ScrapeInterval of every target; also the evaluation interval.
	ScrapeInterval time.Duration
	// Port Prometheus serves HTTPS on; NodePort exposes it on the node (0: ClusterIP only).
	Port, NodePort int32
	// TargetNamespaces restricts discovery (empty: every namespace).
	TargetNamespaces []string
}

// DefaultPrometheusOptions are the e2e defaults (NodePort 30090 is mapped to
// 127.0.0.1:39090 by kind/cluster.yaml).
func DefaultPrometheusOptions() PrometheusOptions {
	return PrometheusOptions{
		Namespace: "monitoring", Name: "prometheus", Image: "saturn.local/prometheus:dev",
		ScrapeInterval: 5 * time.Second, Port: 9090, NodePort: 30090,
	}
}

// URL is the in-cluster HTTPS URL of Prometheus.
func (o PrometheusOptions) URL() string {
	return fmt.Sprintf("https://%s.%s.svc:%d", o.Name, o.Namespace, o.Port)
}

// ScrapeConfig returns prometheus.yml: one job discovering pods with Kubernetes service
// discovery, keeping those annotated prometheus.io/scrape=true or labelled
// app.kubernetes.io/name=saturn-sim (or vllm), and labelling every series with the
// pod's namespace and name as the controller's queries expect.
func (o PrometheusOptions) ScrapeConfig() string {
	var b strings.Builder
	iv := o.ScrapeInterval.String()
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", iv, min(o.ScrapeInterval, 10*time.Second), iv)
	b.WriteString("scrape_configs:\n  - job_name: saturn-pods\n    kubernetes_sd_configs:\n      - role: pod\n")
	if len(o.TargetNamespaces) > 0 {
		b.WriteString("        namespaces:\n          names:\n")
		for _, ns := range o.TargetNamespaces {
			fmt.Fprintf(&b, "            - %q\n", ns)
		}
	}
	b.WriteString(`    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape, __meta_kubernetes_pod_label_app_kubernetes_io_name]
        regex: "true;.*|[^;]*;(saturn-sim|vllm)"
        action: keep
      - source_labels: [__meta_kubernetes_pod_phase]
        regex: Pending|Succeeded|Failed
        action: drop
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        regex: (.+)
        target_label: __metrics_path__
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        regex: '([^:]+)(?::\d+)?;(\d+)'
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_namespace]
        target_label: namespace
      - source_labels: [__meta_kubernetes_pod_name]
        target_label: pod
      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_instance]
        target_label: instance_name
`)
	return b.String()
}

// WebConfig returns the --web.config.file content: HTTPS only, with the mounted certificate.
func WebConfig() string {
	return "tls_server_config:\n  cert_file: /etc/prometheus/tls/tls.crt\n  key_file: /etc/prometheus/tls/tls.key\n  min_version: TLS12\n"
}

// PrometheusObjects returns everything Prometheus needs, in apply order.
func PrometheusObjects(o PrometheusOptions, tls *TLSBundle) []client.Object {
	labels := map[string]string{"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/part-of": "saturn-e2e"}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: o.Namespace, Labels: labels}
	}
	ns := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Namespace},
	}
	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta(o.Name)}
	role := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: "saturn-" + o.Name, Labels: labels},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"pods", "services", "endpoints"},
			Verbs: []string{"get", "list", "watch"},
		}, {
			APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"},
			Verbs: []string{"get", "list", "watch"},
		}},
	}
	binding := &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: "saturn-" + o.Name, Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: o.Namespace}},
	}
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: meta(o.Name + "-tls"),
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": tls.ServerCert, "tls.key": tls.ServerKey, "ca.crt": tls.CACert},
	}
	config := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta(o.Name + "-config"),
		Data:       map[string]string{"prometheus.yml": o.ScrapeConfig(), "web-config.yml": WebConfig()},
	}
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(o.Name),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{
					// Rolls the pod when the certificate or the configuration changes.
					"saturn.dev/config-hash": hashStrings(string(tls.ServerCert), o.ScrapeConfig(), WebConfig()),
				}},
				Spec: prometheusPodSpec(o, sa.Name, secret.Name, config.Name),
			},
		},
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(o.Name),
		Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports: []corev1.ServicePort{{
				Name: "https", Port: o.Port, TargetPort: intstr.FromString("https"), NodePort: o.NodePort,
			}},
		},
	}
	if o.NodePort != 0 {
		svc.Spec.Type = corev1.ServiceTypeNodePort
	}
	return []client.Object{ns, sa, role, binding, secret, config, dep, svc}
}

func prometheusPodSpec(o PrometheusOptions, sa, secret, config string) corev1.PodSpec {
	pod := RestrictedPod()
	pod.FSGroup = ptr.To[int64](NonRootUser)
	return corev1.PodSpec{
		ServiceAccountName: sa,
		SecurityContext:    pod,
		Containers: []corev1.Container{{
			Name:            "prometheus",
			Image:           o.Image,
			ImagePullPolicy: corev1.PullNever,
			Args: []string{
				"--config.file=/etc/prometheus/config/prometheus.yml",
				"--web.config.file=/etc/prometheus/config/web-config.yml",
				"--storage.tsdb.path=/data",
				"--storage.tsdb.retention.time=6h",
				fmt.Sprintf("--web.listen-address=0.0.0.0:%d", o.Port),
			},
			Ports: []corev1.ContainerPort{{Name: "https", ContainerPort: o.Port}},
			ReadinessProbe: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: "/-/ready", Port: intstr.FromString("https"), Scheme: corev1.URISchemeHTTPS,
				}},
				PeriodSeconds: 2, FailureThreshold: 3,
			},
			Resources:       Requests("50m", "128Mi"),
			SecurityContext: RestrictedContainer(),
			VolumeMounts: []corev1.VolumeMount{
				{Name: "config", MountPath: "/etc/prometheus/config", ReadOnly: true},
				{Name: "tls", MountPath: "/etc/prometheus/tls", ReadOnly: true},
				{Name: "data", MountPath: "/data"},
			},
		}},
		Volumes: []corev1.Volume{
			{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: config}}}},
			{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}},
			{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
	}
}

// CAConfigMapObject is the prometheus-ca ConfigMap for namespace ns.
func CAConfigMapObject(ns string, caPEM []byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: CAConfigMap, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/part-of": "saturn-e2e"}},
		Data:       map[string]string{CAConfigMapKey: string(caPEM)},
	}
}

// NamespaceObject is a namespace to apply.
func NamespaceObject(name string) *corev1.Namespace {
	return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
}
