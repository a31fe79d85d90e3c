package main

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const addr = "127.0.0.1"

func lbService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
	}
}

func TestDesiredServiceStatus(t *testing.T) {
	svc := lbService("a")
	want, changed := DesiredServiceStatus(svc, addr)
	if !changed || len(want.Ingress) != 1 || want.Ingress[0].IP != addr {
		t.Fatalf("new LoadBalancer: got %v changed=%v", want, changed)
	}
	// Once set (whatever ipMode the server defaulted), nothing changes.
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: addr}}
	if _, changed := DesiredServiceStatus(svc, addr); changed {
		t.Fatal("status already set but reported as changed")
	}
	// Another class: left alone.
	other := lbService("b")
	cls := "example.com/other"
	other.Spec.LoadBalancerClass = &cls
	if _, changed := DesiredServiceStatus(other, addr); changed {
		t.Fatal("foreign loadBalancerClass must be ignored")
	}
	// Ours by class.
	ours := lbService("c")
	mine := LoadBalancerClass
	ours.Spec.LoadBalancerClass = &mine
	if _, changed := DesiredServiceStatus(ours, addr); !changed {
		t.Fatal("own loadBalancerClass must be handled")
	}
	// No longer a LoadBalancer: status cleared, then stable.
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	want, changed = DesiredServiceStatus(svc, addr)
	if !changed || len(want.Ingress) != 0 {
		t.Fatalf("ClusterIP with stale status: got %v changed=%v", want, changed)
	}
	svc.Status.LoadBalancer = want
	if _, changed := DesiredServiceStatus(svc, addr); changed {
		t.Fatal("plain ClusterIP reported as changed")
	}
}

func TestDesiredIngressStatus(t *testing.T) {
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "i"}}
	want, changed := DesiredIngressStatus(ing, addr)
	if !changed || want.Ingress[0].IP != addr {
		t.Fatalf("got %v changed=%v", want, changed)
	}
	ing.Status.LoadBalancer = want
	if _, changed := DesiredIngressStatus(ing, addr); changed {
		t.Fatal("status already set but reported as changed")
	}
}

func TestNeedsRecycle(t *testing.T) {
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv", Labels: map[string]string{RecycleLabel: "true"}},
		Spec:       corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: "ns", Name: "c"}},
		Status:     corev1.PersistentVolumeStatus{Phase: corev1.VolumeReleased},
	}
	if !NeedsRecycle(pv) {
		t.Fatal("released labelled PV must be recycled")
	}
	pv.Status.Phase = corev1.VolumeBound
	if NeedsRecycle(pv) {
		t.Fatal("bound PV must not be recycled")
	}
	pv.Status.Phase = corev1.VolumeReleased
	delete(pv.Labels, RecycleLabel)
	if NeedsRecycle(pv) {
		t.Fatal("PV without the label must not be recycled")
	}
}

// TestControllerConverges runs the controller against a fake clientset and
// checks that each object is written once and then left alone (no hot loop),
// also after an unrelated update to the object.
func TestControllerConverges(t *testing.T) {
	released := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv1", Labels: map[string]string{RecycleLabel: "true"}},
		Spec:       corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: "ns", Name: "c"}},
		Status:     corev1.PersistentVolumeStatus{Phase: corev1.VolumeReleased},
	}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}}
	client := fake.NewClientset(lbService("lb"), ing, released)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := NewController(client, factory, addr)
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	go func() { _ = c.Run(ctx, 2) }()

	writes := func() int {
		n := 0
		for _, a := range client.Actions() {
			if a.GetVerb() == "update" {
				n++
			}
		}
		return n
	}
	err = wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 5*time.Second, true, func(ctx context.Context) (bool, error) {
		svc, _ := client.CoreV1().Services("default").Get(ctx, "lb", metav1.GetOptions{})
		in, _ := client.NetworkingV1().Ingresses("default").Get(ctx, "web", metav1.GetOptions{})
		pv, _ := client.CoreV1().PersistentVolumes().Get(ctx, "pv1", metav1.GetOptions{})
		return len(svc.Status.LoadBalancer.Ingress) == 1 && len(in.Status.LoadBalancer.Ingress) == 1 && pv.Spec.ClaimRef == nil, nil
	})
	if err != nil {
		t.Fatalf("controller did not converge: %v (actions %v)", err, client.Actions())
	}
	// The fake does not run the PV controller: the PV stays Released with no
	// claimRef, which NeedsRecycle must treat as done.
	time.Sleep(300 * time.Millisecond)
	settled := writes()
	if settled != 3 {
		t.Fatalf("want exactly 3 writes, got %d: %v", settled, filterUpdates(client.Actions()))
	}
	// An unrelated change to the Service (labels) must not cause a write.
	svc, _ := client.CoreV1().Services("default").Get(ctx, "lb", metav1.GetOptions{})
	svc.Labels = map[string]string{"touched": "yes"}
	if _, err := client.CoreV1().Services("default").Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := writes(); got != settled+1 { // +1: the test's own update
		t.Fatalf("controller wrote again after an unrelated update: %v", filterUpdates(client.Actions()))
	}
}

func filterUpdates(actions []k8stesting.Action) []string {
	var out []string
	for _, a := range actions {
		if a.GetVerb() == "update" {
			out = append(out, a.GetResource().Resource+"/"+a.GetSubresource())
		}
	}
	return out
}
