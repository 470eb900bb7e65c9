import sys; sys.path.insert(0, "/tmp/zygote")
from driver import Zygote
z = Zygote()
src = b'''import os, sys
print("fds at start", os.listdir("/proc/self/fd"))
g = sys._getframe(0).f_back.f_globals
print("zygote globals via caller frame:", g.get("__file__"), sorted(k for k in g if k in ("sock", "FPROG", "libc", "jobs", "own_pidns")))
print("zygote sock object:", g["sock"], "jobs dict:", g["jobs"])
print("random preloaded:", "random" in sys.modules)
'''
j = z.submit(src=src); z.reply(); print(open(j[1]).read()); z.close()
