package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// TLSBundle is a CA and a server certificate signed by it, PEM-encoded.
type TLSBundle struct {
	CACert     []byte
	ServerCert []byte
	ServerKey  []byte
}

// NewTLSBundle generates a CA and a server certificate valid from now for validity,
// for the given DNS names and IP addresses. random is the entropy source
// (crypto/rand.Reader outside tests).
func NewTLSBundle(random io.Reader, now time.Time, validity time.Duration, dnsNames []string, ips []net.IP) (*TLSBundle, error) {
	if len(dnsNames) == 0 && len(ips) == 0 {
		return nil, fmt.Errorf("generating server certificate: no DNS name or IP address to certify")
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return nil, fmt.Errorf("generating CA key: %w", err)
	}
	caSerial, err := randSerial(random)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial,
		Subject:               pkix.Name{CommonName: "saturn e2e CA", Organization: []string{"saturn"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(random, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("signing CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parsing CA certificate: %w", err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return nil, fmt.Errorf("generating server key: %w", err)
	}
	srvSerial, err := randSerial(random)
	if err != nil {
		return nil, err
	}
	cn := "prometheus"
	if len(dnsNames) > 0 {
		cn = dnsNames[0]
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: srvSerial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"saturn"}},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
	}
	srvDER, err := x509.CreateCertificate(random, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("signing server certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		return nil, fmt.Errorf("encoding server key: %w", err)
	}
	return &TLSBundle{
		CACert:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		ServerCert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		ServerKey:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func randSerial(random io.Reader) (*big.Int, error) {
	n, err := rand.Int(random, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, fmt.Errorf("drawing certificate serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// PrometheusDNSNames are the names Prometheus is reached by in namespace ns: its
// Service inside the cluster and localhost through the Kind port mapping.
func PrometheusDNSNames(service, ns string) []string {
	return []string{
		fmt.Sprintf("%s.%s.svc", service, ns),
		fmt.Sprintf("%s.%s.svc.cluster.local", service, ns),
		fmt.Sprintf("%s.%s", service, ns),
		service,
		"localhost",
	}
}
