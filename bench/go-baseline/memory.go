package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
)

// runMemory: RSS of a Cluster (cache, client, mapper) before and after its ConfigMap informer has synced the
// objects already in the cluster, each reading taken after a full GC with freed memory handed back to the OS.
func runMemory(path string, p Params) {
	cl, err := cluster.New(restConfig(path), func(o *cluster.Options) {
		if p.Transform {
			// controller-runtime's helper, as the TS side uses the runtime's transformStripManagedFields.
			o.Cache = cache.Options{DefaultTransform: cache.TransformStripManagedFields()}
		}
	})
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rssBefore, heapBefore := settledMemory()
	go func() {
		if err := cl.Start(ctx); err != nil {
			fail(err)
		}
	}()
	t0 := nowMs()
	inf, err := cl.GetCache().GetInformer(ctx, &corev1.ConfigMap{})
	if err != nil {
		fail(err)
	}
	// GetInformer returns at once while the cache is still starting; this waits for start and sync.
	if !cl.GetCache().WaitForCacheSync(ctx) {
		fail(fmt.Errorf("cache did not sync"))
	}
	syncMs := nowMs() - t0
	// Counted from the store's keys: a List would deep-copy every object and muddy the reading.
	objects := -1
	if sii, ok := inf.(toolscache.SharedIndexInformer); ok {
		objects = len(sii.GetStore().ListKeys())
	}
	atSync := rssBytes()
	rssAfter, heapAfter := settledMemory()
	emit("result", map[string]any{
		"objects":    objects,
		"rssBefore":  rssBefore,
		"rssAfter":   rssAfter,
		"heapBefore": heapBefore,
		"heapAfter":  heapAfter,
		"rssAtSync":  atSync,
		"syncMs":     syncMs,
		"cpuSeconds": cpuSeconds(),
	})
}
