package e2e

import (
	"context"
	"fmt"
	"io"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/saturn-autoscaler/saturn/harness/cluster"
	"github.com/saturn-autoscaler/saturn/harness/load"
)

// LoadJob describes one in-cluster replay.
type LoadJob struct {
	// Name of the Job and of the ConfigMap holding the scenario file.
	Name string
	// Scenario is the scenario file's content; Target the base URL replayed against.
	Scenario []byte
	Target   string
	// Drain is passed to `saturn load --drain`.
	Drain time.Duration
	// Image runs `saturn load`.
	Image string
}

// LoadJobObjects returns the ConfigMap and the Job running `saturn load` once.
func LoadJobObjects(j LoadJob, ns string) (*corev1.ConfigMap, *batchv1.Job) {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: j.Name, Namespace: ns},
		Data:       map[string]string{"scenario.yaml": string(j.Scenario)},
	}
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: j.Name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/name": "saturn-load"}},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.kubernetes.io/name": "saturn-load", "job-name": j.Name}},
				Spec: corev1.PodSpec{
					RestartPolicy:   corev1.RestartPolicyNever,
					SecurityContext: cluster.RestrictedPod(),
					Containers: []corev1.Container{{
						Name:            "load",
						Image:           j.Image,
						ImagePullPolicy: corev1.PullNever,
						Args:            []string{"load", "--target", j.Target, "--drain", j.Drain.String(), "/scenario/scenario.yaml"},
						VolumeMounts:    []corev1.VolumeMount{{Name: "scenario", MountPath: "/scenario", ReadOnly: true}},
						SecurityContext: cluster.RestrictedContainer(),
					}},
					Volumes: []corev1.Volume{{Name: "scenario", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: j.Name}},
					}}},
				},
			},
		},
	}
	return cm, job
}

// RunLoadJob (re)creates the Job, waits for it to finish within timeout and decodes the
// replay from its pod's log.
func (e *Env) RunLoadJob(ctx context.Context, j LoadJob, timeout time.Duration) (load.Replay, error) {
	cm, job := LoadJobObjects(j, e.Namespace)
	old := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: j.Name, Namespace: e.Namespace}}
	if err := client404(e.Client.Delete(ctx, old, client.PropagationPolicy(metav1.DeletePropagationForeground))); err != nil {
		return load.Replay{}, fmt.Errorf("deleting the previous load job %s: %w", j.Name, err)
	}
	_ = wait.PollUntilContextTimeout(ctx, time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := e.Client.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: j.Name}, &batchv1.Job{})
		return client404(err) == nil && err != nil, nil
	})
	if err := cluster.Apply(ctx, e.Client, cm); err != nil {
		return load.Replay{}, err
	}
	if err := e.Client.Create(ctx, job); err != nil {
		return load.Replay{}, fmt.Errorf("creating load job %s: %w", j.Name, err)
	}
	var failed bool
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, false, func(ctx context.Context) (bool, error) {
		var got batchv1.Job
		if err := e.Client.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: j.Name}, &got); err != nil {
			return false, nil //nolint:nilerr // polling: a failed read is retried until the timeout
		}
		for _, c := range got.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			switch c.Type {
			case batchv1.JobComplete:
				return true, nil
			case batchv1.JobFailed:
				failed = true
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return load.Replay{}, fmt.Errorf("load job %s did not finish within %s: %w", j.Name, timeout, err)
	}
	replay, logErr := e.loadJobReplay(ctx, j.Name)
	if failed {
		return replay, fmt.Errorf("load job %s failed (see `kubectl -n %s logs job/%s`)", j.Name, e.Namespace, j.Name)
	}
	return replay, logErr
}

func (e *Env) loadJobReplay(ctx context.Context, name string) (load.Replay, error) {
	var pods corev1.PodList
	if err := e.Client.List(ctx, &pods, client.InNamespace(e.Namespace), client.MatchingLabels{"job-name": name}); err != nil {
		return load.Replay{}, fmt.Errorf("listing pods of load job %s: %w", name, err)
	}
	if len(pods.Items) == 0 {
		return load.Replay{}, fmt.Errorf("load job %s has no pod", name)
	}
	stream, err := e.Clientset.CoreV1().Pods(e.Namespace).GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{}).Stream(ctx)
	if err != nil {
		return load.Replay{}, fmt.Errorf("reading the log of load job %s: %w", name, err)
	}
	defer func() { _ = stream.Close() }()
	return load.DecodeReplay(io.LimitReader(stream, 1<<30))
}
