#!/usr/bin/python3
"""Stock Twisted PB client that checks a server against the conformance root.

Run it with Debian's interpreter (python3-twisted 22.4):

    /usr/bin/python3 twisted_client.py HOST PORT [--timeout SECONDS] [--verbose]
        [--tls-ca CA.pem [--tls-hostname NAME]
            [--tls-cert CERT.pem --tls-key KEY.pem]]
    /usr/bin/python3 twisted_client.py --unix PATH [--timeout SECONDS] [--verbose]

Plain TCP by default; --tls-ca connects with TLS (reactor.connectSSL with
optionsForClientTLS, verifying the server against CA.pem and HOST or NAME),
optionally presenting a client certificate; --unix connects to a Unix socket
instead of HOST PORT.  The transport code is in pb_transport.py, next to this
file.

It connects with an ordinary PBClientFactory, fetches the root object and
drives it only through callRemote, the way any Twisted user would.  For the
Copyable and Cacheable checks it registers RemotePoint (conformance.Point) and
CounterCache (conformance.Counter) with setUnjellyableForClass, and it opens a
second connection with another PBClientFactory.  Each passed check prints one
line ``ok <check>``; at the end it prints ``PASS <n> checks``.

Exit status:
    0  every check passed
    1  a check failed (the first failure is printed with expected and got;
       a call that gets no answer within the timeout counts as a failure)
    2  the client could not connect or could not get the root object
"""

import argparse
import datetime
import decimal
import gc
import math
import reprlib
import sys
import traceback

sys.dont_write_bytecode = True  # keep __pycache__ out of testdata/
import pb_transport  # noqa: E402  (the helper next to this script)

from twisted.internet import defer, reactor, task
from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.spread import pb

TIMEOUT = 10.0

_short = reprlib.Repr()
_short.maxstring = 80
_short.maxother = 80
_short.maxlong = 80
_short.maxlist = 8
_short.maxtuple = 8
_short.maxdict = 8
_short.maxset = 8
_short.maxfrozenset = 8
_short.maxlevel = 4


def short(value):
    try:
        return _short.repr(value)
    except Exception as exc:  # a CopiedFailure's repr raises on 22.4
        return "<unprintable %s: %s>" % (type(value).__name__, exc)


class CheckFailed(Exception):
    def __init__(self, name, expected, got):
        Exception.__init__(self, name)
        self.name = name
        self.expected = expected
        self.got = got


class Checker:
    def __init__(self, root, timeout, connect):
        self.root = root
        self.timeout = timeout
        # connect(factory) opens another connection to the same server over
        # the same transport (TCP, TLS or Unix socket).
        self.connect = connect
        self.passed = 0
        # factories of extra connections, disconnected by close()
        self.extra = []

    # ------------------------------------------------------------------
    # plumbing

    def ok(self, name):
        self.passed += 1
        print("ok", name, flush=True)

    def fail(self, name, expected, got):
        raise CheckFailed(name, expected, got)

    def call(self, ref, method, *args):
        """callRemote with a timeout: a missing answer fails the call."""
        try:
            d = ref.callRemote(method, *args)
        except Exception:
            return defer.fail()
        d.addTimeout(self.timeout, reactor)
        return d

    @defer.inlineCallbacks
    def answer(self, name, ref, method, *args):
        """Call and return the answer; an errback fails check `name`."""
        try:
            result = yield self.call(ref, method, *args)
        except defer.TimeoutError:
            self.fail(name, "an answer", "no answer within %gs" % self.timeout)
        except Exception:
            f = sys.exc_info()
            self.fail(name, "an answer", "errback %s" % describe_failure(f[1]))
        return result

    @defer.inlineCallbacks
    def failure(self, name, ref, method, *args):
        """Call and return [Failure]; an answer or a timeout fails `name`."""
        d = self.call(ref, method, *args)
        holder = []
        d.addErrback(holder.append)
        result = yield d
        if not holder:
            self.fail(name, "an errback", "answer %s" % short(result))
        f = holder[0]
        if f.check(defer.TimeoutError) and not isinstance(f, pb.CopiedFailure):
            self.fail(name, "an errback", "no answer within %gs" % self.timeout)
        # Returning a Failure from a Deferred would turn it into an errback,
        # so hand it back in a one-element list.
        return [f]

    def turn(self):
        """Let the reactor run once (so pending writes such as decrefs go out)."""
        return task.deferLater(reactor, 0, lambda: None)

    def sleep(self, seconds):
        return task.deferLater(reactor, seconds, lambda: None)

    @defer.inlineCallbacks
    def connect_again(self, name):
        """Open one more connection to the same server; returns (factory, root)."""
        factory = pb.PBClientFactory()
        self.extra.append(factory)
        self.connect(factory)
        d = factory.getRootObject()
        d.addTimeout(self.timeout, reactor)
        try:
            root = yield d
        except Exception:
            self.fail(name, "a root object from a second connection",
                      describe_failure(sys.exc_info()[1]))
        return factory, root

    def close(self):
        for factory in self.extra:
            factory.disconnect()
        self.extra = []

    def expect_equal(self, name, expected, got):
        problem = compare(expected, got)
        if problem is not None:
            self.fail(name, "%s (%s)" % (short(expected), type(expected).__name__),
                      "%s (%s) -- %s" % (short(got), type(got).__name__, problem))
        self.ok(name)

    # ------------------------------------------------------------------
    # the checks

    @defer.inlineCallbacks
    def run(self):
        yield self.check_refs_fresh()
        yield self.check_echo()
        yield self.check_add()
        yield self.check_fail()
        yield self.check_no_such_method()
        yield self.check_child()
        yield self.check_refs()
        yield self.check_store()
        yield self.check_copy()
        yield self.check_cache()
        # The connection must still be usable after all of the above.
        got = yield self.answer("echo after all checks", self.root, "echo", "still here")
        self.expect_equal("echo after all checks", "still here", got)

    @defer.inlineCallbacks
    def check_refs_fresh(self):
        got = yield self.answer("refs on a fresh connection", self.root, "refs")
        self.expect_equal("refs on a fresh connection", 0, got)

    @defer.inlineCallbacks
    def check_echo(self):
        for name, value in echo_cases():
            got = yield self.answer("echo " + name, self.root, "echo", value)
            self.expect_equal("echo " + name, value, got)

        # dict entries come back in the order they were sent
        ordered = {"z": 1, "a": 2, b"m": 3, 7: 4, "b": 5}
        got = yield self.answer("echo dict order", self.root, "echo", ordered)
        if not isinstance(got, dict) or list(got.keys()) != list(ordered.keys()):
            self.fail("echo dict order", list(ordered.keys()),
                      list(got.keys()) if isinstance(got, dict) else short(got))
        self.ok("echo dict order")

        # identity: a list shared twice comes back as one list
        x = [1]
        got = yield self.answer("echo shared reference", self.root, "echo", [x, x])
        problem = compare([x, x], got)
        if problem is None and got[0] is not got[1]:
            problem = "result[0] is not result[1]"
        if problem is not None:
            self.fail("echo shared reference", "[x, x] with result[0] is result[1]",
                      "%s -- %s" % (short(got), problem))
        self.ok("echo shared reference")

        # a list that contains itself
        loop = []
        loop.append(loop)
        got = yield self.answer("echo self-cycle list", self.root, "echo", loop)
        if not (type(got) is list and len(got) == 1 and got[0] is got):
            self.fail("echo self-cycle list", "l with l[0] is l", short(got))
        self.ok("echo self-cycle list")

        # a tuple holding a list that holds the tuple
        tup = ([],)
        tup[0].append(tup)
        got = yield self.answer("echo tuple-list cycle", self.root, "echo", tup)
        if not (type(got) is tuple and len(got) == 1 and type(got[0]) is list
                and len(got[0]) == 1 and got[0][0] is got):
            self.fail("echo tuple-list cycle", "t with t[0][0] is t", short(got))
        self.expect_equal("echo tuple-list cycle", tup, got)

        # a dict that holds itself as a value
        selfdict = {"name": "d"}
        selfdict["self"] = selfdict
        got = yield self.answer("echo self-cycle dict", self.root, "echo", selfdict)
        if not (type(got) is dict and got.get("self") is got and got.get("name") == "d"):
            self.fail("echo self-cycle dict", "d with d['self'] is d", short(got))
        self.expect_equal("echo self-cycle dict", selfdict, got)

        # sharing across several levels
        inner = {"k": [1, 2]}
        outer = [inner, (inner, inner["k"]), [inner["k"]]]
        got = yield self.answer("echo shared nested", self.root, "echo", outer)
        self.expect_equal("echo shared nested", outer, got)

    @defer.inlineCallbacks
    def check_add(self):
        cases = [
            ("add 2+3", 2, 3, 5),
            ("add big ints 2**100+1", 2 ** 100, 1, 2 ** 100 + 1),
            ("add big ints to 2**448-1", 2 ** 447, 2 ** 447 - 1, 2 ** 448 - 1),
            ("add big ints to 0", -(2 ** 448 - 1), 2 ** 448 - 1, 0),
            ("add int+float", 1, 2.5, 3.5),
            ("add float+int", 2.25, -3, -0.75),
            ("add float+float", 0.1, 0.2, 0.1 + 0.2),
            ("add crossing 2**31 up", 2 ** 31 - 1, 1, 2 ** 31),
            ("add crossing -2**31 down", -(2 ** 31), -1, -(2 ** 31) - 1),
            ("add crossing -2**31 up", -(2 ** 31) - 1, 1, -(2 ** 31)),
            ("add negative result from big", 2 ** 31, -(2 ** 32), -(2 ** 31)),
            ("add negative big result", -(2 ** 63), -(2 ** 63), -(2 ** 64)),
        ]
        for name, a, b, expected in cases:
            got = yield self.answer(name, self.root, "add", a, b)
            self.expect_equal(name, expected, got)

    @defer.inlineCallbacks
    def check_fail(self):
        for name, message in (("fail boom", "boom"),
                              ("fail non-ascii message", "d\u00e9j\u00e0 vu \u2603")):
            [f] = yield self.failure(name, self.root, "fail", message)
            if not isinstance(f, pb.CopiedFailure):
                self.fail(name, "a CopiedFailure", describe_failure(f))
            if f.type not in (b"conformance.Failure", "conformance.Failure"):
                self.fail(name, "type conformance.Failure", "type %r" % (f.type,))
            if f.getErrorMessage() != message:
                self.fail(name, "getErrorMessage() == %r" % (message,),
                          "getErrorMessage() == %r" % (f.getErrorMessage(),))
            self.ok(name)

    @defer.inlineCallbacks
    def check_no_such_method(self):
        name = "no such method"
        [f] = yield self.failure(name, self.root, "noSuchMethodHere", 1)
        type_name = f.type.decode("utf-8", "replace") if isinstance(f.type, bytes) else f.type
        if not isinstance(type_name, str):
            type_name = getattr(type_name, "__module__", "") + "." + getattr(
                type_name, "__qualname__", str(type_name))
        wanted = "twisted.spread.flavors.NoSuchMethod"
        if not isinstance(f, pb.CopiedFailure) or not (
                type_name == wanted or f.check(wanted)):
            self.fail(name, "a CopiedFailure of type " + wanted, describe_failure(f))
        self.ok(name)

    @defer.inlineCallbacks
    def check_child(self):
        c = yield self.answer("child x", self.root, "child", "x")
        if not isinstance(c, pb.RemoteReference):
            self.fail("child x", "a RemoteReference", short(c))
        self.ok("child x")
        got = yield self.answer("child x name", c, "name")
        self.expect_equal("child x name", "x", got)
        got = yield self.answer("child x get before set", c, "get")
        self.expect_equal("child x get before set", None, got)
        got = yield self.answer("child x set 5", c, "set", 5)
        self.expect_equal("child x set 5", None, got)
        got = yield self.answer("child x get 5", c, "get")
        self.expect_equal("child x get 5", 5, got)
        got = yield self.answer("child x set list", c, "set", [1, "two"])
        self.expect_equal("child x set list", None, got)
        got = yield self.answer("child x get list", c, "get")
        self.expect_equal("child x get list", [1, "two"], got)

        c2 = yield self.answer("child y", self.root, "child", "y")
        if not isinstance(c2, pb.RemoteReference):
            self.fail("child y", "a RemoteReference", short(c2))
        self.ok("child y")
        got = yield self.answer("child y name", c2, "name")
        self.expect_equal("child y name", "y", got)
        got = yield self.answer("child y get independent", c2, "get")
        self.expect_equal("child y get independent", None, got)
        got = yield self.answer("child y set", c2, "set", "why")
        self.expect_equal("child y set", None, got)
        got = yield self.answer("child x unchanged by y", c, "get")
        self.expect_equal("child x unchanged by y", [1, "two"], got)
        got = yield self.answer("child y get", c2, "get")
        self.expect_equal("child y get", "why", got)

    @defer.inlineCallbacks
    def release(self):
        """Collect dropped proxies (their decrefs are written at once), then
        give the reactor a turn so the decrefs are on the wire."""
        gc.collect()
        yield self.turn()
        gc.collect()
        yield self.turn()

    @defer.inlineCallbacks
    def check_refs(self):
        yield self.release()
        baseline = yield self.answer("refs baseline", self.root, "refs")
        if type(baseline) is not int or baseline < 0:
            self.fail("refs baseline", "a non-negative int", short(baseline))
        self.ok("refs baseline (%d)" % baseline)

        held = {}
        held["a"] = yield self.answer("refs child a", self.root, "child", "a")
        held["b"] = yield self.answer("refs child b", self.root, "child", "b")
        got = yield self.answer("refs after two children", self.root, "refs")
        self.expect_equal("refs after two children", baseline + 2, got)

        del held["a"]
        yield self.release()
        got = yield self.answer("refs after dropping one child", self.root, "refs")
        self.expect_equal("refs after dropping one child", baseline + 1, got)

        # the remaining child still works
        got = yield self.answer("refs remaining child alive", held["b"], "name")
        self.expect_equal("refs remaining child alive", "b", got)

        del held["b"]
        yield self.release()
        got = yield self.answer("refs after dropping both", self.root, "refs")
        self.expect_equal("refs after dropping both", baseline, got)

    @defer.inlineCallbacks
    def check_store(self):
        helper = ClientHelper()
        got = yield self.answer("store", self.root, "store", helper)
        self.expect_equal("store", None, got)
        got = yield self.answer("callStored greet", self.root, "callStored", "greet", "bob")
        self.expect_equal("callStored greet", "hello bob", got)
        got = yield self.answer("callStored add", self.root, "callStored", "add", 2, 3)
        self.expect_equal("callStored add", 5, got)
        got = yield self.answer("callStored bytes method name", self.root, "callStored",
                                b"greet", "alice")
        self.expect_equal("callStored bytes method name", "hello alice", got)
        got = yield self.answer("callStored big add", self.root, "callStored", "add",
                                2 ** 200, -(2 ** 201))
        self.expect_equal("callStored big add", -(2 ** 200), got)
        [f] = yield self.failure("callStored missing method", self.root, "callStored",
                               "noSuchClientMethod")
        if not isinstance(f, pb.CopiedFailure):
            self.fail("callStored missing method", "a CopiedFailure", describe_failure(f))
        self.ok("callStored missing method")
        if helper.calls != ["greet", "add", "greet", "add"]:
            self.fail("callStored reached the client", ["greet", "add", "greet", "add"],
                      helper.calls)
        self.ok("callStored reached the client")


    # ------------------------------------------------------------------
    # Copyable and Cacheable

    @defer.inlineCallbacks
    def check_copy(self):
        p = yield self.answer("point", self.root, "point", 1, 2.5)
        if not isinstance(p, RemotePoint):
            self.fail("point", "a RemotePoint (tag conformance.Point)",
                      "%s (%s)" % (short(p), type(p).__name__))
        self.ok("point")
        # The state must be exactly {"x": 1, "y": 2.5} with str keys: Twisted
        # sends attribute names as [unicode, ..], and Braid must too.
        self.expect_equal("point state", {"x": 1, "y": 2.5}, p.raw_state)
        self.expect_equal("point x", 1, p.x)
        self.expect_equal("point y", 2.5, p.y)

        got = yield self.answer("pointSum", self.root, "pointSum", Point(3, 4))
        self.expect_equal("pointSum", 7, got)
        got = yield self.answer("pointSum floats", self.root, "pointSum", Point(0.5, -2))
        self.expect_equal("pointSum floats", -1.5, got)

        # A class the server has not registered is refused the way Twisted
        # refuses one: an error of type InsecureJelly, and the connection
        # stays up.
        name = "echo unregistered class"
        [f] = yield self.failure(name, self.root, "echo", Unregistered())
        type_name = f.type.decode("utf-8", "replace") if isinstance(f.type, bytes) else f.type
        wanted = "twisted.spread.jelly.InsecureJelly"
        if not isinstance(f, pb.CopiedFailure) or not (
                type_name == wanted or f.check(wanted)):
            self.fail(name, "a CopiedFailure of type " + wanted, describe_failure(f))
        self.ok(name)
        got = yield self.answer("echo after the refused class", self.root, "echo", 1)
        self.expect_equal("echo after the refused class", 1, got)

    @defer.inlineCallbacks
    def counter(self, name, root):
        c = yield self.answer(name, root, "counter")
        if not isinstance(c, CounterCache):
            self.fail(name, "a CounterCache (RemoteCache of conformance.Counter)",
                      "%s (%s)" % (short(c), type(c).__name__))
        if type(c.value) is not int or c.value < 0:
            self.fail(name, "state {'value': n} (str key, n a non-negative int)",
                      short(c.raw_state))
        return c

    @defer.inlineCallbacks
    def bump(self, name, expected):
        got = yield self.answer(name, self.root, "bump")
        self.expect_equal(name, expected, got)
        return got

    @defer.inlineCallbacks
    def observers(self, name):
        got = yield self.answer(name, self.root, "observers")
        if type(got) is not int or got < 0:
            self.fail(name, "a non-negative int", short(got))
        return got

    @defer.inlineCallbacks
    def wait_for(self, name, condition, describe):
        """Poll condition() (a Deferred of a bool) for at most self.timeout."""
        deadline = reactor.seconds() + self.timeout
        while True:
            done = yield condition()
            if done:
                return
            if reactor.seconds() >= deadline:
                self.fail(name, describe(), "not within %gs" % self.timeout)
            yield self.sleep(0.05)

    @defer.inlineCallbacks
    def check_cache(self):
        # The counter is shared by every connection to the server, so these
        # checks assume no other client is using it meanwhile.
        held = {}
        c = held["c1"] = yield self.counter("counter", self.root)
        self.ok("counter (value %d)" % c.value)
        v0 = c.value
        seen = [v0]

        n = yield self.bump("bump", v0 + 1)
        seen.append(n)
        # setValue is written before bump's answer, so the cache is up to
        # date once the answer is in (one reactor turn of slack).
        yield self.turn()
        self.expect_equal("cache follows bump", n, c.value)

        again = held["c1 again"] = yield self.counter("counter again", self.root)
        if again.__dict__ is not c.__dict__:
            self.fail("counter again", "the same cache (shared __dict__)",
                      "a different cache with value %s" % short(again.value))
        self.ok("counter again is the same cache")
        self.expect_equal("counter again value", n, again.value)

        base = yield self.observers("observers")
        if base < 1:
            self.fail("observers", ">= 1", base)
        self.ok("observers (%d)" % base)

        # A second connection also observes the counter.
        factory2, root2 = yield self.connect_again("second connection")
        self.ok("second connection")
        c2 = held["c2"] = yield self.counter("second connection counter", root2)
        self.expect_equal("second connection counter", n, c2.value)
        got = yield self.observers("observers with a second connection")
        self.expect_equal("observers with a second connection", base + 1, got)

        n = yield self.bump("bump seen by both", n + 1)
        seen.append(n)
        yield self.turn()
        self.expect_equal("bump seen by both: first cache", n, c.value)

        def second_caught_up():
            return defer.succeed(c2.value == n)

        yield self.wait_for("bump seen by both: second cache", second_caught_up,
                            lambda: "the second cache's value %d (it has %d)" % (n, c2.value))
        self.ok("bump seen by both: second cache")
        self.expect_equal("second cache got each setValue once", [n], c2.seen)

        # The second connection goes away while it still holds its copy: the
        # server must drop that observer (connection lost) and stop sending
        # to it.
        factory2.disconnect()
        self.extra.remove(factory2)

        @defer.inlineCallbacks
        def dropped():
            got = yield self.observers("observers after the second connection closed")
            return got == base

        yield self.wait_for("observers after the second connection closed", dropped,
                            lambda: "observers() == %d" % base)
        self.ok("observers after the second connection closed")

        n = yield self.bump("bump after the second connection closed", n + 1)
        seen.append(n)
        yield self.turn()
        self.expect_equal("cache follows bump after the close", n, c.value)
        got = yield self.observers("observers unchanged by bump")
        self.expect_equal("observers unchanged by bump", base, got)
        self.expect_equal("first cache got each setValue once", seen[1:], c.seen)
        del c2, held["c2"]

        # Releasing every copy on this connection decaches the counter: the
        # server drops this observer (stoppedObserving) and answers uncache.
        del c, again, held["c1"], held["c1 again"]
        yield self.release()
        got = yield self.observers("observers after releasing the copies")
        self.expect_equal("observers after releasing the copies", base - 1, got)
        n = yield self.bump("bump after releasing the copies", n + 1)
        got = yield self.observers("observers unchanged by the last bump")
        self.expect_equal("observers unchanged by the last bump", base - 1, got)

        # Asking again after the release sends the counter in full once more.
        c = yield self.counter("counter after release", self.root)
        self.expect_equal("counter after release", n, c.value)
        got = yield self.observers("observers after counter again")
        self.expect_equal("observers after counter again", base, got)
        del c
        yield self.release()
        got = yield self.observers("observers after the second release")
        self.expect_equal("observers after the second release", base - 1, got)


class Point(pb.Copyable):
    """The client's own conformance.Point, sent to pointSum."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def getTypeToCopy(self):
        return b"conformance.Point"

    def getStateToCopy(self):
        return {"x": self.x, "y": self.y}


class RemotePoint(pb.RemoteCopy):
    """What point() answers."""

    def setCopyableState(self, state):
        # The default turns bytes keys into str; keep the state exactly as it
        # arrived too, so the key types can be checked.
        raw = dict(state) if isinstance(state, dict) else state
        pb.RemoteCopy.setCopyableState(self, state)
        self.raw_state = raw


pb.setUnjellyableForClass("conformance.Point", RemotePoint)


class Unregistered(pb.Copyable):
    """A class no server registers: conformance.Unregistered."""

    def getTypeToCopy(self):
        return b"conformance.Unregistered"

    def getStateToCopy(self):
        return {"z": 1}


class CounterCache(pb.RemoteCache):
    """The client's copy of the shared conformance.Counter.

    Every copy of the same counter on one connection shares this state
    (Twisted hands out "borg" copies); seen lists the setValue updates.
    """

    def setCopyableState(self, state):
        # The state must be {"value": n} with a str key.
        self.raw_state = dict(state) if isinstance(state, dict) else state
        self.value = state.get("value") if isinstance(state, dict) else None
        self.seen = []

    def observe_setValue(self, value):
        self.value = value
        self.seen.append(value)


pb.setUnjellyableForClass("conformance.Counter", CounterCache)


class ClientHelper(pb.Referenceable):
    """The client-side object the server stores and calls back."""

    def __init__(self):
        self.calls = []

    def remote_greet(self, name):
        self.calls.append("greet")
        return "hello " + name

    def remote_add(self, a, b):
        self.calls.append("add")
        return a + b


def echo_cases():
    """(name, value) pairs echoed and compared by value and exact type."""
    nested = {
        "list": [1, [2, [3, [4, ()]]], {"x": (5, b"six")}],
        "set in tuple": ({1, 2}, frozenset({"f"})),
        b"when": [datetime.date(1999, 12, 31), datetime.timedelta(seconds=1)],
        (1, ("a", b"b")): {"deep": {"deeper": [None, True, False, 1.25]}},
    }
    return [
        ("None", None),
        ("True", True),
        ("False", False),
        ("int 0", 0),
        ("int 1", 1),
        ("int -1", -1),
        ("int 2**31-1", 2 ** 31 - 1),
        ("int 2**31", 2 ** 31),
        ("int -2**31", -(2 ** 31)),
        ("int -2**31-1", -(2 ** 31) - 1),
        ("int 2**63", 2 ** 63),
        ("int 2**448-1", 2 ** 448 - 1),
        ("int -(2**448-1)", -(2 ** 448 - 1)),
        ("float 1.5", 1.5),
        ("float -0.0", -0.0),
        ("float inf", float("inf")),
        ("float -inf", float("-inf")),
        ("float nan", float("nan")),
        ("bytes empty", b""),
        ("bytes binary", b"bytes\x00\xff"),
        ("str empty", ""),
        ("str unicode", "unicode \u00e9 \u2603"),
        ("list empty", []),
        ("list mixed", [1, "a", b"b"]),
        ("tuple empty", ()),
        ("tuple nested", (1, (2, 3))),
        ("dict empty", {}),
        ("dict mixed keys", {"k": "v", b"bk": 1, 3: None, (1, 2): [1]}),
        ("set empty", set()),
        ("set ints", {1, 2, 3}),
        ("frozenset", frozenset({"a"})),
        ("datetime", datetime.datetime(2020, 7, 11, 1, 16, 5, 344)),
        ("date", datetime.date(2020, 7, 11)),
        ("time", datetime.time(1, 16, 5, 344)),
        ("timedelta", datetime.timedelta(days=1, seconds=2, microseconds=3)),
        ("timedelta negative", datetime.timedelta(microseconds=-1)),
        ("decimal 9.95", decimal.Decimal("9.95")),
        ("decimal -78.901", decimal.Decimal("-78.901")),
        ("decimal 1E+3", decimal.Decimal("1E+3")),
        ("nested containers", nested),
        ("long list 10000 ints", list(range(-5000, 5000))),
        ("bytes 600000", bytes(range(256)) * 2343 + b"\x01" * 192),
    ]


_MISSING = object()


def compare(expected, got, path="value", pairs=None):
    """Compare by value and exact type, following shared and cyclic structure.

    Containers are matched one to one: if the same container appears twice
    in `expected`, the matching positions in `got` must hold one container
    too, and two distinct containers must not come back as one.  Returns None
    when equal, else a short description of the first difference.
    """
    if pairs is None:
        pairs = ({}, {})
    forward, backward = pairs
    if type(expected) is not type(got):
        return "%s: type %s, want %s" % (path, type(got).__name__, type(expected).__name__)
    kind = type(expected)

    if kind is float:
        if math.isnan(expected):
            return None if math.isnan(got) else "%s: %r, want nan" % (path, got)
        if expected != got or math.copysign(1.0, expected) != math.copysign(1.0, got):
            return "%s: %r, want %r" % (path, got, expected)
        return None
    if kind is decimal.Decimal:
        if expected.as_tuple() != got.as_tuple():
            return "%s: %r, want %r" % (path, got, expected)
        return None
    if kind not in (list, tuple, dict, set, frozenset):
        if expected != got:
            return "%s: %s, want %s" % (path, short(got), short(expected))
        return None

    # Empty tuples/frozensets may be interpreter singletons: no identity rule.
    if len(expected) or kind in (list, dict, set):
        seen = forward.get(id(expected), _MISSING)
        if seen is not _MISSING:
            if seen is not got:
                return "%s: shared/cyclic object came back as a different object" % path
            return None
        if id(got) in backward and backward[id(got)] is not expected:
            return "%s: two distinct objects came back as one" % path
        forward[id(expected)] = got
        backward[id(got)] = expected

    if len(expected) != len(got):
        return "%s: length %d, want %d" % (path, len(got), len(expected))
    if kind in (list, tuple):
        for index, (e, g) in enumerate(zip(expected, got)):
            problem = compare(e, g, "%s[%d]" % (path, index), pairs)
            if problem:
                return problem
        return None
    if kind in (set, frozenset):
        members = {m: m for m in got}
        for e in expected:
            g = members.get(e, _MISSING)
            if g is _MISSING:
                return "%s: member %s missing" % (path, short(e))
            problem = compare(e, g, "%s member %s" % (path, short(e)), pairs)
            if problem:
                return problem
        return None
    # dict
    keys = {k: k for k in got}
    for ek, ev in expected.items():
        gk = keys.get(ek, _MISSING)
        if gk is _MISSING:
            return "%s: key %s missing" % (path, short(ek))
        problem = compare(ek, gk, "%s key %s" % (path, short(ek)), pairs)
        if problem:
            return problem
        problem = compare(ev, got[gk], "%s[%s]" % (path, short(ek)), pairs)
        if problem:
            return problem
    return None


def describe_failure(f):
    if f is None:
        return "None"
    if hasattr(f, "getErrorMessage"):
        type_name = f.type
        if isinstance(type_name, type):
            type_name = type_name.__module__ + "." + type_name.__qualname__
        return "%s %s: %s" % (type(f).__name__, short(type_name), short(f.getErrorMessage()))
    return "%s: %s" % (type(f).__name__, short(f))


class Outcome:
    code = None


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Twisted PB conformance client",
        usage="%(prog)s " + pb_transport.CLIENT_USAGE + " [options]")
    pb_transport.add_client_options(parser)
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help="seconds to wait for each answer (default %g)" % TIMEOUT)
    parser.add_argument("--verbose", action="store_true",
                        help="send Twisted's own log to stderr")
    args = parser.parse_args(argv)
    pb_transport.check_client_options(parser, args)

    def connect(client_factory):
        pb_transport.connect(args, client_factory, args.timeout)

    # Twisted logs every failure it sends back (the callStored check makes the
    # server call a method this client lacks); keep that off stderr unless
    # asked for.
    observers = [textFileLogObserver(sys.stderr)] if args.verbose else [lambda event: None]
    globalLogBeginner.beginLoggingTo(observers, redirectStandardIO=False)

    outcome = Outcome()
    factory = pb.PBClientFactory()

    checkers = []

    def finish(code):
        if outcome.code is None:
            outcome.code = code
        for checker in checkers:
            checker.close()
        factory.disconnect()
        if reactor.running:
            reactor.callLater(0, reactor.stop)

    @defer.inlineCallbacks
    def session():
        try:
            d = factory.getRootObject()
            d.addTimeout(args.timeout, reactor)
            root = yield d
        except Exception as exc:
            print("ERROR cannot connect to %s: %s" % (
                pb_transport.describe_target(args),
                pb_transport.describe_connect_error(factory, exc)), flush=True)
            finish(2)
            return
        checker = Checker(root, args.timeout, connect)
        checkers.append(checker)
        try:
            yield checker.run()
        except CheckFailed as failed:
            print("FAIL %s" % failed.name, flush=True)
            print("  expected: %s" % (failed.expected,), flush=True)
            print("  got:      %s" % (failed.got,), flush=True)
            finish(1)
            return
        except Exception:
            print("FAIL unexpected error after %d checks" % checker.passed, flush=True)
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
            finish(1)
            return
        print("PASS %d checks" % checker.passed, flush=True)
        finish(0)

    connect(factory)
    reactor.callWhenRunning(session)
    reactor.run()
    return 1 if outcome.code is None else outcome.code


if __name__ == "__main__":
    sys.exit(main())
