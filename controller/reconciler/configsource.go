package reconciler

import (
	"context"
	"errors"
	"fmt"

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

	sat, found, err := c.configMapData(ctx, config.SaturationConfigMapName)
	switch {
	case err != nil:
		errs = append(errs, err)
		cfg.Saturation = prev.Saturation
	case found:
		s, perr := config.ParseSaturation(sat)
		cfg.Saturation = s
		if perr != nil {
			errs = append(errs, perr)
		}
	}
	s2z, found, err := c.configMapData(ctx, config.ScaleToZeroConfigMapName)
	switch {
	case err != nil:
		errs = append(errs, err)
		if prev.ScaleToZero.Default.EnableScaleToZero != nil {
			cfg.ScaleToZero = prev.ScaleToZero
		}
	case found:
		s, perr := config.ParseScaleToZero(s2z, c.opts.ScaleToZero)
		cfg.ScaleToZero = s
		if perr != nil {
			errs = append(errs, perr)
		}
	}
	c.mu.Lock()
	c.lastCfg = cfg
	c.mu.Unlock()
	return cfg, errors.Join(errs...)
}

func (c *Controller) configMapData(ctx context.Context, name string) (map[string]string, bool, error) {
	if c.opts.ConfigNamespace == "" {
		return nil, false, nil
	}
	var cm corev1.ConfigMap
	err := c.Client.Get(ctx, client.ObjectKey{Namespace: c.opts.ConfigNamespace, Name: name}, &cm)
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading ConfigMap %s/%s: %w", c.opts.ConfigNamespace, name, err)
	}
	return cm.Data, true, nil
}
