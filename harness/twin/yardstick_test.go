package twin

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/harness/record"
	"github.com/saturn-autoscaler/saturn/scenarios"
)

// A Kind run's record gets the same floor and plan as the twin's run of the
// same traffic: both drivers are read against one bracket.
func TestYardstickOfAKindRecordIsTheTwins(t *testing.T) {
	sc, err := scenarios.Load("scale-to-zero")
	require.NoError(t, err)
	trec, err := Run(context.Background(), sc, Options{})
	require.NoError(t, err)
	// What a Kind run records of the same traffic: its requests, its meta.
	krec := &record.Record{Meta: trec.Meta, Requests: trec.Requests}
	krec.Meta.Mode = record.ModeKind
	krec.Meta.Start = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	require.NoError(t, Driver{}.Yardstick(context.Background(), sc, krec))
	require.Equal(t, trec.Floor, krec.Floor)
	require.Equal(t, trec.Plan, krec.Plan)
	require.Positive(t, krec.Plan.GPUHours)
}
