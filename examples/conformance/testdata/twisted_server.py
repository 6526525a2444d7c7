#!/usr/bin/python3
"""Reference Twisted PB server for the Braid conformance suite.

Run it with Debian's interpreter (python3-twisted 22.4):

    /usr/bin/python3 twisted_server.py [--port N] [--broken] [--broken-cache]
        [--no-stdin-watch]
        [--tls-cert CERT.pem --tls-key KEY.pem
            [--tls-ca CA.pem [--tls-require-client-cert]] | --unix PATH]

It listens on 127.0.0.1 (port 0 by default, so the OS picks one), prints a
single line ``PORT <n>`` on stdout once it is listening, and from then on
writes its log to stderr only.  With --tls-cert/--tls-key it listens with TLS
(reactor.listenSSL) and still prints ``PORT <n>``; --tls-ca makes it verify
client certificates, and --tls-require-client-cert makes it refuse clients
without one.  With --unix PATH it listens on a Unix socket instead and prints
``UNIX <path>``.  The transport code is in pb_transport.py, next to this file.

It stops when it receives SIGTERM or SIGINT, and also when its stdin reaches
end of file, so that a test harness that dies (and so closes the pipe) never
leaves a server behind.  Pass --no-stdin-watch when running it by hand in the
background with stdin redirected from /dev/null.

The root object published to every connection implements the conformance
contract described in README.md: echo, add, fail, child, store, callStored,
refs, point, pointSum, counter, bump and observers (the last one is a test
hook).  --broken makes add() answer a+b+1, and --broken-cache makes bump()
forget to tell the observers, so a client can be shown to fail.
"""

import argparse
import sys
import threading

sys.dont_write_bytecode = True  # keep __pycache__ out of testdata/
import pb_transport  # noqa: E402  (the helper next to this script)

from twisted.internet import reactor
from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.python import log
from twisted.spread import pb


class Failure(Exception):
    """The error raised by fail(); Twisted names it conformance.Failure."""


# Twisted builds the CopyableFailure type name from __module__ and
# __qualname__, so these two attributes make it exactly "conformance.Failure".
Failure.__module__ = "conformance"
Failure.__qualname__ = "Failure"
Failure.__name__ = "Failure"


class Child(pb.Referenceable):
    """A fresh object handed out by child(name); holds one settable value."""

    def __init__(self, name):
        self._name = name
        self._value = None

    def remote_name(self):
        return self._name

    def remote_set(self, value):
        self._value = value
        return None

    def remote_get(self):
        return self._value


class Point(pb.Copyable):
    """What point(x, y) answers: a copy of type conformance.Point."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def getTypeToCopy(self):
        return b"conformance.Point"

    def getStateToCopy(self):
        # str keys, so they go out as [unicode, ..] like any attribute name.
        return {"x": self.x, "y": self.y}


class ReceivedPoint(pb.RemoteCopy):
    """A conformance.Point copy a client sent (the argument of pointSum)."""


# Registering the tag also adds it to globalSecurity.allowedTypes; any other
# class a client sends is refused with InsecureJelly.
pb.setUnjellyableForClass(b"conformance.Point", ReceivedPoint)


class Counter(pb.Cacheable):
    """The conformance.Counter every connection shares.

    Observers are kept in a dict keyed by their broker, one per connection
    that holds copies.  Twisted 22.4's RemoteCacheObserver defines only
    __cmp__, which Python 3 ignores, so the observer handed to
    stoppedObserving never == the one given to getStateToCacheAndObserveFor;
    a list.remove(observer) would fail and leave a dead observer behind.
    Twisted calls getStateToCacheAndObserveFor once per connection (later
    sends are [cached, luid]) and stoppedObserving once, when the peer's last
    copy is decached or the connection is lost, so the broker is a sound key.
    """

    def __init__(self):
        self.value = 0
        self.notify = True
        self._observers = {}

    def getTypeToCopy(self):
        return b"conformance.Counter"

    def getStateToCacheAndObserveFor(self, perspective, observer):
        self._observers[observer.broker] = observer
        return {"value": self.value}

    def stoppedObserving(self, perspective, observer):
        if self._observers.pop(observer.broker, None) is None:
            log.msg("twisted_server: stoppedObserving for an unknown observer")

    def observers(self):
        return len(self._observers)

    def bump(self):
        self.value += 1
        if self.notify:
            # Each setValue is written now, before bump's own answer.  The
            # acknowledgements are not waited for; a failure is only logged.
            for observer in list(self._observers.values()):
                d = observer.callRemote("setValue", self.value)
                d.addErrback(log.err, "twisted_server: setValue to an observer failed")
        return self.value


# One counter for the whole process, shared by every connection's root.
COUNTER = Counter()


class ConnectionRoot(pb.Referenceable):
    """The root as seen by one connection (one broker)."""

    def __init__(self, broker, broken):
        self._broker = broker
        self._broken = broken
        self._stored = None

    def remote_echo(self, value):
        return value

    def remote_add(self, a, b):
        total = a + b
        if self._broken:
            total = total + 1
        return total

    def remote_fail(self, message):
        raise Failure(message)

    def remote_child(self, name):
        return Child(name)

    def remote_store(self, ref):
        self._stored = ref
        return None

    def remote_callStored(self, method, *args):
        if self._stored is None:
            raise Failure("callStored: nothing has been stored")
        if isinstance(method, bytes):
            method = method.decode("utf-8")
        # The answer (or the failure) of the call back into the client is
        # passed on as our own answer once it arrives.
        return self._stored.callRemote(method, *args)

    def remote_refs(self):
        table = self._broker.localObjects or {}
        return sum(1 for key in table if key != b"root")

    def remote_point(self, x, y):
        return Point(x, y)

    def remote_pointSum(self, p):
        if not isinstance(p, ReceivedPoint):
            raise Failure("pointSum: expected a conformance.Point, got %s"
                          % (type(p).__name__,))
        return p.x + p.y

    def remote_counter(self):
        return COUNTER

    def remote_bump(self):
        return COUNTER.bump()

    def remote_observers(self):
        # A test hook: how many connections hold copies of the counter.
        return COUNTER.observers()


class ConformanceRoot(pb.Root):
    """Hands each new connection its own ConnectionRoot."""

    def __init__(self, broken=False):
        self._broken = broken

    def rootObject(self, broker):
        return ConnectionRoot(broker, self._broken)


def watch_stdin():
    """Block on stdin in a thread; stop the reactor when it hits EOF."""

    def reader():
        try:
            while True:
                chunk = sys.stdin.buffer.read1(4096)
                if not chunk:
                    break
        except (OSError, ValueError):
            pass
        reactor.callFromThread(stop_reactor, "stdin closed")

    thread = threading.Thread(target=reader, name="stdin-watch", daemon=True)
    thread.start()


def stop_reactor(reason):
    if reactor.running:
        sys.stderr.write("twisted_server: stopping (%s)\n" % (reason,))
        sys.stderr.flush()
        reactor.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Twisted PB conformance server")
    parser.add_argument("--port", type=int, default=None,
                        help="TCP/TLS port on 127.0.0.1 (default 0: the OS picks)")
    parser.add_argument("--broken", action="store_true",
                        help="make add() answer a+b+1 (to prove a client can fail)")
    parser.add_argument("--broken-cache", action="store_true",
                        help="make bump() skip telling the observers (to prove a client can fail)")
    parser.add_argument("--no-stdin-watch", action="store_true",
                        help="do not exit when stdin reaches end of file")
    pb_transport.add_server_options(parser)
    args = parser.parse_args(argv)
    pb_transport.check_server_options(parser, args)

    COUNTER.notify = not args.broken_cache
    factory = pb.PBServerFactory(ConformanceRoot(broken=args.broken))
    # PORT <n> (TCP or TLS on 127.0.0.1) or UNIX <path>
    listening = pb_transport.listen(args, factory)

    sys.stdout.write(listening + "\n")
    sys.stdout.flush()

    # Everything after the PORT line goes to stderr; stdout stays untouched.
    globalLogBeginner.beginLoggingTo(
        [textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    note = pb_transport.describe_server(args)
    if note is not None:
        sys.stderr.write("twisted_server: %s: %s\n" % (listening, note))
        sys.stderr.flush()

    if not args.no_stdin_watch:
        watch_stdin()

    # reactor.run() installs SIGTERM/SIGINT handlers that stop the reactor.
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
