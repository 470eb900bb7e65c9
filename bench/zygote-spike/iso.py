import sys; sys.path.insert(0, "/tmp/zygote")
from driver import Zygote
import os
z = Zygote()
src = open("/tmp/zygote/iso_job.py", "rb").read()
a = z.submit(src=src, slot=97001); b = z.submit(src=src, slot=97002)
res = [z.reply(), z.reply()]
print("zygote host pid", z.zpid, "launcher", z.pid)
print("host view of zygote:", open("/proc/%d/status" % z.zpid).read().split("Uid:")[1].split("\n")[0], open("/proc/%d/status" % z.zpid).read().split("CapEff:")[1].split("\n")[0])
print("zygote ns:", {n: os.readlink("/proc/%d/ns/%s" % (z.zpid, n)) for n in ("pid", "mnt", "net", "user")})
print("host ns:", {n: os.readlink("/proc/self/ns/%s" % n) for n in ("pid", "mnt", "net", "user")})
for (jid, out), (rj, st, ts) in zip((a, b), sorted(res)):
    print("==== job", jid, "status", st); print(open(out).read())
z.close()
