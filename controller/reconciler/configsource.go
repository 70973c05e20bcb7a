package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
	"github.com/saturn-autoscaler/saturn/controller/config"
)

// loadConfig reads both WVA ConfigMaps. A missing ConfigMap means defaults;
// an invalid entry is reported and the valid entries still apply (the config
// package keeps them). When a ConfigMap cannot be read at all the previous
// configuration stays in force.
func (c *Controller) loadConfig(ctx context.Context) (config.Config, error) {
	c.mu.Lock()
	prev := c.lastCfg
	c.mu.Unlock()
	cfg := config.Default()
	cfg.ScaleToZero = config.DefaultScaleToZeroSettings(c.opts.ScaleToZero)
	var errs []error

	sat, err := c.configMap(ctx, c.saturationName())
	switch {
	case err != nil:
		errs = append(errs, err)
		cfg.Saturation = prev.Saturation
	case sat != nil:
		notices, perr := cfg.Load("", true, sat.Data, c.opts.ScaleToZero)
		if perr != nil {
			errs = append(errs, perr)
		}
		c.report(sat, notices, perr)
	}
	s2z, err := c.configMap(ctx, config.ScaleToZeroConfigMapName)
	switch {
	case err != nil:
		errs = append(errs, err)
		if prev.ScaleToZero.Default.EnableScaleToZero != nil {
			cfg.ScaleToZero = prev.ScaleToZero
		}
	case s2z != nil:
		notices, perr := cfg.Load("", false, s2z.Data, c.opts.ScaleToZero)
		if perr != nil {
			errs = append(errs, perr)
		}
		c.report(s2z, notices, perr)
	}
	c.mu.Lock()
	c.lastCfg = cfg
	c.mu.Unlock()
	return cfg, errors.Join(errs...)
}

// configMap reads one of the ConfigMaps; nil when it does not exist.
func (c *Controller) configMap(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	if c.opts.ConfigNamespace == "" {
		return nil, nil
	}
	var cm corev1.ConfigMap
	err := c.Client.Get(ctx, client.ObjectKey{Namespace: c.opts.ConfigNamespace, Name: name}, &cm)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ConfigMap %s/%s: %w", c.opts.ConfigNamespace, name, err)
	}
	return &cm, nil
}

// report turns what parsing a ConfigMap found wrong into Warning Events on the ConfigMap
// and log lines, once each time it changes: its invalid entries (perr; the valid ones
// apply) and its notices (unknown fields, WVA keys saturn does not act on).
func (c *Controller) report(cm *corev1.ConfigMap, notices []string, perr error) {
	key := cm.Namespace + "/" + cm.Name
	joined := strings.Join(notices, "\n")
	if perr != nil {
		joined += "\n" + perr.Error()
	}
	c.mu.Lock()
	if c.lastNotices == nil {
		c.lastNotices = map[string]string{}
	}
	changed := c.lastNotices[key] != joined
	c.lastNotices[key] = joined
	c.mu.Unlock()
	if !changed {
		return
	}
	if perr != nil {
		c.Recorder.Eventf(cm, nil, corev1.EventTypeWarning, v1alpha1.ReasonInvalidConfiguration, "Load", "%s", truncateNote(perr.Error()))
	}
	for _, n := range notices {
		c.Log.Info("configuration notice", "configMap", key, "notice", n)
		c.Recorder.Eventf(cm, nil, corev1.EventTypeWarning, "ConfigNotHonoured", "Load", "%s", truncateNote(n))
	}
}

// withNamespaceConfig adds, for each namespace of the cycle's VariantAutoscalings other
// than the controller's own, the copies of the two ConfigMaps found there: as in WVA, a
// namespace-local ConfigMap replaces the global one for that namespace's VAs. A copy that
// cannot be read (forbidden, API error) leaves the global one in force for that namespace
// and is logged; an invalid entry is reported as for the global ConfigMaps.
func (c *Controller) withNamespaceConfig(ctx context.Context, cfg config.Config, variants []*variant) config.Config {
	r := c.ConfigReader
	if r == nil {
		r = c.Client
	}
	done := map[string]bool{c.opts.ConfigNamespace: true}
	for _, v := range variants {
		ns := v.va.Namespace
		if done[ns] {
			continue
		}
		done[ns] = true
		for _, name := range []string{c.saturationName(), config.ScaleToZeroConfigMapName} {
			var cm corev1.ConfigMap
			err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				c.Log.Error(err, "reading a namespace-local ConfigMap; the global one applies there", "configMap", ns+"/"+name)
				continue
			}
			notices, perr := cfg.Load(ns, name == c.saturationName(), cm.Data, c.opts.ScaleToZero)
			if perr != nil {
				c.Log.Error(perr, "namespace-local configuration has errors; its valid entries apply", "configMap", ns+"/"+name)
			}
			c.report(&cm, notices, perr)
		}
	}
	return cfg
}

// truncateNote bounds an Event note (the API server refuses notes over 1 kB).
func truncateNote(s string) string {
	const limit = 1000
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
