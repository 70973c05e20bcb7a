package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/explain"
	"github.com/saturn-autoscaler/saturn/controller/promclient"
)

// ExplainOptions are the flags of `saturn-controller explain`.
type ExplainOptions struct {
	Prometheus              PrometheusOptions
	Kubeconfig              string
	NoCluster               bool
	Namespace               string
	Model                   string
	ConfigNamespace         string
	SaturationConfigMapName string
	ScaleToZero             bool
}

// AddFlags registers the explain flags.
func (o *ExplainOptions) AddFlags(fs *pflag.FlagSet) {
	o.Prometheus.AddFlags(fs)
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig file (default: $KUBECONFIG or in-cluster)")
	fs.BoolVar(&o.NoCluster, "no-cluster", o.NoCluster, "do not read the cluster: metrics and default thresholds only")
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "namespace of the model's pods and VariantAutoscalings")
	fs.StringVar(&o.Model, "model", o.Model, "model ID, as in spec.modelID and the model_name metric label")
	fs.StringVar(&o.ConfigNamespace, "config-namespace", "", "namespace of the WVA ConfigMaps (default: the one namespace holding wva-saturation-scaling-config, where the chart installed the controller; else saturn-system)")
	fs.StringVar(&o.SaturationConfigMapName, "saturation-config-map-name", NewRunOptions().SaturationConfigMapName, "the controller's --saturation-config-map-name (default $SATURATION_CONFIG_MAP_NAME, else wva-saturation-scaling-config)")
	fs.BoolVar(&o.ScaleToZero, "scale-to-zero", o.ScaleToZero, "the controller's --scale-to-zero")
}

// Validate checks the flags.
func (o *ExplainOptions) Validate() error {
	if o.Namespace == "" || o.Model == "" {
		return fmt.Errorf("--namespace and --model are required, e.g. explain --namespace llm-d --model Qwen/Qwen3-0.6B")
	}
	return o.Prometheus.Validate()
}

func newExplain(stdout, _ io.Writer) *cobra.Command {
	o := &ExplainOptions{}
	cmd := &cobra.Command{
		Use:   "explain --namespace N --model M",
		Short: "Print each pod's KV usage and queue, the thresholds in force, the decision and why",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			prom, err := promclient.New(o.Prometheus.Config)
			if err != nil {
				return err
			}
			var reader client.Reader
			if !o.NoCluster {
				cfg, err := restConfig(o.Kubeconfig)
				if err != nil {
					return fmt.Errorf("%w (or pass --no-cluster)", err)
				}
				scheme, err := NewScheme()
				if err != nil {
					return err
				}
				c, err := client.New(cfg, client.Options{Scheme: scheme})
				if err != nil {
					return fmt.Errorf("connecting to the cluster: %w", err)
				}
				reader = c
				if o.ConfigNamespace == "" {
					o.ConfigNamespace = findConfigNamespace(cmd.Context(), c, o.SaturationConfigMapName)
				}
			}
			if o.ConfigNamespace == "" {
				o.ConfigNamespace = NewRunOptions().ConfigNamespace
			}
			in, err := explain.Gather(cmd.Context(), prom, reader, explain.Request{
				Namespace: o.Namespace, Model: o.Model, ConfigNamespace: o.ConfigNamespace, SaturationConfigMapName: o.SaturationConfigMapName,
				ScaleToZero: o.ScaleToZero, Now: time.Now(),
			})
			if err != nil {
				return err
			}
			return explain.Write(stdout, in)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

// findConfigNamespace returns the namespace of the one saturation ConfigMap (named name) in the cluster
// (the chart puts it in the controller's release namespace, wherever that is), or "" when
// there is none, more than one, or the ConfigMaps cannot be listed.
func findConfigNamespace(ctx context.Context, r client.Reader, name string) string {
	var list corev1.ConfigMapList
	if err := r.List(ctx, &list, client.MatchingFields{"metadata.name": name}); err != nil || len(list.Items) != 1 {
		return ""
	}
	return list.Items[0].Namespace
}
