import sys; sys.path.insert(0, "/tmp/zygote")
from driver import Zygote
z = Zygote()
src = b'''import os, threading, subprocess, ctypes, errno
t = threading.Thread(target=lambda: print("thread ran")); t.start(); t.join()
print("subprocess:", subprocess.run(["/usr/bin/id", "-u"], capture_output=True, text=True).stdout.strip())
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
r = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)
if r == 0: os._exit(0)
print("raw clone(CLONE_NEWUSER):", r, errno.errorcode.get(ctypes.get_errno()))
if r > 0: os.waitpid(r, 0)
'''
j = z.submit(src=src); print(z.reply()[1]); print(open(j[1]).read()); z.close()
