package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// idleSelector is a label no object carries: the idle program's cache holds nothing.
var idleSelector = labels.SelectorFromSet(labels.Set{"bench.operator-ts.io/idle": "none"})

// runIdle: a minimal operator, a manager with one controller on ConfigMaps whose cache holds nothing; "ready" once
// its cache has synced, then it idles until the harness, which reads its RSS from /proc, stops it.
func runIdle(path string, _ Params) {
	startMs := nowMs()
	mgr, err := ctrl.NewManager(restConfig(path), ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{ByObject: map[client.Object]cache.ByObject{&corev1.ConfigMap{}: {Label: idleSelector}}},
	})
	if err != nil {
		fail(err)
	}
	noop := reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) { return reconcile.Result{}, nil })
	if err := ctrl.NewControllerManagedBy(mgr).For(&corev1.ConfigMap{}).Complete(noop); err != nil {
		fail(err)
	}
	ctx := context.Background()
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fail(err)
		}
	}()
	inf, err := mgr.GetCache().GetInformer(ctx, &corev1.ConfigMap{})
	if err != nil {
		fail(err)
	}
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		fail(fmt.Errorf("cache did not sync"))
	}
	objects := -1
	if sii, ok := inf.(toolscache.SharedIndexInformer); ok {
		objects = len(sii.GetStore().ListKeys())
	}
	emit("ready", map[string]any{"syncedMs": nowMs() - startMs, "objects": objects, "rssBytes": rssBytes()})
	select {}
}
