#!/usr/bin/python3
"""Twisted PB server with cred login, for Braid's login conformance tests.

Run it with Debian's interpreter (python3-twisted 22.4):

    /usr/bin/python3 twisted_login_server.py --users FILE [--port N]
        [--anonymous] [--broken] [--no-stdin-watch]
        [--tls-cert CERT.pem --tls-key KEY.pem
            [--tls-ca CA.pem [--tls-require-client-cert]] | --unix PATH]

The root object is a twisted.cred Portal.  Users come from FILE, one
``user:password`` per line (the first colon splits; blank lines and lines
starting with ``#`` are skipped).  They are checked with
InMemoryUsernamePasswordDatabaseDontUse, which accepts the PB MD5
challenge-response.  Usernames are kept as bytes, as in any stock Twisted
deployment, so a client must send its username as a byte string.
--anonymous adds AllowAnonymousAccess; without it an anonymous login fails
with UnhandledCredentials.

Every avatar has perspective_whoami(), perspective_echo(x) and
perspective_viewable().  The last one returns a single Viewable shared by all
avatars; its view_whoami(perspective) answers the name of the avatar that
called it.  The anonymous avatar's name is "anonymous".  --broken makes
perspective_whoami() answer the name upper-cased, so a client can be shown to
fail.

It listens on 127.0.0.1 with plain TCP by default, or with TLS given
--tls-cert/--tls-key (--tls-ca verifies client certificates,
--tls-require-client-cert demands one), or on the Unix socket PATH given
--unix; the transport code is in pb_transport.py, next to this file.

Output: one line ``PORT <n>`` (TCP, TLS) or ``UNIX <path>`` (--unix) on stdout
once listening, nothing else on stdout.  Realm events go to stderr, one line each, flushed at once:

    EVENT login <name>
    EVENT logout <name>

A logout line is printed every time Twisted runs the realm's logout callable,
so a test can check that it runs exactly once per login.  Twisted's own log
also goes to stderr.

The server exits 0 on SIGTERM, SIGINT, or end of file on stdin (pass
--no-stdin-watch when stdin is /dev/null).
"""

import argparse
import sys
import threading

sys.dont_write_bytecode = True  # keep __pycache__ out of testdata/
import pb_transport  # noqa: E402  (the helper next to this script)

from zope.interface import implementer

from twisted.cred import checkers, portal
from twisted.internet import reactor
from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.spread import pb

ANONYMOUS_NAME = "anonymous"


def emit_event(kind, name):
    sys.stderr.write("EVENT %s %s\n" % (kind, name))
    sys.stderr.flush()


def read_users(path):
    """Parse a users file into {username bytes: password bytes}."""
    users = {}
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle.read().splitlines(), 1):
            line = raw.rstrip(b"\r")
            if not line.strip() or line.lstrip().startswith(b"#"):
                continue
            if b":" not in line:
                raise ValueError("%s:%d: expected user:password" % (path, number))
            user, password = line.split(b":", 1)
            if not user:
                raise ValueError("%s:%d: empty user name" % (path, number))
            users[user] = password
    return users


class SharedViewable(pb.Viewable):
    """One object for every avatar; each caller sees its own name."""

    def view_whoami(self, perspective):
        return perspective.name


class LoginAvatar(pb.Avatar):
    def __init__(self, name, mind, viewable, broken):
        self.name = name
        # Holding the mind keeps the server's proxy for it alive until the
        # avatar goes away, as in any real application; Twisted then
        # decrefs the client's mind after logout.
        self.mind = mind
        self._viewable = viewable
        self._broken = broken

    def perspective_whoami(self):
        if self._broken:
            return self.name.upper()
        return self.name

    def perspective_echo(self, value):
        return value

    def perspective_viewable(self):
        return self._viewable


@implementer(portal.IRealm)
class LoginRealm:
    def __init__(self, broken):
        self._broken = broken
        self._viewable = SharedViewable()

    def requestAvatar(self, avatarId, mind, *interfaces):
        if pb.IPerspective not in interfaces:
            raise NotImplementedError("only pb.IPerspective is offered")
        if avatarId is checkers.ANONYMOUS or avatarId == ():
            name = ANONYMOUS_NAME
        elif isinstance(avatarId, bytes):
            name = avatarId.decode("utf-8", "replace")
        else:
            name = str(avatarId)
        avatar = LoginAvatar(name, mind, self._viewable, self._broken)
        emit_event("login", name)

        def logout():
            # Deliberately no once-only guard: if Twisted ever ran this
            # twice, the test counting EVENT lines should see it.
            emit_event("logout", name)
            # A note for people reading the log (not an EVENT line): what
            # caused it, when the client's mind tells us.
            broker = getattr(avatar.mind, "broker", None)
            if broker is not None:
                cause = "connection lost" if broker.disconnected else "avatar released"
                sys.stderr.write("twisted_login_server: logout %s (%s)\n" % (name, cause))
                sys.stderr.flush()
            avatar.mind = None

        return pb.IPerspective, avatar, logout


def watch_stdin():
    """Stop the reactor when stdin reaches end of file."""

    def reader():
        try:
            while sys.stdin.buffer.read1(4096):
                pass
        except (OSError, ValueError):
            pass
        reactor.callFromThread(stop_reactor, "stdin closed")

    threading.Thread(target=reader, name="stdin-watch", daemon=True).start()


def stop_reactor(reason):
    if reactor.running:
        sys.stderr.write("twisted_login_server: stopping (%s)\n" % (reason,))
        sys.stderr.flush()
        reactor.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Twisted PB login conformance server")
    parser.add_argument("--port", type=int, default=None,
                        help="TCP/TLS port on 127.0.0.1 (default 0: the OS picks)")
    parser.add_argument("--users", required=True, metavar="FILE",
                        help="file of user:password lines")
    parser.add_argument("--anonymous", action="store_true",
                        help="allow anonymous logins (AllowAnonymousAccess)")
    parser.add_argument("--broken", action="store_true",
                        help="make whoami() answer the name upper-cased")
    parser.add_argument("--no-stdin-watch", action="store_true",
                        help="do not exit when stdin reaches end of file")
    pb_transport.add_server_options(parser)
    args = parser.parse_args(argv)
    pb_transport.check_server_options(parser, args)

    try:
        users = read_users(args.users)
    except (OSError, ValueError) as exc:
        parser.error(str(exc))

    database = checkers.InMemoryUsernamePasswordDatabaseDontUse()
    for user, password in users.items():
        database.addUser(user, password)
    checker_list = [database]
    if args.anonymous:
        checker_list.append(checkers.AllowAnonymousAccess())

    the_portal = portal.Portal(LoginRealm(args.broken), checker_list)
    factory = pb.PBServerFactory(the_portal)
    # PORT <n> (TCP or TLS on 127.0.0.1) or UNIX <path>
    listening = pb_transport.listen(args, factory)

    sys.stdout.write(listening + "\n")
    sys.stdout.flush()

    globalLogBeginner.beginLoggingTo(
        [textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    note = pb_transport.describe_server(args)
    sys.stderr.write("twisted_login_server: %d user(s), anonymous %s%s%s\n" % (
        len(users), "allowed" if args.anonymous else "refused",
        ", BROKEN whoami" if args.broken else "",
        ", " + note if note is not None else ""))
    sys.stderr.flush()

    if not args.no_stdin_watch:
        watch_stdin()

    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
