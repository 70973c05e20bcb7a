package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// No driver imports another: the Kind driver reaches the twin only through the Twin the
// caller gives it, and the twin knows nothing of Kind.
func TestNoDriverImportsAnother(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool on PATH to list package dependencies (go list -deps); go test, make test and .ci/run have it, so it runs there")
	}
	const mod = "github.com/saturn-autoscaler/saturn/harness/"
	drivers := []string{mod + "e2e", mod + "twin"}
	for _, d := range drivers {
		out, err := exec.Command("go", "list", "-deps", d).CombinedOutput()
		require.NoError(t, err, "%s", out)
		deps := strings.Fields(string(out))
		for _, other := range drivers {
			if other != d {
				require.NotContains(t, deps, other, "%s imports %s", d, other)
			}
		}
		require.Contains(t, deps, d, "go list -deps lists the package itself: the check is looking at the right list")
	}
}
