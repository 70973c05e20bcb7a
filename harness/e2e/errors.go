package e2e

import apierrors "k8s.io/apimachinery/pkg/api/errors"

// client404 drops NotFound errors (deleting what is already gone is fine).
func client404(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
