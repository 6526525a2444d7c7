package db

import (
	"context"
	"sync"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

// FeedClass is the class name a Feed travels under.
const FeedClass = "braid.db.Notifications"

// Feed is a PostgreSQL notification channel published over PB as a
// Cacheable. Each observer's copy has the state {"value": last} and receives
// setValue(n) for every notification n, where n is the dict
// {"channel": str, "payload": str, "pid": int} and last is the latest one
// (None before the first). That is pb.Live's protocol: a Braid peer reads a
// Feed with pb.NewLiveCopy[jelly.Dict], registered for FeedClass in
// Config.CacheTypes, and a Twisted peer with a RemoteCache that has
// observe_setValue.
//
// A Feed listens, through its Hub, only while it has observers. It is safe
// for concurrent use and may be sent to any number of connections.
type Feed struct {
	hub     *Hub
	channel string
	live    *pb.Live[any]

	mu        sync.Mutex
	unsub     func()
	observers int
}

// NewFeed returns a Feed of channel's notifications, listening through hub.
func NewFeed(hub *Hub, channel string) *Feed {
	return &Feed{hub: hub, channel: channel, live: pb.NewLive[any](FeedClass, nil)}
}

// JellyClass implements jelly.Classer.
func (f *Feed) JellyClass() string { return FeedClass }

// Channel returns the notification channel's name.
func (f *Feed) Channel() string { return f.channel }

// Observers returns the number of copies being kept up to date.
func (f *Feed) Observers() int { return f.live.Observers() }

// CacheState implements pb.Cacheable. The first observer starts listening.
func (f *Feed) CacheState(ctx context.Context, o *pb.Observer) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unsub == nil {
		unsub, err := f.hub.Subscribe(ctx, f.channel, f.push)
		if err != nil {
			return nil, err
		}
		f.unsub = unsub
	}
	f.observers++
	return f.live.CacheState(ctx, o)
}

// StoppedObserving implements pb.Cacheable. The last observer to leave
// stops the listening.
func (f *Feed) StoppedObserving(ctx context.Context, o *pb.Observer) {
	f.live.StoppedObserving(ctx, o)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observers--
	if f.observers <= 0 && f.unsub != nil {
		f.observers = 0
		f.unsub()
		f.unsub = nil
	}
}

func (f *Feed) push(n Notification) {
	f.live.Set(context.Background(), jelly.Dict{
		{Key: "channel", Value: n.Channel},
		{Key: "payload", Value: n.Payload},
		{Key: "pid", Value: int64(n.PID)},
	})
}
