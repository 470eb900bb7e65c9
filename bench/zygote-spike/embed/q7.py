# Q7: what jobs of one zygote share; renewing the hash secret after the fork
import os, sys
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
SRC = rb'''
import sys, os
print("hash", hash("a"), hash(b"a"))
print("libc", [l.split()[0] for l in open("/proc/self/maps") if "libc.so" in l][:1],
      "heap", [l.split()[0] for l in open("/proc/self/maps") if "[heap]" in l], "stack", [l.split()[0] for l in open("/proc/self/maps") if "[stack]" in l])
print("modules", len(sys.modules))
import json, collections, re, email.parser, decimal
d = {"key%d" % i: i for i in range(1000)}
print("dict ok", all(d["key%d" % i] == i for i in range(1000)), "getattr ok", getattr(os, "p" + "ath").sep, json.loads('{"x": 1}')["x"],
      re.match("a+", "aaa").group(0), decimal.Decimal("1.1") + 1)
print("sys.modules lookup via a new string:", ("js" + "on") in sys.modules)
'''
z = Zygote("c")
for fl in (256, 256, 256 | 128, 256 | 128):
    jid, out = z.submit(src=SRC, flags=fl)
    print("--- flags", fl, "status", z.reply()[1]); print(open(out).read(), end="")
z.close()
