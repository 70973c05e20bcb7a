package metricsapi

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/pflag"
	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"
)

// ServerOptions configure the aggregated API server.
type ServerOptions struct {
	// Port is the HTTPS port the APIService points at.
	Port int
	// CertDir receives a self-signed serving certificate when no files are
	// given (the chart's APIService uses insecureSkipTLSVerify).
	CertDir string
	// CertFile and KeyFile are an optional serving certificate.
	CertFile, KeyFile string
	// Kubeconfig is used for delegated authentication and authorization; empty
	// means in-cluster.
	Kubeconfig string
	// ControllerInstance labels every value controller_instance (Provider.Instance).
	ControllerInstance string
}

// Server is the external metrics API server.
type Server struct {
	adapter *basecmd.AdapterBase
}

// NewServer prepares the server; Run starts it.
func NewServer(store Source, opts ServerOptions) (*Server, error) {
	if opts.Port <= 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("--metrics-api-port %d: want 1..65535", opts.Port)
	}
	fs := pflag.NewFlagSet("metrics-api", pflag.ContinueOnError)
	a := &basecmd.AdapterBase{Name: "saturn-external-metrics", FlagSet: fs}
	a.InstallFlags()
	args := []string{
		"--secure-port=" + strconv.Itoa(opts.Port),
		// API priority and fairness would watch the flowcontrol API (more
		// RBAC) to protect a server answering one HPA query per target.
		"--enable-priority-and-fairness=false",
	}
	if opts.CertDir != "" {
		args = append(args, "--cert-dir="+opts.CertDir)
	}
	if opts.CertFile != "" {
		args = append(args, "--tls-cert-file="+opts.CertFile, "--tls-private-key-file="+opts.KeyFile)
	}
	if opts.Kubeconfig != "" {
		args = append(args,
			"--lister-kubeconfig="+opts.Kubeconfig,
			"--authentication-kubeconfig="+opts.Kubeconfig,
			"--authorization-kubeconfig="+opts.Kubeconfig,
		)
	}
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("configuring the external metrics API server: %w", err)
	}
	a.WithExternalMetrics(&Provider{Store: store, Instance: opts.ControllerInstance})
	return &Server{adapter: a}, nil
}

// Run serves until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	if err := s.adapter.Run(ctx); err != nil {
		return fmt.Errorf("running the external metrics API server: %w", err)
	}
	return nil
}
