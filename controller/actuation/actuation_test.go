package actuation

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/saturn-autoscaler/saturn/controller/api/v1alpha1"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"metrics", ModeMetrics, false},
		{"direct", ModeDirect, false},
		{"Direct", ModeDirect, false},
		{"hpa", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if tt.wantErr {
			require.Error(t, err, tt.in)
			assert.Contains(t, err.Error(), "--actuation")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
}

func TestTargetGVK(t *testing.T) {
	tests := []struct {
		ref  v1alpha1.CrossVersionObjectReference
		want schema.GroupVersionKind
	}{
		{v1alpha1.CrossVersionObjectReference{Kind: "Deployment", Name: "x"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}},
		{v1alpha1.CrossVersionObjectReference{Name: "x"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}},
		{v1alpha1.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "x"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}},
		{v1alpha1.CrossVersionObjectReference{APIVersion: "leaderworkerset.x-k8s.io/v1", Kind: "LeaderWorkerSet", Name: "x"}, schema.GroupVersionKind{Group: "leaderworkerset.x-k8s.io", Version: "v1", Kind: "LeaderWorkerSet"}},
		{v1alpha1.CrossVersionObjectReference{APIVersion: "a/b/c", Kind: "Deployment", Name: "x"}, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, TargetGVK(tt.ref), "%+v", tt.ref)
	}
}

func TestNewAndMetricsOnly(t *testing.T) {
	a, err := New(ModeMetrics, nil)
	require.NoError(t, err)
	applied, err := a.Actuate(context.Background(), "ns", v1alpha1.CrossVersionObjectReference{Name: "d"}, 3)
	require.NoError(t, err)
	assert.True(t, applied)

	_, err = New("bogus", nil)
	require.Error(t, err)

	d, err := New(ModeDirect, nil)
	require.NoError(t, err)
	_, err = d.Actuate(context.Background(), "ns", v1alpha1.CrossVersionObjectReference{Name: "d"}, -1)
	require.Error(t, err, "negative counts are refused before touching the API")
}
