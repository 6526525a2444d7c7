#!/usr/bin/python3
"""A Twisted PB client for Braid's SMTP admin object.

It lists the messages of a mailbox, deletes one (the first, or --delete ID),
lists again, and prints one JSON object:

    {"counters": {...}, "before": [...], "deleted": "ID", "after": [...]}

    admin_client.py --port P --mailbox alice [--path smtp]
                    [--user U --password W] [--delete ID | --no-delete]

--path calls that method on the root (or avatar) first to reach the admin
object (maildrop's root has smtp() and pop3()). --user logs in through the
server's portal (PBClientFactory.login) instead of using the root directly.
"""
import argparse
import json
import sys

from twisted.cred.credentials import UsernamePassword
from twisted.internet import defer, reactor
from twisted.spread import pb


@defer.inlineCallbacks
def main(opts):
    factory = pb.PBClientFactory()
    reactor.connectTCP(opts.host, opts.port, factory)
    if opts.user:
        obj = yield factory.login(UsernamePassword(opts.user.encode(), opts.password.encode()))
    else:
        obj = yield factory.getRootObject()
    if opts.path:
        obj = yield obj.callRemote(opts.path)
    out = {}
    out["counters"] = yield obj.callRemote("counters")
    out["sessions"] = yield obj.callRemote("sessions")
    out["before"] = yield obj.callRemote("messages", opts.mailbox)
    if not opts.no_delete:
        victim = opts.delete or (out["before"][0]["id"] if out["before"] else None)
        if victim is None:
            raise SystemExit("nothing to delete")
        ok = yield obj.callRemote("delete", opts.mailbox, victim)
        if not ok:
            raise SystemExit("delete returned %r" % (ok,))
        out["deleted"] = victim
        out["after"] = yield obj.callRemote("messages", opts.mailbox)
    factory.disconnect()
    return out


def run():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mailbox", required=True)
    p.add_argument("--path", default="")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--delete", default="")
    p.add_argument("--no-delete", action="store_true")
    opts = p.parse_args()
    result = {}

    def done(out):
        result["out"] = out
        reactor.stop()

    def failed(f):
        result["err"] = f.getTraceback()
        if f.check(pb.RemoteError):
            result["err"] += "remote error type: %s\n" % (f.value.remoteType,)
        reactor.stop()

    reactor.callWhenRunning(lambda: main(opts).addCallbacks(done, failed))
    reactor.callLater(20, lambda: (result.setdefault("err", "timeout"), reactor.stop()))
    reactor.run()
    if "err" in result:
        sys.stderr.write(result["err"])
        sys.exit(1)
    json.dump(result["out"], sys.stdout, default=str, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    run()
