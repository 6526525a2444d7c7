"""Cross-check helper for banana_twisted_test.go.

Reads one JSON document from stdin and answers with one on stdout, using
Twisted's own twisted.spread.banana for all encoding and decoding:

  input   {"encode": [VALUE, ...], "decode": [{"dialect": D, "hex": H}, ...]}
  output  {"encode": [{"none": H|null, "pb": H|null, "error": S|null}, ...],
           "decode": [{"values": [VALUE, ...], "error": S|null}, ...]}

A VALUE is tagged JSON, so that big integers, NaNs and arbitrary bytes
survive the trip:  {"i": "<decimal>"}  {"f": "<8 bytes big-endian, hex>"}
{"b": "<hex>"}  {"l": [VALUE, ...]}.

The dialect is put in force through the public protocol: each Banana is a
client that is sent a one-entry dialect offer, which it accepts.

Run by /usr/bin/python3 (Debian's python3-twisted).
"""

import json
import struct
import sys

from twisted.internet.testing import StringTransport
from twisted.spread import banana

# The offers [b'pb'] and [b'none'], encoded by hand (spec section 1.9).
OFFERS = {
    "pb": bytes.fromhex("01 80 02 82 70 62"),
    "none": bytes.fromhex("01 80 04 82 6e 6f 6e 65"),
}


def connected(dialect):
    """A client-side Banana that has agreed on dialect, plus its transport."""
    proto = banana.Banana(isClient=True)
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(OFFERS[dialect])
    transport.clear()  # drop the client's answer to the offer
    return proto, transport


def from_tagged(v):
    if "i" in v:
        return int(v["i"])
    if "f" in v:
        return struct.unpack(">d", bytes.fromhex(v["f"]))[0]
    if "b" in v:
        return bytes.fromhex(v["b"])
    return [from_tagged(e) for e in v["l"]]


def to_tagged(v):
    if isinstance(v, bool):
        return {"i": str(int(v))}
    if isinstance(v, int):
        return {"i": str(v)}
    if isinstance(v, float):
        return {"f": struct.pack(">d", v).hex()}
    if isinstance(v, bytes):
        return {"b": v.hex()}
    if isinstance(v, (list, tuple)):
        return {"l": [to_tagged(e) for e in v]}
    raise TypeError("unexpected decoded type %r" % (type(v),))


def describe(exc):
    return "%s: %s" % (type(exc).__name__, exc)


def encode_one(value):
    result = {"none": None, "pb": None, "error": None}
    for dialect in ("none", "pb"):
        proto, transport = connected(dialect)
        try:
            proto.sendEncoded(value)
        except Exception as exc:  # BananaError for refused values
            result["error"] = describe(exc)
            continue
        result[dialect] = transport.value().hex()
    return result


def decode_one(dialect, data):
    proto, _ = connected(dialect)
    received = []
    proto.expressionReceived = received.append
    error = None
    try:
        proto.dataReceived(data)
    except Exception as exc:
        error = describe(exc)
    return {"values": [to_tagged(v) for v in received], "error": error}


def main():
    request = json.load(sys.stdin)
    answer = {
        "encode": [encode_one(from_tagged(v)) for v in request.get("encode", [])],
        "decode": [decode_one(c["dialect"], bytes.fromhex(c["hex"]))
                   for c in request.get("decode", [])],
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
