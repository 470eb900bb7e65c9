# Q5: the zygote dies (SIGKILL from the host) while jobs run: every job's processes die
# (it is PID 1 of the namespace that holds theirs); init's socket reads EOF at the supervisor.
# Also the zygote's start time and what it imported beyond a cold python3 -I.
import os, sys, time, signal
sys.argv = ["drv.py", "none"]
exec(open("/tmp/zyg2/drv.py").read())
t0 = time.perf_counter(); z = Zygote("c"); t1 = time.perf_counter()
print("zygote start to ready: %.1f ms; zygote CPU %.1f ms; RSS %s" % (1e3 * (t1 - t0), 1e3 * proccpu(z.zpid),
      [l.split()[1] for l in open("/proc/%d/status" % z.zpid) if l.startswith("VmRSS")][0] + " kB"))
socks = []; pids = []
for i in range(2):
    a, jid, out, msg, pid, uid = sup_start(z, SLEEPSRC)
    a.send(b"g"); socks.append(a); pids.append(pid)
time.sleep(0.4)
def desc(p):
    try: ch = open("/proc/%d/task/%d/children" % (p, p)).read().split()
    except OSError: return []
    return [int(c) for c in ch] + sum((desc(int(c)) for c in ch), [])
allp = desc(z.zpid)
print("zygote %d has %d descendants: %s" % (z.zpid, len(allp), allp))
os.kill(z.zpid, signal.SIGKILL); time.sleep(0.2)
alive = [p for p in allp if os.path.exists("/proc/%d" % p)]
print("after SIGKILL to the zygote, still alive:", alive, "; inits' sockets say", [sup_status(s) for s in socks])
z.s.close(); z.p.wait()
z = Zygote("c")
jid, out = z.submit(src=b"import sys; print(sorted(sys.modules))", flags=ZF_INIT); z.reply()
zm = set(eval(open(out).read()))
import subprocess
cm = set(eval(subprocess.run(["/usr/bin/python3", "-I", "-B", "-c", "import sys; print(sorted(sys.modules))"], capture_output=True, text=True).stdout))
print("modules in a zygote job but not in cold python3 -I:", sorted(zm - cm), "; cold only:", sorted(cm - zm))
z.close()
