#!/usr/bin/python3
"""Reads a mailbox with Python's poplib and prints the result as JSON.

    poplib_client.py --port P --user alice --password secret --mode user|apop|stls-user
                     [--dele N]

Output: {"greeting", "stat": [count, size], "uidl": [...], "messages": [base64...]}
or {"error": "..."} when the server refuses.
"""
import argparse
import base64
import json
import poplib
import ssl
import sys

p = argparse.ArgumentParser()
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int, required=True)
p.add_argument("--user", required=True)
p.add_argument("--password", required=True)
p.add_argument("--mode", choices=["user", "apop", "stls-user"], required=True)
p.add_argument("--dele", type=int, default=0)
opts = p.parse_args()

out = {}
try:
    box = poplib.POP3(opts.host, opts.port, timeout=20)
    out["greeting"] = box.getwelcome().decode()
    if opts.mode == "stls-user":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        box.stls(context=ctx)
    if opts.mode == "apop":
        box.apop(opts.user, opts.password)
    else:
        box.user(opts.user)
        box.pass_(opts.password)
    out["capa"] = sorted(box.capa().keys())
    out["stat"] = list(box.stat())
    out["uidl"] = [l.decode().split()[1] for l in box.uidl()[1]]
    msgs = []
    for i in range(1, out["stat"][0] + 1):
        _, lines, _ = box.retr(i)
        msgs.append(base64.b64encode(b"".join(l + b"\r\n" for l in lines)).decode())
    out["messages"] = msgs
    if opts.dele:
        box.dele(opts.dele)
    box.quit()
except poplib.error_proto as e:
    out["error"] = e.args[0].decode() if isinstance(e.args[0], bytes) else str(e.args[0])
json.dump(out, sys.stdout)
sys.stdout.write("\n")
