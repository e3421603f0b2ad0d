// Command go-baseline is the Go side of `npm run bench`: the same scenarios as bench/ts/*.ts, written with
// sigs.k8s.io/controller-runtime, plus the load generator both sides share. Usage:
//
//	go-baseline <scenario> --kubeconfig a.yaml[,b.yaml...] --params '{"count":2000}'
//
// Protocol lines on stdout start with "BENCH " followed by one JSON object; everything else is ignored by the harness.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
)

const (
	namespace     = "bench"
	sentKey       = "bench.operator-ts.io/sent"
	reconciledKey = "bench.operator-ts.io/reconciled"
)

var emitMu sync.Mutex

// emit writes one protocol line; fields are merged into {"event": event}.
func emit(event string, fields map[string]any) {
	out := map[string]any{"event": event}
	for k, v := range fields {
		out[k] = v
	}
	b, err := json.Marshal(out)
	if err != nil {
		fail(err)
	}
	emitMu.Lock()
	defer emitMu.Unlock()
	fmt.Fprintf(os.Stdout, "BENCH %s\n", b)
}

func fail(err error) {
	emit("error", map[string]any{"message": err.Error()})
	os.Exit(1)
}

func nowMs() float64 { return float64(time.Now().UnixNano()) / 1e6 }

// restConfig loads a kubeconfig file as controller-runtime's GetConfig does: no client-side rate limit.
func restConfig(path string) *rest.Config {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		fail(fmt.Errorf("kubeconfig %s: %w", path, err))
	}
	cfg.QPS = -1
	return cfg
}

func rssBytes() int64 { return statusBytes("VmRSS") }

// peakRssBytes is the most RSS the process has had since it started (the kernel's VmHWM).
func peakRssBytes() int64 { return statusBytes("VmHWM") }

// statusBytes reads one of /proc/self/status's memory fields (in kB there).
func statusBytes(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// settledMemory collects garbage and returns freed pages to the OS before RSS is read.
func settledMemory() (rss int64, heap uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return rssBytes(), ms.HeapAlloc
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-baseline <loadgen|reconcile|coldstart|memory|multicluster|idle> --kubeconfig FILE[,FILE] --params JSON")
		os.Exit(2)
	}
	scenario := os.Args[1]
	fs := flag.NewFlagSet(scenario, flag.ExitOnError)
	kubeconfigs := fs.String("kubeconfig", "", "kubeconfig file(s), comma-separated")
	params := fs.String("params", "{}", "scenario parameters as JSON")
	_ = fs.Parse(os.Args[2:])
	paths := strings.Split(*kubeconfigs, ",")
	if *kubeconfigs == "" {
		fmt.Fprintln(os.Stderr, "--kubeconfig is required")
		os.Exit(2)
	}
	// Quiet, as the TS side runs at LOG_LEVEL=warn: logging costs are not what is compared.
	ctrl.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())

	var p Params
	if err := json.Unmarshal([]byte(*params), &p); err != nil {
		fail(fmt.Errorf("--params: %w", err))
	}
	switch scenario {
	case "loadgen":
		runLoadgen(paths[0], p)
	case "reconcile":
		runReconcile(paths[0], p)
	case "coldstart":
		runColdStart(paths[0], p)
	case "memory":
		runMemory(paths[0], p)
	case "multicluster":
		runMultiCluster(paths, p)
	case "idle":
		runIdle(paths[0], p)
	default:
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", scenario)
		os.Exit(2)
	}
}

// Params is the union of every scenario's parameters, as the harness sends them (bench/lib/protocol.ts).
type Params struct {
	Count       int     `json:"count"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`
	Mode        string  `json:"mode"`
	Prefix      string  `json:"prefix"`
	Start       int     `json:"start"`
	PayloadSize int     `json:"payloadSize"`
	Workers     int     `json:"workers"`
	Transform   bool    `json:"transform"`
	// multicluster: objects expected in each cluster; the last kubeconfig is added once this fraction is reconciled.
	LateAddFraction float64 `json:"lateAddFraction"`
}
