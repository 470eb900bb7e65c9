import os, sys, time, resource
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
for kind in ("c", "py", "c", "py"):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t0 = time.perf_counter()
    z = Zygote(kind); t1 = time.perf_counter()
    rss = [l.split()[1] for l in open("/proc/%d/status" % z.zpid) if l.startswith("VmRSS")][0]
    z.close(); r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("%-2s start to ready %.1f ms, launcher+zygote CPU %.1f ms, zygote RSS %s kB" % (kind, 1e3 * (t1 - t0),
          1e3 * (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime), rss))
