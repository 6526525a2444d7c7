// Package pb is Braid's Perspective Broker: remote references to Go objects
// over a connection, wire-compatible with Twisted's twisted.spread.pb.
//
// # Serving and calling
//
// A server publishes a root object; a client dials and calls it:
//
//	srv := &pb.Server{Root: &Calculator{}}
//	go srv.ListenAndServe(ctx, "tcp:127.0.0.1:8787")
//
//	b, err := pb.Dial(ctx, "tcp:127.0.0.1:8787", nil)
//	sum, err := pb.Call[int](ctx, b.Root(), "add", 2, 3)
//
// A stock Twisted client (PBClientFactory.getRootObject, callRemote) can
// call the same server, and a Braid client can call a Twisted server.
//
// # Naming remote methods
//
// callRemote("add") runs the exported Go method RemoteAdd. The wire name is
// mapped to a Go name by upper-casing its first letter and every letter that
// follows an underscore, and dropping the underscores: "getUser" and
// "get_user" both run RemoteGetUser. Methods take a context.Context first and
// return (T, error), (error), T or nothing. Their other parameters receive
// the caller's arguments converted with jelly.Convert; a variadic last
// parameter takes the rest, and a last parameter of type Kwargs receives the
// keyword arguments. Objects that prefer to dispatch by themselves implement
// Handler. The same rule gives View*, Perspective* and Observe* methods for
// Viewables, avatars and cache observers.
//
// # Passing objects
//
// A value whose type embeds Referenceable (or implements Handler) travels by
// reference: the peer gets a *RemoteReference and its calls run here. Each
// reference received holds a count on the exporter; RemoteReference.Release
// returns it (the garbage collector does so for references dropped without
// Release). Values of other types travel by copy, as package jelly maps
// them. A Viewable travels as a reference bound to the perspective that sent
// it, and its View* methods receive that perspective after the context.
//
// Pass-by-copy types are registered in Config.Registry (see jelly.Registry):
// a registered Go struct travels as [class, state] and arrives as the
// registered type, which is how Twisted's Copyable and RemoteCopy meet Go.
// Unregistered classes are refused (InsecureJelly), as Twisted refuses them.
//
// A Cacheable travels as a cached copy: the peer receives its state once per
// connection and then every change the exporter pushes through its Observer,
// which runs the copy's Observe* methods. Live is the ready-made Cacheable
// for "a value many clients watch", and LiveCopy its receiving side; the
// receiving side names its copy types in Config.CacheTypes. A copy is given
// back with Broker.ReleaseCache, or when the connection ends; the exporter's
// StoppedObserving then runs exactly once per observer.
//
// # Concurrency and ordering
//
// Each connection has one reading goroutine at a time. Incoming calls are
// unjellied in arrival order by the reader, which also applies decrefs in
// order, and the reader then starts each call's handler itself. A handler
// that runs for longer than a few milliseconds (one that blocks, or calls
// back into the peer and waits) does not hold up the others: a watch
// notices the busy reader and a new goroutine takes over reading while
// the handler finishes on the old one. So quick calls cost no goroutine,
// and the calls behind a slow one wait about 10 ms at most. Braid
// guarantees that calls start in arrival order but
// not that they finish in it; a client that needs one call to see
// another's effect waits for its answer first (as a synchronous client
// does). At most Limits.MaxInFlight calls run at once per connection;
// past that the reader waits, which pushes back on the peer. A handler's
// context is cancelled when its connection ends.
//
// On a connection it dialed (over TCP, Unix sockets or TLS), a goroutine
// waiting for the answer to its call reads the connection itself while
// nobody else does, rather than sleeping until a reader goroutine hands
// the answer over; with one call in flight this saves a goroutine
// hand-off per call. It handles what it reads as the reader would, except
// the peer's calls, which it hands to a new reading goroutine, and it
// stops reading when its answer has come or its context ends. When no
// call is being made, a reading goroutine starts again within a few
// milliseconds, so the peer's calls and pings are always read.
//
// Outgoing messages from any goroutine are encoded into one buffer. While
// the reader has input to handle, messages queue, and the reader writes
// them in one system call before it waits for more input (or after 64
// messages in a row; the watch writes them if the reader is waiting for
// the rest of a slow message), so pipelined calls share writes. Otherwise
// the goroutine that finds no write under
// way writes the buffer itself (a caller or a handler; a message sent
// from elsewhere is written by a short-lived goroutine), and whatever
// others queue meanwhile goes out in its next write. A caller with other
// calls in flight first lets the goroutines ready to run go (callers whose
// answers just came, about to send their next calls), so that their calls
// share its write. In the native
// dialect, a byte string of 32 KiB or more in a message its sender writes
// itself is not copied into the buffer but written from where it lies
// (writev), and the sender returns once it is written; a received one
// that makes up most of its message is handed out as a slice of the
// buffer it was read into. Timeouts (message,
// idle, write) and the native keepalive are checked by one timer per
// connection rather than by socket deadlines. An idle connection has no
// writer goroutine and no read frame (frames come from a shared pool).
//
// In the native dialect each message travels as a msgpack bin 32 whose
// bytes are the message's msgpack encoding (0xc6, a big-endian uint32
// length, the message), so the reader knows where a message ends without
// scanning it; limits on strings, lists and nesting are checked as it is
// read, and a frame must hold exactly one message.
//
// Calls and answers that carry plain data (numbers, text, byte strings,
// booleans, and slices, arrays and structs of them, that are not
// registered classes) take a fast path: they are encoded token by token
// into that buffer (jelly.StreamTo), and a call's arguments, or the answer
// to Call[T], are decoded straight into the Go parameter types
// (jelly.TypedDecoder) from the message's bytes. Anything else is jellied
// and unjellied in full, as before; both paths give the same bytes and
// values.
//
// # Dialects
//
// The accepting side offers the Banana dialects ["pb", "none"], in that
// order (a Twisted client takes the first it knows); the dialing side picks
// the first entry it knows. Both then send ["version", 6].
//
// # Errors
//
// A handler's error reaches the caller as a Twisted CopyableFailure. Its
// type name comes from a *RemoteError returned as is, from a TypedError's
// PBType, or is "braid.Error"; its message is err.Error(). The caller gets a
// *RemoteError (errors.As), whose Check matches the type and its parents the
// way Twisted's Failure.check does; a type name registered in
// Config.ErrorTypes also yields the caller's own Go error through Unwrap.
//
// # Hostile peers
//
// Each connection has a budget (Limits): message size (4 MiB by default),
// string and list sizes (Twisted's 640 KiB), nesting depth, exported
// references (Twisted's 1,024), calls in flight, and the time one message may
// take to arrive. The Banana decoder enforces them before allocating. A peer that breaks
// the protocol — a malformed frame, an unknown type byte, a decref or answer
// for an unknown id, a wrong field count, a bad version — gets its
// connection closed with the reason logged; nothing else is affected. Bad
// arguments in a call fail only that call. Unlike Twisted, Braid completes a
// call whose answer cannot be unjellied with an error and keeps the
// connection, and fails a call whose answer is too large for the wire
// instead of dropping the connection.
package pb
