package app

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var listenAddr = regexp.MustCompile(`msg=listening address=(\S+)`)

// BenchmarkIdleRSS builds the saturn-sim binary, starts it with its defaults
// (Qwen/Qwen3-0.6B on H100, engine enabled) and reports its resident memory
// once it answers /health, then stops it with SIGTERM. Target: under 30 MB.
// Run with -benchtime=1x; each iteration starts a fresh process.
func BenchmarkIdleRSS(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "saturn-sim")
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.Fatalf("the benchmark builds saturn-sim and needs go on PATH: %v", err)
	}
	build := exec.Command(gobin, "build", "-trimpath", "-o", bin, "../cmd/saturn-sim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building saturn-sim: %v\n%s", err, out)
	}
	b.ResetTimer()
	var total float64
	for i := 0; i < b.N; i++ {
		total += idleRSS(b, bin)
	}
	b.ReportMetric(total/float64(b.N), "MB")
}

func idleRSS(b *testing.B, bin string) float64 {
	cmd := exec.Command(bin, "--host", "127.0.0.1", "--port", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting saturn-sim: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenAddr.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		b.Fatal("saturn-sim did not log its address")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			b.Fatal("saturn-sim never became healthy")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Scrape once, as Prometheus would, then let it settle.
	if resp, err := http.Get(url + "/metrics"); err == nil {
		resp.Body.Close()
	}
	time.Sleep(500 * time.Millisecond)
	rss, err := vmRSS(cmd.Process.Pid)
	if err != nil {
		_ = cmd.Process.Kill()
		b.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("saturn-sim did not exit cleanly on SIGTERM: %v", err)
	}
	return rss
}

// vmRSS reads a process's resident set size in MB (2^20 bytes).
func vmRSS(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading VmRSS: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("parsing VmRSS %q: %w", rest, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
