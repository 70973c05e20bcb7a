// Command saturn-calibrate regenerates simulator/profiles/CALIBRATION.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/saturn-autoscaler/saturn/simulator/calibration"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := calibration.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "saturn-calibrate:", err)
		os.Exit(1)
	}
}
