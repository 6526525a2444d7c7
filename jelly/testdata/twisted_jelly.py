"""
Jelly interoperability peer for jelly/twisted_test.go.

  emit   print one JSON line per Python value: {"name", "hex"}, where hex is
         the value jellied by twisted.spread.jelly and banana-encoded in
         dialect "pb" by twisted.spread.banana.
  read   read JSON lines {"name", "hex"} produced by Go, banana-decode and
         unjelly each with Twisted, and print {"name", "type", "repr",
         "graph"} (or {"name", "error"}).

Run with Debian's /usr/bin/python3 (Twisted 22.4). PYTHONHASHSEED=0 keeps set
order stable.
"""

import datetime
import decimal
import json
import sys

from twisted.internet.testing import StringTransport
from twisted.spread import banana, jelly, pb


class Point:
    def __init__(self, x=0, y=0.0, label=""):
        self.x, self.y, self.label = x, y, label

    def __repr__(self):
        return "Point(%r, %r, %r)" % (self.x, self.y, self.label)


class Empty:
    def __repr__(self):
        return "Empty(%r)" % (self.__dict__,)


class SelfRef:
    def __repr__(self):
        return "SelfRef(me is self: %r)" % (getattr(self, "me", None) is self,)


class Plain:
    def __init__(self):
        self.a = 1


class RCopy(pb.RemoteCopy):
    def __repr__(self):
        return "RCopy(%r)" % (sorted(self.__dict__.items()),)


jelly.setUnjellyableForClass("__main__.RCopy", RCopy)

SEC = jelly.SecurityOptions()
SEC.allowBasicTypes()
SEC.allowInstancesOf(Point, Empty, SelfRef)
SEC.allowTypes("__main__.RCopy")


def encoder():
    b = banana.Banana()
    b.makeConnection(StringTransport())
    b._selectDialect(b"pb")
    return b


ENC = encoder()


def to_hex(value):
    sexp = jelly.jelly(value, SEC)
    ENC.transport.clear()
    ENC.sendEncoded(sexp)
    return ENC.transport.value().hex()


def from_hex(h):
    got = []
    b = banana.Banana()
    b.makeConnection(StringTransport())
    b._selectDialect(b"pb")
    b.expressionReceived = got.append
    b.dataReceived(bytes.fromhex(h))
    if len(got) != 1:
        raise ValueError("expected one expression, got %d" % len(got))
    return jelly.unjelly(got[0], SEC)


def graph(v, seen=None):
    """Show the object graph, naming each container at its first visit
    (#n) and writing @n when it is met again, so sharing and cycles show."""
    if seen is None:
        seen = {}
    if isinstance(v, (list, tuple, dict, set, frozenset)) or hasattr(v, "__dict__"):
        if id(v) in seen:
            return "@%d" % seen[id(v)]
        seen[id(v)] = n = len(seen) + 1
        name = type(v).__name__
        if isinstance(v, dict):
            inner = ", ".join("%s: %s" % (graph(k, seen), graph(x, seen)) for k, x in v.items())
        elif isinstance(v, (set, frozenset)):
            inner = ", ".join(graph(x, seen) for x in sorted(v, key=repr))
        elif isinstance(v, (list, tuple)):
            inner = ", ".join(graph(x, seen) for x in v)
        else:
            inner = ", ".join("%s=%s" % (k, graph(x, seen)) for k, x in sorted(v.__dict__.items()))
        return "%s#%d(%s)" % (name, n, inner)
    return repr(v)


def values():
    out = []

    def add(name, v):
        out.append((name, v))

    add("none", None)
    add("true", True)
    add("false", False)
    add("int_7", 7)
    add("int_-7", -7)
    add("int_2^31-1", 2**31 - 1)
    add("int_2^31", 2**31)
    add("int_-2^31", -(2**31))
    add("int_-2^31-1", -(2**31) - 1)
    add("int_2^63", 2**63)
    add("int_2^100", 2**100)
    add("int_-2^100", -(2**100))
    add("int_2^448-1", 2**448 - 1)
    add("float_2.5", 2.5)
    add("float_-0.0", -0.0)
    add("float_inf", float("inf"))
    add("float_nan", float("nan"))
    add("bytes_hi", b"hi")
    add("bytes_empty", b"")
    add("bytes_binary", bytes(range(256)))
    add("bytes_vocab", b"list")
    add("str_hi", "hi")
    add("str_nonascii", "h\u00e9 \U0001F600")
    add("str_empty", "")
    add("list", [1, "a"])
    add("list_empty", [])
    add("tuple", (1, 2))
    add("tuple_empty", ())
    add("dict_str", {"k": 1})
    add("dict_bytes", {b"k": None})
    add("dict_keys", {b"b": 1, "s": 2, 3: 3, (1, "x"): 4, 2.5: 5, None: 6})
    add("dict_nested", {"a": {"b": {"c": [1, 2.5, (b"x",)]}}})
    add("set", {1, 2, 3})
    add("frozenset", frozenset([2]))
    add("datetime", datetime.datetime(2020, 7, 11, 1, 16, 5, 344))
    add("date", datetime.date(2020, 7, 11))
    add("time", datetime.time(1, 16, 5, 344))
    add("timedelta", datetime.timedelta(1, 2, 3))
    add("timedelta_neg", datetime.timedelta(microseconds=-1))
    add("timedelta_mixed", datetime.timedelta(days=-3, seconds=5))
    add("decimal_9.95", decimal.Decimal("9.95"))
    add("decimal_-78.901", decimal.Decimal("-78.901"))
    add("decimal_1E+3", decimal.Decimal("1E+3"))
    add("decimal_-0", decimal.Decimal("-0"))
    add("decimal_0.00", decimal.Decimal("0.00"))
    add("decimal_big", decimal.Decimal("123456789012345678901234567890.5"))
    add("unpersistable", Plain())
    x = [1]
    add("shared_list", [x, x])
    d = {}
    add("shared_dict", (d, d))
    l = []
    l.append(l)
    add("cycle_list", l)
    t = ([],)
    t[0].append(t)
    add("cycle_tuple", t)
    dd = {}
    dd["me"] = dd
    add("cycle_dict", dd)
    a, c = [1], [2]
    add("ids_out_of_order", [a, c, c, a])
    tup = (a, a)
    add("shared_tuple", [tup, tup])
    s1 = "same"
    add("same_str", [s1, s1])
    p = Point(1, 2.5, "l")
    add("point", p)
    add("shared_point", [p, p])
    add("empty_instance", Empty())
    sr = SelfRef()
    sr.me = sr
    add("selfref", [sr, sr])
    return out


def main():
    mode = sys.argv[1]
    if mode == "emit":
        for name, v in values():
            print(json.dumps({"name": name, "hex": to_hex(v)}))
    elif mode == "read":
        for line in sys.stdin:
            req = json.loads(line)
            try:
                v = from_hex(req["hex"])
                print(json.dumps({"name": req["name"], "type": type(v).__name__, "repr": repr(v), "graph": graph(v)}))
            except Exception as e:
                print(json.dumps({"name": req["name"], "error": "%s: %s" % (type(e).__name__, e)}))
    else:
        raise SystemExit("usage: twisted_jelly.py emit|read")


if __name__ == "__main__":
    main()
