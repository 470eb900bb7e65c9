# A first submission: prints a greeting and a little about where it runs.
import os
import sys

print("hello from the sandbox")
print(f"python {sys.version.split()[0]}, uid {os.getuid()}, cwd {os.getcwd()}")
print(f"visible processes: {len([p for p in os.listdir('/proc') if p.isdigit()])}")
