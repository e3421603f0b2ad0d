package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// annotator is the controller of the throughput and latency scenarios: it patches an annotation onto every ConfigMap
// the load generator made, and notes how long after its send time each object's first reconcile started.
type annotator struct {
	client   client.Client
	expected int64
	patched  atomic.Int64

	mu        sync.Mutex
	seen      map[types.NamespacedName]struct{}
	latencies []float64 // microseconds, reconcile start minus the load generator's send time
	lastMs    float64
	done      chan struct{}
}

func newAnnotator(c client.Client, expected int) *annotator {
	return &annotator{client: c, expected: int64(expected), seen: map[types.NamespacedName]struct{}{}, done: make(chan struct{})}
}

func (a *annotator) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	startUs := time.Now().UnixMicro()
	var cm corev1.ConfigMap
	if err := a.client.Get(ctx, req.NamespacedName, &cm); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	sent, ok := cm.Annotations[sentKey]
	if !ok {
		return reconcile.Result{}, nil
	}
	a.mu.Lock()
	if _, dup := a.seen[req.NamespacedName]; !dup {
		a.seen[req.NamespacedName] = struct{}{}
		if us, err := strconv.ParseInt(sent, 10, 64); err == nil {
			a.latencies = append(a.latencies, float64(startUs-us))
		}
	}
	a.mu.Unlock()
	if _, ok := cm.Annotations[reconciledKey]; ok {
		return reconcile.Result{}, nil
	}
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+reconciledKey+`":"go"}}}`))
	if err := a.client.Patch(ctx, &cm, patch); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if a.patched.Add(1) == a.expected {
		a.mu.Lock()
		a.lastMs = nowMs()
		a.mu.Unlock()
		close(a.done)
	}
	return reconcile.Result{}, nil
}

// waitSynced returns once the cache runs and its ConfigMap informer has synced (GetInformer alone returns at once
// while the cache is still starting).
func waitSynced(ctx context.Context, c cache.Cache) {
	if _, err := c.GetInformer(ctx, &corev1.ConfigMap{}); err != nil {
		fail(err)
	}
	if !c.WaitForCacheSync(ctx) {
		fail(fmt.Errorf("cache did not sync"))
	}
}

func newManager(path string) ctrl.Manager {
	mgr, err := ctrl.NewManager(restConfig(path), ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		fail(err)
	}
	return mgr
}

// runReconcile: manager + annotator; "ready" once the ConfigMap informer has synced; "result" once `count` objects
// were patched.
func runReconcile(path string, p Params) {
	mgr := newManager(path)
	a := newAnnotator(mgr.GetClient(), p.Count)
	err := ctrl.NewControllerManagedBy(mgr).
		For(&corev1.ConfigMap{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: p.Workers}).
		Complete(a)
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fail(err)
		}
	}()
	waitSynced(ctx, mgr.GetCache())
	cpu0 := cpuSeconds()
	emit("ready", map[string]any{"rssBytes": rssBytes()})
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	emit("result", map[string]any{
		"patched":      a.patched.Load(),
		"lastMs":       a.lastMs,
		"latenciesUs":  a.latencies,
		"cpuSeconds":   cpuSeconds() - cpu0,
		"rssBytes":     rssBytes(),
		"peakRssBytes": peakRssBytes(),
	})
}

// runColdStart: `count` ConfigMaps already exist; times manager start -> first reconcile (caches synced: no worker
// starts before its sources have) and -> every object reconciled once.
func runColdStart(path string, p Params) {
	mgr := newManager(path)
	var reconciled atomic.Int64
	var firstMs atomic.Value
	done := make(chan float64, 1)
	var mu sync.Mutex
	seen := map[types.NamespacedName]struct{}{}
	rec := reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		firstMs.CompareAndSwap(nil, nowMs())
		var cm corev1.ConfigMap
		if err := mgr.GetClient().Get(ctx, req.NamespacedName, &cm); err != nil {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
		if cm.Namespace != namespace {
			return reconcile.Result{}, nil
		}
		mu.Lock()
		_, dup := seen[req.NamespacedName]
		seen[req.NamespacedName] = struct{}{}
		mu.Unlock()
		if !dup && reconciled.Add(1) == int64(p.Count) {
			done <- nowMs()
		}
		return reconcile.Result{}, nil
	})
	err := ctrl.NewControllerManagedBy(mgr).
		For(&corev1.ConfigMap{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: p.Workers}).
		Complete(rec)
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startMs := nowMs()
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fail(err)
		}
	}()
	allMs := <-done
	first, _ := firstMs.Load().(float64)
	emit("result", map[string]any{
		"startMs":    startMs,
		"firstMs":    first,
		"allMs":      allMs,
		"reconciled": reconciled.Load(),
		"cpuSeconds": cpuSeconds(),
		"rssBytes":   rssBytes(),
	})
}
