package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

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

	sat, err := c.configMap(ctx, config.SaturationConfigMapName)
	switch {
	case err != nil:
		errs = append(errs, err)
		cfg.Saturation = prev.Saturation
	case sat != nil:
		s, perr := config.ParseSaturation(sat.Data)
		cfg.Saturation = s
		if perr != nil {
			errs = append(errs, perr)
		}
		c.report(sat, s.Notices)
	}
	s2z, err := c.configMap(ctx, config.ScaleToZeroConfigMapName)
	switch {
	case err != nil:
		errs = append(errs, err)
		if prev.ScaleToZero.Default.EnableScaleToZero != nil {
			cfg.ScaleToZero = prev.ScaleToZero
		}
	case s2z != nil:
		s, perr := config.ParseScaleToZero(s2z.Data, c.opts.ScaleToZero)
		cfg.ScaleToZero = s
		if perr != nil {
			errs = append(errs, perr)
		}
		c.report(s2z, s.Notices)
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

// report turns a ConfigMap's notices (unknown fields, WVA keys saturn does not act on) into
// Warning Events on the ConfigMap and log lines, once each time they change.
func (c *Controller) report(cm *corev1.ConfigMap, notices []string) {
	joined := strings.Join(notices, "\n")
	c.mu.Lock()
	if c.lastNotices == nil {
		c.lastNotices = map[string]string{}
	}
	changed := c.lastNotices[cm.Name] != joined
	c.lastNotices[cm.Name] = joined
	c.mu.Unlock()
	if !changed {
		return
	}
	for _, n := range notices {
		c.Log.Info("configuration notice", "configMap", cm.Namespace+"/"+cm.Name, "notice", n)
		c.Recorder.Eventf(cm, nil, corev1.EventTypeWarning, "ConfigNotHonoured", "Load", "%s", n)
	}
}
