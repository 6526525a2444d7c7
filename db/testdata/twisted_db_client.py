#!/usr/bin/python3
"""Stock Twisted PB client for Braid's database facade (db_test.go runs it).

    /usr/bin/python3 twisted_db_client.py PORT [--feed CHANNEL]

It fetches the root, calls root.callRemote("db") and drives the facade the
way any Twisted user would, then prints one JSON object with what it got.
With --feed it also asks the root for feed(), a Cacheable of notifications
(class braid.db.Notifications), asks db for pg_notify on CHANNEL and
waits for the observe_setValue update.  Exit status 0 on success, 1 when a
call failed unexpectedly, 2 on timeout.
"""

import json
import sys

from twisted.internet import defer, reactor
from twisted.spread import pb

updates = []
waiting = []


class NotificationCache(pb.RemoteCache):
    def setCopyableState(self, state):
        self.value = state.get("value")

    def observe_setValue(self, value):
        self.value = value
        updates.append(value)
        while waiting:
            waiting.pop().callback(value)


pb.setUnjellyableForClass("braid.db.Notifications", NotificationCache)


def failure_info(f):
    t = f.type.decode() if isinstance(f.type, bytes) else str(f.type)
    return {"type": t, "isDbError": bool(f.check("braid.db.Error")),
            "value": str(f.value)}


@defer.inlineCallbacks
def main(port, feed_channel):
    factory = pb.PBClientFactory()
    reactor.connectTCP("127.0.0.1", port, factory)
    root = yield factory.getRootObject()
    db = yield root.callRemote("db")
    out = {}
    out["one"] = yield db.callRemote("runQuery", "select 1 as one")
    out["args"] = yield db.callRemote("run_query", "select $1 + 1 as n, $2 as s", 41, "x")
    out["interaction"] = yield db.callRemote("runInteraction", [
        "select 1 as a",
        ["select $1 + 0 as b", 2],
        ("select $1 + 0 as c", [3]),
        ("select $1 + 0 as d", (4,)),
    ])
    out["denied"] = yield db.callRemote("runOperation", "create table evil (x integer)").addCallbacks(
        lambda r: {"unexpected": r}, failure_info)
    out["sneaky"] = yield db.callRemote(
        "runQuery", "with x as (delete from evil returning *) select * from x").addCallbacks(
        lambda r: {"unexpected": r}, failure_info)
    if feed_channel:
        cache = yield root.callRemote("feed")
        out["feedInitial"] = cache.value
        d = defer.Deferred()
        waiting.append(d)
        yield db.callRemote("runQuery", "select pg_notify($1, 'from twisted') as sent", feed_channel)
        out["feedUpdate"] = yield d
    print(json.dumps(out, sort_keys=True))


def run():
    port = int(sys.argv[1])
    feed_channel = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--feed" else None
    status = [0]

    def done(_):
        reactor.stop()

    def failed(f):
        print(f.getTraceback(), file=sys.stderr)
        status[0] = 1
        reactor.stop()

    def timeout():
        print("timeout", file=sys.stderr)
        status[0] = 2
        reactor.stop()

    reactor.callLater(20, timeout)
    reactor.callWhenRunning(lambda: main(port, feed_channel).addCallbacks(done, failed))
    reactor.run()
    sys.exit(status[0])


if __name__ == "__main__":
    run()
