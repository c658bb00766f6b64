package coord

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func sampleTopology(app string, fence int64, master string) Topology {
	return Topology{
		Cluster:   app,
		Master:    Node{Name: master, Host: "127.0.0.11", Port: 3306},
		Replicas:  []Node{{Name: "db2", Host: "127.0.0.12", Port: 3306}},
		Fence:     fence,
		RunID:     "run-" + master,
		UpdatedAt: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC),
	}
}

func TestTopologyRoundTrip(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	app := testApp(t)
	got, err := ReadTopology(ctx, c, "t", app)
	if err != nil || got != nil {
		t.Fatalf("ReadTopology before any publish = %v, %v; want nil, nil", got, err)
	}
	want := sampleTopology(app, 3, "db1")
	if err := PublishTopology(ctx, c, "t", app, want); err != nil {
		t.Fatal(err)
	}
	got, err = ReadTopology(ctx, c, "t", app)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("read %+v, want %+v", *got, want)
	}
}

func TestPublishFillsDefaults(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	app := testApp(t)
	if err := PublishTopology(ctx, c, "", app, Topology{Master: Node{Host: "h", Port: 1}}); err != nil {
		t.Fatal(err)
	}
	raw := c.Get(ctx, TopologyKey("", app)).Val()
	got, err := ReadTopology(ctx, c, "", app)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cluster != app || got.UpdatedAt.IsZero() || got.Replicas == nil {
		t.Fatalf("defaults not filled: %s", raw)
	}
	err = PublishTopology(ctx, c, "", app, Topology{Cluster: "other"})
	if err == nil {
		t.Fatal("publishing another app's topology succeeded")
	}
}

func TestPublishRefusesStaleFence(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	app := testApp(t)
	if err := PublishTopology(ctx, c, "", app, sampleTopology(app, 7, "new")); err != nil {
		t.Fatal(err)
	}
	err := PublishTopology(ctx, c, "", app, sampleTopology(app, 6, "old"))
	if !errors.Is(err, ErrStaleFence) {
		t.Fatalf("publish with fence 6 over 7: %v, want ErrStaleFence", err)
	}
	if err := PublishTopology(ctx, c, "", app, sampleTopology(app, 7, "again")); err != nil {
		t.Fatalf("republish with the same fence: %v", err)
	}
	got, _ := ReadTopology(ctx, c, "", app)
	if got.Master.Name != "again" {
		t.Fatalf("stored master %q, want again", got.Master.Name)
	}
}

// The watcher first gets the stored topology, then each publication.
func TestWatchTopology(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	app := testApp(t)
	if err := PublishTopology(ctx, c, "", app, sampleTopology(app, 1, "db1")); err != nil {
		t.Fatal(err)
	}
	watchCtx, stop := context.WithCancel(ctx)
	seen := make(chan Topology, 10)
	done := make(chan error, 1)
	go func() { done <- WatchTopology(watchCtx, c, "", app, func(t Topology) { seen <- t }) }()

	expectMaster(t, seen, "db1") // the stored copy: the watch is now subscribed
	c.Publish(ctx, TopologyKey("", app), "not json")
	want := sampleTopology(app, 2, "db2")
	if err := PublishTopology(ctx, c, "", app, want); err != nil {
		t.Fatal(err)
	}
	if got := expectMaster(t, seen, "db2"); !reflect.DeepEqual(got, want) {
		t.Fatalf("watched %+v, want %+v", got, want)
	}
	stop()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WatchTopology returned %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("WatchTopology did not return within 2 s of cancel")
	}
}

func expectMaster(t *testing.T, seen <-chan Topology, master string) Topology {
	t.Helper()
	select {
	case got := <-seen:
		if got.Master.Name != master {
			t.Fatalf("watched master %q, want %q", got.Master.Name, master)
		}
		return got
	case <-time.After(3 * time.Second):
		t.Fatalf("no topology with master %q within 3 s", master)
	}
	return Topology{}
}

// A watch survives a Redis restart: it resubscribes and rereads the stored
// topology, so a publication made while it was away still reaches it.
func TestWatchSurvivesRedisRestart(t *testing.T) {
	needRedis(t)
	srv, err := startRedis(testPort + 2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.stop() }()
	c := NewClient(Options{Addr: srv.addr, Timeout: time.Second})
	defer c.Close()
	ctx := ctxFor(t, 15*time.Second)
	app := testApp(t)
	seen := make(chan Topology, 10)
	go WatchTopology(ctx, c, "", app, func(t Topology) { seen <- t })
	time.Sleep(200 * time.Millisecond) // let the first subscription settle

	srv.stop()
	if srv, err = startRedis(testPort + 2); err != nil {
		t.Fatal(err)
	}
	if err := PublishTopology(ctx, c, "", app, sampleTopology(app, 5, "after-restart")); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-seen:
		if got.Master.Name != "after-restart" {
			t.Fatalf("watched master %q", got.Master.Name)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("watch saw nothing within 8 s of the restart")
	}
}
