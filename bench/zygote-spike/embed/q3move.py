# Q3: wall time of the supervisor's move of a waiting init into the slot's three v1 cgroups
import os, sys, statistics
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
z = Zygote("c"); name = "zyg2mv"; cg_make(name); ts = []; cpu = []
for i in range(40):
    a, jid, out, msg, pid, uid = sup_start(z, HELLO, ZF_SUP | ZF_INIT)
    t0 = time.perf_counter(); c0 = time.process_time()
    for c in CG:
        open("/sys/fs/cgroup/%s/%s/cgroup.procs" % (c, name), "w").write(str(pid))
    ts.append(1e3 * (time.perf_counter() - t0)); cpu.append(1e3 * (time.process_time() - c0))
    a.send(b"g"); z.reply(); a.close()
z.close(); cg_rm(name)
ts.sort()
print("move into 3 v1 cgroups: wall median %.2f ms p90 %.2f ms; the writer's CPU median %.2f ms (n=40)"
      % (statistics.median(ts), ts[36], statistics.median(cpu)))
