package router

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

func slice(name, svc string, port int32, ready map[string]bool) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: "llm-d", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To("http"), Port: ptr.To(port)},
			{Name: ptr.To("grpc"), Port: ptr.To(int32(9000))},
		},
	}
	for ip, ok := range ready {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ok)}})
	}
	return s
}

func TestReadyAddresses(t *testing.T) {
	got := readyAddresses([]*discoveryv1.EndpointSlice{
		slice("a", "sim", 8000, map[string]bool{"10.0.0.2": true, "10.0.0.1": true, "10.0.0.3": false}),
		slice("b", "sim", 8000, map[string]bool{"10.0.0.2": true, "fd00::1": true}),
	}, "http")
	assert.Equal(t, []string{"10.0.0.1:8000", "10.0.0.2:8000", "[fd00::1]:8000"}, got, "ready only, the named port, deduplicated")

	none := readyAddresses([]*discoveryv1.EndpointSlice{slice("a", "sim", 8000, map[string]bool{"10.0.0.1": true})}, "metrics")
	assert.Empty(t, none, "a slice without the named port (and several ports) gives nothing")
}

func TestDiscoverFollowsEndpointSlices(t *testing.T) {
	cs := fake.NewClientset(
		slice("sim-1", "sim", 8000, map[string]bool{"10.0.0.1": true}),
		slice("other-1", "other", 8000, map[string]bool{"10.9.9.9": true}),
	)
	r, _, _ := testRouter(t, func(o *Options) { o.Namespace = "llm-d" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, r.Discover(ctx, cs))
	assert.True(t, r.Ready())
	assert.Equal(t, []string{"10.0.0.1:8000"}, addrs(r), "only the Service's own slices")

	_, err := cs.DiscoveryV1().EndpointSlices("llm-d").Update(ctx,
		slice("sim-1", "sim", 8000, map[string]bool{"10.0.0.1": false, "10.0.0.4": true}), metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return assert.ObjectsAreEqual([]string{"10.0.0.4:8000"}, addrs(r)) }, 5*time.Second, 10*time.Millisecond)

	require.NoError(t, cs.DiscoveryV1().EndpointSlices("llm-d").Delete(ctx, "sim-1", metav1.DeleteOptions{}))
	require.Eventually(t, func() bool { return len(addrs(r)) == 0 }, 5*time.Second, 10*time.Millisecond)
}

func addrs(r *Router) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ep := range r.order {
		out = append(out, ep.addr)
	}
	return out
}

func TestOptionsValidate(t *testing.T) {
	base := func() Options {
		o := DefaultOptions()
		o.Service, o.Models = "sim", []string{"m"}
		return o
	}
	ok := base()
	require.NoError(t, ok.Validate())
	for name, c := range map[string]struct {
		mutate func(*Options)
		want   string
	}{
		"neither source":  {func(o *Options) { o.Service = "" }, "--service"},
		"both sources":    {func(o *Options) { o.Endpoints = []string{"a:1"} }, "exactly one"},
		"bad endpoint":    {func(o *Options) { o.Service, o.Endpoints = "", []string{"nohost"} }, `--endpoint "nohost"`},
		"no model":        {func(o *Options) { o.Models = nil }, "--model is required"},
		"policy":          {func(o *Options) { o.Policy = "random" }, "--policy"},
		"negative weight": {func(o *Options) { o.PrefixWeight = -1 }, "--prefix-weight"},
		"queue":           {func(o *Options) { o.MaxQueue = 0 }, "--max-queue"},
		"timeout":         {func(o *Options) { o.QueueTimeout = 0 }, "--queue-timeout"},
		"body":            {func(o *Options) { o.MaxRequestBodyBytes = 0 }, "--max-request-body-bytes"},
	} {
		o := base()
		c.mutate(&o)
		err := o.Validate()
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}
