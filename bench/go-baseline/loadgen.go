package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// runLoadgen is the load generator both sides share, run as its own process so its CPU is nobody's controller's.
// Modes: "create" (count objects, `concurrency` requests in flight), "patch" (a merge patch on each of them, as a
// controller would), "paced" (one create at a time at `rate` per second). Each create carries its send time.
func runLoadgen(path string, p Params) {
	cfg := restConfig(path)
	cfg.Timeout = 60 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		fail(err)
	}
	if p.Prefix == "" {
		p.Prefix = "cm"
	}
	if p.PayloadSize == 0 {
		p.PayloadSize = 1024
	}
	if p.Concurrency <= 0 {
		p.Concurrency = 32
	}
	payload := strings.Repeat("x", p.PayloadSize)
	cms := cs.CoreV1().ConfigMaps(namespace)
	name := func(i int) string { return fmt.Sprintf("%s-%06d", p.Prefix, p.Start+i) }

	var errorsSeen atomic.Int64
	var firstErr atomic.Value
	one := func(i int) {
		var err error
		switch p.Mode {
		case "patch":
			body := []byte(`{"metadata":{"annotations":{"` + reconciledKey + `":"loadgen"}}}`)
			_, err = cms.Patch(ctx, name(i), types.MergePatchType, body, metav1.PatchOptions{})
		default:
			cm := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{
					Name:        name(i),
					Namespace:   namespace,
					Annotations: map[string]string{sentKey: strconv.FormatInt(time.Now().UnixMicro(), 10)},
				},
				Data: map[string]string{"payload": payload},
			}
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
		}
		if err != nil {
			errorsSeen.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
		}
	}

	first := nowMs()
	if p.Mode == "paced" {
		interval := time.Duration(float64(time.Second) / p.Rate)
		next := time.Now()
		for i := 0; i < p.Count; i++ {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			next = next.Add(interval)
			one(i)
		}
	} else {
		var wg sync.WaitGroup
		var nextIndex atomic.Int64
		for w := 0; w < p.Concurrency; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(nextIndex.Add(1) - 1)
					if i >= p.Count {
						return
					}
					one(i)
				}
			}()
		}
		wg.Wait()
	}
	last := nowMs()
	out := map[string]any{"firstMs": first, "lastMs": last, "count": p.Count, "errors": errorsSeen.Load(), "cpuSeconds": cpuSeconds()}
	if e, ok := firstErr.Load().(string); ok {
		out["firstError"] = e
	}
	emit("result", out)
}
