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
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// clusterRequest is a request stamped with the cluster its event came from; "" is the manager's own cluster.
type clusterRequest struct {
	Cluster string
	types.NamespacedName
}

// multiCluster is plain controller-runtime doing what multicluster-runtime does (that module is not served by the
// module proxy here): one manager, one typed controller and queue, and one cluster.Cluster per extra API server,
// added to the manager with mgr.Add and watched with source.TypedKind on its cache.
type multiCluster struct {
	mu       sync.RWMutex
	clusters map[string]cluster.Cluster
	ctrl     controller.TypedController[clusterRequest]

	expected int64
	patched  atomic.Int64
	lateAt   int64
	late     chan struct{}
	done     chan struct{}

	statMu      sync.Mutex
	seen        map[clusterRequest]struct{}
	latencies   []float64
	lastMs      float64
	perCluster  map[string]int
	clusterLast map[string]float64
}

func (m *multiCluster) get(name string) cluster.Cluster {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.clusters[name]
}

func (m *multiCluster) Reconcile(ctx context.Context, req clusterRequest) (reconcile.Result, error) {
	startUs := time.Now().UnixMicro()
	cl := m.get(req.Cluster)
	if cl == nil {
		return reconcile.Result{}, nil
	}
	var cm corev1.ConfigMap
	if err := cl.GetClient().Get(ctx, req.NamespacedName, &cm); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	sent, ok := cm.Annotations[sentKey]
	if !ok {
		return reconcile.Result{}, nil
	}
	m.statMu.Lock()
	if _, dup := m.seen[req]; !dup {
		m.seen[req] = struct{}{}
		if us, err := strconv.ParseInt(sent, 10, 64); err == nil {
			m.latencies = append(m.latencies, float64(startUs-us))
		}
	}
	m.statMu.Unlock()
	if _, ok := cm.Annotations[reconciledKey]; ok {
		return reconcile.Result{}, nil
	}
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+reconciledKey+`":"go"}}}`))
	if err := cl.GetClient().Patch(ctx, &cm, patch); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	now := nowMs()
	m.statMu.Lock()
	m.perCluster[req.Cluster]++
	m.clusterLast[req.Cluster] = now
	m.statMu.Unlock()
	n := m.patched.Add(1)
	if n == m.lateAt {
		close(m.late)
	}
	if n == m.expected {
		m.statMu.Lock()
		m.lastMs = now
		m.statMu.Unlock()
		close(m.done)
	}
	return reconcile.Result{}, nil
}

// engage adds a cluster to the manager and the controller, and waits until its watch has synced.
func (m *multiCluster) engage(ctx context.Context, mgrAdd func(cluster.Cluster) error, name string, cl cluster.Cluster) {
	m.mu.Lock()
	m.clusters[name] = cl
	m.mu.Unlock()
	if mgrAdd != nil {
		if err := mgrAdd(cl); err != nil {
			fail(err)
		}
	}
	src := source.TypedKind(cl.GetCache(), &corev1.ConfigMap{}, handler.TypedEnqueueRequestsFromMapFunc(
		func(_ context.Context, cm *corev1.ConfigMap) []clusterRequest {
			return []clusterRequest{{Cluster: name, NamespacedName: types.NamespacedName{Namespace: cm.Namespace, Name: cm.Name}}}
		}))
	if err := m.ctrl.Watch(src); err != nil {
		fail(err)
	}
	if mgrAdd != nil {
		if err := src.WaitForSync(ctx); err != nil {
			fail(err)
		}
	}
}

// runMultiCluster: paths[0] is the manager's cluster, paths[1:n-1] are added once it runs (idle), and the last one is
// added under load, once lateAddFraction of every object expected has been patched. Each cluster gets `count` objects.
func runMultiCluster(paths []string, p Params) {
	if len(paths) < 2 {
		fail(fmt.Errorf("multicluster needs at least two kubeconfigs"))
	}
	mgr := newManager(paths[0])
	total := int64(p.Count * len(paths))
	m := &multiCluster{
		clusters: map[string]cluster.Cluster{}, expected: total,
		lateAt: max(1, int64(float64(total)*p.LateAddFraction)), late: make(chan struct{}), done: make(chan struct{}),
		seen: map[clusterRequest]struct{}{}, perCluster: map[string]int{}, clusterLast: map[string]float64{},
	}
	c, err := controller.NewTyped[clusterRequest]("multicluster", mgr, controller.TypedOptions[clusterRequest]{
		Reconciler:              m,
		MaxConcurrentReconciles: p.Workers,
	})
	if err != nil {
		fail(err)
	}
	m.ctrl = c
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.engage(ctx, nil, "", mgr)
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fail(err)
		}
	}()
	waitSynced(ctx, mgr.GetCache())
	rssBefore, _ := settledMemory()
	addToManager := func(cl cluster.Cluster) error { return mgr.Add(cl) }
	addIdleMs := []float64{}
	newCluster := func(path string) cluster.Cluster {
		cl, err := cluster.New(restConfig(path))
		if err != nil {
			fail(err)
		}
		return cl
	}
	for i, path := range paths[1 : len(paths)-1] {
		t0 := nowMs()
		m.engage(ctx, addToManager, fmt.Sprintf("cluster-%d", i+2), newCluster(path))
		addIdleMs = append(addIdleMs, nowMs()-t0)
	}
	rssAfter, _ := settledMemory()
	cpu0 := cpuSeconds()
	emit("ready", map[string]any{"rssBytes": rssAfter})

	<-m.late
	lateName := fmt.Sprintf("cluster-%d", len(paths))
	lateStart := nowMs()
	m.engage(ctx, addToManager, lateName, newCluster(paths[len(paths)-1]))
	addUnderLoadMs := nowMs() - lateStart

	<-m.done
	m.statMu.Lock()
	defer m.statMu.Unlock()
	emit("result", map[string]any{
		"patched":        m.patched.Load(),
		"lastMs":         m.lastMs,
		"perCluster":     m.perCluster,
		"clusterLastMs":  m.clusterLast,
		"latenciesUs":    m.latencies,
		"addIdleMs":      addIdleMs,
		"addUnderLoadMs": addUnderLoadMs,
		"lateAddedAtMs":  lateStart,
		"rssBeforeExtra": rssBefore,
		"rssAfterExtra":  rssAfter,
		"extraClusters":  len(paths) - 2,
		"cpuSeconds":     cpuSeconds() - cpu0,
		"rssBytes":       rssBytes(),
	})
}
