#!/usr/bin/python3
"""Stock Twisted PB client that checks a server's cred login.

Run it with Debian's interpreter (python3-twisted 22.4):

    /usr/bin/python3 twisted_login_client.py (HOST PORT | --unix PATH)
        --user U --password P
        [--wrong-password W] [--expect-anonymous ok|refused]
        [--timeout SECONDS] [--verbose]
        [--tls-ca CA.pem [--tls-hostname NAME]
            [--tls-cert CERT.pem --tls-key KEY.pem]]

Plain TCP to HOST PORT by default; --tls-ca connects with TLS (connectSSL with
optionsForClientTLS, verifying the server against CA.pem and HOST or NAME),
optionally with a client certificate; --unix connects to a Unix socket
instead of HOST PORT.  The transport code is in pb_transport.py, next to this
file.

It logs in with PBClientFactory.login(UsernamePassword(user, password),
client=mind), exactly as a Twisted application would, then drives the avatar
with callRemote.  The server must follow the login contract in README.md.
Each passed check prints ``ok <check>``; at the end it prints
``PASS <n> checks``.

Exit status:
    0  every check passed
    1  a check failed (printed with expected and got; a call with no answer
       within the timeout, or a lost connection, counts as a failure)
    2  the client could not connect or could not get the root object
"""

import argparse
import gc
import reprlib
import secrets
import sys
import traceback

sys.dont_write_bytecode = True  # keep __pycache__ out of testdata/
import pb_transport  # noqa: E402  (the helper next to this script)

from twisted.cred import credentials
from twisted.internet import defer, reactor, task
from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.spread import pb

TIMEOUT = 10.0
UNAUTHORIZED = "twisted.cred.error.UnauthorizedLogin"
UNHANDLED = "twisted.cred.error.UnhandledCredentials"

_short = reprlib.Repr()
_short.maxstring = 80
_short.maxother = 80
_short.maxlist = 8
_short.maxdict = 8
_short.maxlevel = 4


def short(value):
    try:
        return _short.repr(value)
    except Exception as exc:  # a CopiedFailure's repr raises on 22.4
        return "<unprintable %s: %s>" % (type(value).__name__, exc)


def describe(f):
    """One line about a Failure (local or CopiedFailure)."""
    kind = f.type
    if isinstance(kind, type):
        kind = kind.__module__ + "." + kind.__qualname__
    text = "%s type=%s value=%s" % (type(f).__name__, short(kind),
                                     short(f.getErrorMessage()))
    parents = getattr(f, "parents", None)
    if isinstance(f, pb.CopiedFailure) and parents is not None:
        text += " parents=%s" % short(list(parents))
    return text


class CheckFailed(Exception):
    def __init__(self, name, expected, got):
        Exception.__init__(self, name)
        self.name = name
        self.expected = expected
        self.got = got


class Mind(pb.Referenceable):
    """The client object handed to the server at login; it may call us."""

    def __init__(self):
        self.calls = []

    def remote_ping(self, *args):
        self.calls.append(("ping", args))
        return "pong"


class LoginChecker:
    def __init__(self, factory, args):
        self.factory = factory
        self.user = args.user
        self.password = args.password
        self.wrong_password = args.wrong_password
        self.expect_anonymous = args.expect_anonymous
        self.timeout = args.timeout
        self.passed = 0
        # Avatars still held when the run ends stay here until the client
        # has disconnected, so the server must log them out on connection
        # loss (not on a decref).
        self.held = {}

    # ------------------------------------------------------------------
    # plumbing

    def ok(self, name):
        self.passed += 1
        print("ok", name, flush=True)

    def fail(self, name, expected, got):
        raise CheckFailed(name, expected, got)

    def timed(self, d):
        d.addTimeout(self.timeout, reactor)
        return d

    def call(self, ref, method, *args):
        try:
            d = ref.callRemote(method, *args)
        except Exception:
            return defer.fail()
        return self.timed(d)

    def login_deferred(self, creds, mind):
        try:
            d = self.factory.login(creds, client=mind)
        except Exception:
            return defer.fail()
        return self.timed(d)

    @defer.inlineCallbacks
    def settle(self, name, d):
        """Wait for d; return ("answer", value) or ("failure", Failure).

        A timeout or a lost connection fails check `name` at once."""
        holder = []
        d.addErrback(holder.append)
        value = yield d
        if not holder:
            return ("answer", value)
        f = holder[0]
        if not isinstance(f, pb.CopiedFailure):
            if f.check(defer.TimeoutError, defer.CancelledError):
                self.fail(name, "an answer or an error", "no answer within %gs" % self.timeout)
            if f.check(pb.PBConnectionLost):
                self.fail(name, "an answer or an error", "connection lost (PBConnectionLost)")
        return ("failure", f)

    @defer.inlineCallbacks
    def answer(self, name, ref, method, *args):
        kind, value = yield self.settle(name, self.call(ref, method, *args))
        if kind == "failure":
            self.fail(name, "an answer", "errback " + describe(value))
        return value

    def turn(self):
        return task.deferLater(reactor, 0, lambda: None)

    @defer.inlineCallbacks
    def release(self):
        """Collect dropped proxies, then let the decrefs reach the wire."""
        gc.collect()
        yield self.turn()
        gc.collect()
        yield self.turn()

    def expect_exact(self, name, expected, got):
        """Equal by value, and of exactly the same type all the way down."""
        problem = exact_difference(expected, got)
        if problem is not None:
            self.fail(name, "%s (%s)" % (short(expected), type(expected).__name__),
                      "%s (%s) -- %s" % (short(got), type(got).__name__, problem))
        self.ok(name)

    def expect_reference(self, name, got):
        if not isinstance(got, pb.RemoteReference):
            self.fail(name, "a RemoteReference", "%s (%s)" % (short(got), type(got).__name__))
        self.ok(name)

    @defer.inlineCallbacks
    def login(self, name, creds, mind):
        """Log in; the avatar reference must come back."""
        kind, value = yield self.settle(name, self.login_deferred(creds, mind))
        if kind == "failure":
            self.fail(name, "an avatar reference", "errback " + describe(value))
        self.expect_reference(name, value)
        return value

    @defer.inlineCallbacks
    def refused(self, name, creds, allowed):
        """Log in; it must errback with a CopiedFailure that checks as one of
        `allowed` (fully-qualified names), the way f.trap() would test it."""
        kind, value = yield self.settle(name, self.login_deferred(creds, None))
        wanted = " or ".join(allowed)
        if kind == "answer":
            self.fail(name, "errback " + wanted, "answer %s" % short(value))
        if not isinstance(value, pb.CopiedFailure) or not value.check(*allowed):
            self.fail(name, "errback " + wanted, describe(value))
        self.ok(name)
        # (nothing returned: a Failure as a Deferred's result would errback)

    # ------------------------------------------------------------------
    # the checks

    @defer.inlineCallbacks
    def run(self):
        user_b = self.user.encode("utf-8")
        password_b = self.password.encode("utf-8")
        mind = Mind()

        # 1. the first login and its avatar
        avatars = self.held
        avatars["first"] = yield self.login(
            "login", credentials.UsernamePassword(user_b, password_b), mind)
        yield self.check_avatar("", avatars["first"], self.user)

        # 2. a second, independent login on the same factory (same connection)
        mind2 = Mind()
        avatars["second"] = yield self.login(
            "second login", credentials.UsernamePassword(user_b, password_b), mind2)
        if avatars["second"].luid == avatars["first"].luid:
            self.fail("second login is a separate avatar",
                      "a luid other than %d" % avatars["first"].luid,
                      "luid %d" % avatars["second"].luid)
        self.ok("second login is a separate avatar")
        got = yield self.answer("second login whoami", avatars["second"], "whoami")
        self.expect_exact("second login whoami", self.user, got)
        got = yield self.answer("first login still answers", avatars["first"], "whoami")
        self.expect_exact("first login still answers", self.user, got)

        # 3. refusals
        yield self.refused(
            "wrong password refused",
            credentials.UsernamePassword(user_b, self.wrong_password.encode("utf-8")),
            [UNAUTHORIZED])
        unknown = "nobody-" + secrets.token_hex(4)
        yield self.refused(
            "unknown user refused",
            credentials.UsernamePassword(unknown.encode("utf-8"), password_b),
            [UNAUTHORIZED])

        # 4. anonymous
        if self.expect_anonymous == "ok":
            avatars["anonymous"] = yield self.login(
                "anonymous login", credentials.Anonymous(), Mind())
            yield self.check_avatar("anonymous ", avatars["anonymous"], "anonymous")
        else:
            yield self.refused("anonymous login refused", credentials.Anonymous(),
                               [UNAUTHORIZED, UNHANDLED])

        # 5. drop the first avatar (decref -> logout on the server); the
        #    others must be unaffected.  They are left for the disconnect to
        #    release, so both ways of logging out are exercised.
        del avatars["first"]
        yield self.release()
        got = yield self.answer("second login alive after first released",
                                avatars["second"], "whoami")
        self.expect_exact("second login alive after first released", self.user, got)
        got = yield self.answer("second login echo after first released",
                                avatars["second"], "echo", ["still", b"here", 1])
        self.expect_exact("second login echo after first released",
                          ["still", b"here", 1], got)

    @defer.inlineCallbacks
    def check_avatar(self, prefix, avatar, name):
        got = yield self.answer(prefix + "whoami", avatar, "whoami")
        self.expect_exact(prefix + "whoami", name, got)

        for label, value in echo_cases():
            check = "%secho %s" % (prefix, label)
            got = yield self.answer(check, avatar, "echo", value)
            self.expect_exact(check, value, got)

        view = yield self.answer(prefix + "viewable", avatar, "viewable")
        self.expect_reference(prefix + "viewable", view)
        got = yield self.answer(prefix + "viewable whoami", view, "whoami")
        self.expect_exact(prefix + "viewable whoami", name, got)


def echo_cases():
    return [
        ("int", 42),
        ("negative int", -7),
        ("str", "h\u00e9llo \u2603"),
        ("bytes", b"raw\x00\xff"),
        ("list", [1, "two", b"three", None]),
        ("dict", {"a": 1, "b": [2, 3], "c": {"d": None}}),
        ("None", None),
    ]


def exact_difference(expected, got, path="value"):
    """None if equal with identical types throughout, else a description."""
    if type(expected) is not type(got):
        return "%s: type %s, want %s" % (path, type(got).__name__, type(expected).__name__)
    if isinstance(expected, list):
        if len(expected) != len(got):
            return "%s: length %d, want %d" % (path, len(got), len(expected))
        for index, (e, g) in enumerate(zip(expected, got)):
            problem = exact_difference(e, g, "%s[%d]" % (path, index))
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if list(expected) != list(got):
            return "%s: keys %s, want %s" % (path, short(list(got)), short(list(expected)))
        for key in expected:
            problem = exact_difference(key, next(k for k in got if k == key),
                                       "%s key %r" % (path, key))
            if problem:
                return problem
            problem = exact_difference(expected[key], got[key], "%s[%r]" % (path, key))
            if problem:
                return problem
        return None
    if expected != got:
        return "%s: %s, want %s" % (path, short(got), short(expected))
    return None


class Outcome:
    code = None
    checker = None


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Twisted PB login conformance client",
        usage="%(prog)s " + pb_transport.CLIENT_USAGE
              + " --user U --password P [options]")
    pb_transport.add_client_options(parser)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--wrong-password", default=None,
                        help="a password that must be refused (default: the "
                             "right one with '-wrong' appended)")
    parser.add_argument("--expect-anonymous", choices=("ok", "refused"), default="refused",
                        help="whether anonymous login must succeed (default refused)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help="seconds to wait for each answer (default %g)" % TIMEOUT)
    parser.add_argument("--verbose", action="store_true",
                        help="send Twisted's own log to stderr")
    args = parser.parse_args(argv)
    pb_transport.check_client_options(parser, args)
    if args.wrong_password is None:
        args.wrong_password = args.password + "-wrong"
    if args.wrong_password == args.password:
        parser.error("--wrong-password must differ from --password")

    observers = [textFileLogObserver(sys.stderr)] if args.verbose else [lambda event: None]
    globalLogBeginner.beginLoggingTo(observers, redirectStandardIO=False)

    outcome = Outcome()
    factory = pb.PBClientFactory()

    def finish(code):
        if outcome.code is None:
            outcome.code = code
        factory.disconnect()
        if reactor.running:
            reactor.callLater(0, reactor.stop)

    @defer.inlineCallbacks
    def session():
        # Connecting is checked on its own, so that a dead server is exit 2
        # and not a failed login.
        try:
            d = factory.getRootObject()
            d.addTimeout(args.timeout, reactor)
            yield d
        except Exception as exc:
            print("ERROR cannot connect to %s: %s" % (
                pb_transport.describe_target(args),
                pb_transport.describe_connect_error(factory, exc)), flush=True)
            finish(2)
            return
        checker = LoginChecker(factory, args)
        outcome.checker = checker  # keeps checker.held alive past the disconnect
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
        # Disconnecting drops the avatars still held (the second login, and
        # the anonymous one); the server must log those out too.
        finish(0)

    pb_transport.connect(args, factory, args.timeout)
    reactor.callWhenRunning(session)
    reactor.run()
    return 1 if outcome.code is None else outcome.code


if __name__ == "__main__":
    sys.exit(main())
