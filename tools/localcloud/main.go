// Command localcloud is mlplat's stand-in for a cloud controller on the local
// control plane (no real load balancers, no ingress controller that runs).
//
// It does three things, each idempotent (it writes only when the object
// differs from what it should be, so its own writes never cause another):
//
//   - Services of type LoadBalancer (without a loadBalancerClass, or with
//     ours) get status.loadBalancer.ingress = [{ip: <address>}]; a Service that
//     stops being a LoadBalancer has that status cleared again.
//   - Ingresses (any class: no ingress controller actually runs on KWOK nodes)
//     get status.loadBalancer.ingress = [{ip: <address>}].
//   - PersistentVolumes carrying the recycle label that are Released (their
//     claim was deleted; reclaim policy Retain) get spec.claimRef cleared, so
//     the PV controller makes them Available for the next claim.
//
// This is what lets Pulumi's await logic behave as on a real cluster.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// LoadBalancerClass is the spec.loadBalancerClass this controller answers
// for, besides Services that have no class at all.
const LoadBalancerClass = "mlplat.dev/localcloud"

// RecycleLabel marks the pre-created PersistentVolumes this controller may
// make Available again once they are Released.
const RecycleLabel = "mlplat.dev/recycle"

type kind string

const (
	kindService kind = "Service"
	kindIngress kind = "Ingress"
	kindPV      kind = "PersistentVolume"
)

type key struct {
	kind      kind
	namespace string
	name      string
}

func (k key) String() string {
	if k.namespace == "" {
		return fmt.Sprintf("%s %s", k.kind, k.name)
	}
	return fmt.Sprintf("%s %s/%s", k.kind, k.namespace, k.name)
}

// Controller reconciles Services, Ingresses and PersistentVolumes.
type Controller struct {
	client  kubernetes.Interface
	address string
	queue   workqueue.TypedRateLimitingInterface[key]

	services  cache.Indexer
	ingresses cache.Indexer
	volumes   cache.Indexer
	synced    []cache.InformerSynced
}

// NewController wires informers from factory into a work queue.
func NewController(client kubernetes.Interface, factory informers.SharedInformerFactory, address string) (*Controller, error) {
	c := &Controller{
		client:  client,
		address: address,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[key](),
			workqueue.TypedRateLimitingQueueConfig[key]{Name: "localcloud"},
		),
	}
	watch := func(inf cache.SharedIndexInformer, k kind) (cache.Indexer, error) {
		enqueue := func(obj interface{}) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			ns, name, err := cache.SplitMetaNamespaceKey(mustKey(obj))
			if err == nil {
				c.queue.Add(key{kind: k, namespace: ns, name: name})
			}
		}
		_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    enqueue,
			UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
		})
		c.synced = append(c.synced, inf.HasSynced)
		return inf.GetIndexer(), err
	}
	var err error
	if c.services, err = watch(factory.Core().V1().Services().Informer(), kindService); err != nil {
		return nil, err
	}
	if c.ingresses, err = watch(factory.Networking().V1().Ingresses().Informer(), kindIngress); err != nil {
		return nil, err
	}
	if c.volumes, err = watch(factory.Core().V1().PersistentVolumes().Informer(), kindPV); err != nil {
		return nil, err
	}
	return c, nil
}

func mustKey(obj interface{}) string {
	k, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		return ""
	}
	return k
}

// Run processes the queue until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return fmt.Errorf("caches did not sync")
	}
	klog.InfoS("localcloud: caches synced; reconciling", "address", c.address)
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, c.worker, time.Second)
	}
	<-ctx.Done()
	return nil
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *Controller) processNext(ctx context.Context) bool {
	k, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(k)
	if err := c.sync(ctx, k); err != nil {
		if apierrors.IsConflict(err) {
			klog.V(2).InfoS("conflict; retrying", "object", k.String())
		} else {
			klog.ErrorS(err, "sync failed; retrying", "object", k.String())
		}
		c.queue.AddRateLimited(k)
		return true
	}
	c.queue.Forget(k)
	return true
}

func (c *Controller) sync(ctx context.Context, k key) error {
	cacheKey := k.name
	var indexer cache.Indexer
	switch k.kind {
	case kindService:
		indexer = c.services
	case kindIngress:
		indexer = c.ingresses
	case kindPV:
		indexer = c.volumes
	}
	if k.namespace != "" {
		cacheKey = k.namespace + "/" + k.name
	}
	obj, exists, err := indexer.GetByKey(cacheKey)
	if err != nil || !exists {
		return err
	}
	switch o := obj.(type) {
	case *corev1.Service:
		return c.syncService(ctx, o)
	case *networkingv1.Ingress:
		return c.syncIngress(ctx, o)
	case *corev1.PersistentVolume:
		return c.syncVolume(ctx, o)
	}
	return nil
}

// managesService reports whether svc is a LoadBalancer this controller owns.
func managesService(svc *corev1.Service) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	return svc.Spec.LoadBalancerClass == nil || *svc.Spec.LoadBalancerClass == LoadBalancerClass
}

// DesiredServiceStatus returns the load-balancer status svc should have and
// whether its current status differs from it.
func DesiredServiceStatus(svc *corev1.Service, address string) (corev1.LoadBalancerStatus, bool) {
	cur := svc.Status.LoadBalancer.Ingress
	if !managesService(svc) {
		// Only clear what we would have written: a LoadBalancer of another
		// class is someone else's business.
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer && len(cur) > 0 {
			return corev1.LoadBalancerStatus{}, true
		}
		return svc.Status.LoadBalancer, false
	}
	// Compare by IP only: the API server defaults ipMode, and comparing it
	// would make every write look stale.
	if len(cur) == 1 && cur[0].IP == address && cur[0].Hostname == "" {
		return svc.Status.LoadBalancer, false
	}
	vip := corev1.LoadBalancerIPModeVIP
	return corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: address, IPMode: &vip}}}, true
}

// DesiredIngressStatus returns the status ing should have and whether its
// current status differs from it.
func DesiredIngressStatus(ing *networkingv1.Ingress, address string) (networkingv1.IngressLoadBalancerStatus, bool) {
	cur := ing.Status.LoadBalancer.Ingress
	if len(cur) == 1 && cur[0].IP == address && cur[0].Hostname == "" {
		return ing.Status.LoadBalancer, false
	}
	return networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: address}}}, true
}

// NeedsRecycle reports whether pv is one of ours, Released, and should have
// its claimRef cleared so that it becomes Available again.
func NeedsRecycle(pv *corev1.PersistentVolume) bool {
	return pv.Labels[RecycleLabel] == "true" &&
		pv.Status.Phase == corev1.VolumeReleased &&
		pv.Spec.ClaimRef != nil &&
		pv.DeletionTimestamp == nil
}

func (c *Controller) syncService(ctx context.Context, svc *corev1.Service) error {
	want, changed := DesiredServiceStatus(svc, c.address)
	if !changed {
		return nil
	}
	upd := svc.DeepCopy()
	upd.Status.LoadBalancer = want
	if _, err := c.client.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, upd, metav1UpdateOptions); err != nil {
		return ignoreNotFound(err)
	}
	klog.InfoS("service load balancer status set", "service", klog.KObj(svc), "ingress", want.Ingress)
	return nil
}

func (c *Controller) syncIngress(ctx context.Context, ing *networkingv1.Ingress) error {
	want, changed := DesiredIngressStatus(ing, c.address)
	if !changed {
		return nil
	}
	upd := ing.DeepCopy()
	upd.Status.LoadBalancer = want
	if _, err := c.client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, upd, metav1UpdateOptions); err != nil {
		return ignoreNotFound(err)
	}
	klog.InfoS("ingress load balancer status set", "ingress", klog.KObj(ing), "address", c.address)
	return nil
}

func (c *Controller) syncVolume(ctx context.Context, pv *corev1.PersistentVolume) error {
	if !NeedsRecycle(pv) {
		return nil
	}
	upd := pv.DeepCopy()
	old := upd.Spec.ClaimRef
	upd.Spec.ClaimRef = nil
	if _, err := c.client.CoreV1().PersistentVolumes().Update(ctx, upd, metav1UpdateOptions); err != nil {
		return ignoreNotFound(err)
	}
	klog.InfoS("released volume made available again", "pv", pv.Name, "previousClaim", old.Namespace+"/"+old.Name)
	return nil
}

var metav1UpdateOptions = metav1.UpdateOptions{FieldManager: "mlplat-localcloud"}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func main() {
	klog.InitFlags(nil)
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "path to a kubeconfig (in-cluster config when empty)")
	address := flag.String("address", "127.0.0.1", "IP given to LoadBalancer Services and Ingresses")
	workers := flag.Int("workers", 2, "concurrent reconciles")
	resync := flag.Duration("resync", 10*time.Minute, "informer resync period (re-checks every object; writes only on drift)")
	flag.Parse()

	if net.ParseIP(*address) == nil {
		klog.Exitf("--address %q is not an IP address", *address)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Exitf("kubeconfig: %v", err)
	}
	cfg.UserAgent = "mlplat-localcloud"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		klog.Exitf("client: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	defer utilruntime.HandleCrash()

	factory := informers.NewSharedInformerFactory(client, *resync)
	c, err := NewController(client, factory, *address)
	if err != nil {
		klog.Exitf("controller: %v", err)
	}
	factory.Start(ctx.Done())
	if err := c.Run(ctx, *workers); err != nil {
		klog.Exitf("%v", err)
	}
	factory.Shutdown()
	klog.InfoS("localcloud: stopped")
}
