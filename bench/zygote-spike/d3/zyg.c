/* D3 experiment: a host-root embedded-CPython zygote that forks each job into
   namespaces made by someone else (an "init" built per job, as the agent's is). */
#define _GNU_SOURCE
#include <Python.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *m) { perror(m); _exit(111); }

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

/* init: PID 1 of new pid/mnt/ipc/uts ns, builds a root, says ready, waits. */
static pid_t make_init(int *readyfd, int *gofd, int netfd, pid_t *initp)
{
	int r[2], g[2], pp[2];
	if (pipe(r) || pipe(g) || pipe(pp)) die("pipe");
	pid_t p = fork();
	if (p < 0) die("fork");
	if (p == 0) {
		close(r[0]); close(g[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)) die("unshare");
		if (netfd >= 0) { if (setns(netfd, CLONE_NEWNET)) die("setns net"); }
		else if (unshare(CLONE_NEWNET)) die("unshare net");
		pid_t q = fork();
		if (q < 0) die("fork2");
		if (q > 0) { if (write(pp[1], &q, sizeof q) != sizeof q) _exit(1); _exit(0); }
		/* pid 1 now */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("private");
		char root[64]; snprintf(root, sizeof root, "/tmp/d3/root");
		if (mount("tmpfs", root, "tmpfs", 0, "size=8m,mode=755")) die("tmpfs");
		const char *b[] = { "usr", "lib", "lib64", "bin", "etc", NULL };
		char p1[128], p2[128];
		for (int i = 0; b[i]; i++) {
			snprintf(p1, sizeof p1, "/%s", b[i]);
			snprintf(p2, sizeof p2, "%s/%s", root, b[i]);
			struct stat st; if (lstat(p1, &st)) continue;
			if (S_ISLNK(st.st_mode)) { char t[128]; ssize_t n = readlink(p1, t, sizeof t - 1); t[n] = 0; if (symlink(t, p2)) die("symlink"); continue; }
			mkdir(p2, 0755);
			if (mount(p1, p2, NULL, MS_BIND | MS_REC, NULL)) die("bind");
			if (mount(NULL, p2, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL)) die("ro");
		}
		snprintf(p2, sizeof p2, "%s/proc", root); mkdir(p2, 0555);
		if (mount("proc", p2, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("proc");
		snprintf(p2, sizeof p2, "%s/tmp", root); mkdir(p2, 01777);
		if (mount("tmpfs", p2, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=1777")) die("tmp");
		snprintf(p2, sizeof p2, "%s/old", root); mkdir(p2, 0700);
		if (syscall(SYS_pivot_root, root, p2)) die("pivot");
		if (chdir("/")) die("chdir");
		if (umount2("/old", MNT_DETACH)) die("umount old");
		rmdir("/old");
		char c = 'r'; if (write(r[1], &c, 1) != 1) _exit(1);
		/* reap until told to go (pipe closed) */
		for (;;) { int st; pid_t w = waitpid(-1, &st, 0); if (w < 0 && errno == ECHILD) { char x; if (read(g[0], &x, 1) <= 0) _exit(0); } }
	}
	close(r[1]); close(g[0]);
	int st; waitpid(p, &st, 0); /* intermediate exits */
	close(pp[1]); if (read(pp[0], initp, sizeof *initp) != sizeof *initp) die("initpid"); close(pp[0]);
	*readyfd = r[0]; *gofd = g[1];
	return p;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	int par = argc > 2 ? atoi(argv[2]) : 2;
	int mode = argc > 3 ? atoi(argv[3]) : 0; /* 0 zygote, 1 exec python3 */
	PyConfig cfg; PyConfig_InitPythonConfig(&cfg);
	cfg.isolated = 1; cfg.use_environment = 0; cfg.user_site_directory = 0;
	cfg.write_bytecode = 0; cfg.parse_argv = 0; cfg.install_signal_handlers = 1;
	PyConfig_SetString(&cfg, &cfg.program_name, L"/usr/bin/python3");
	if (mode == 0) {
		PyStatus s = Py_InitializeFromConfig(&cfg);
		if (PyStatus_Exception(s)) Py_ExitStatusException(s);
		PyRun_SimpleString("import sys, gc; print('site' in sys.modules, sys.executable, sys.flags.isolated, len(sys.modules), file=sys.stderr); gc.freeze()");
	}
	mkdir("/tmp/d3/root", 0755);
	double t0 = now();
	for (int w = 0; w < par; w++) {
		if (fork() == 0) {
			for (int i = w; i < n; i += par) {
				int rd, go; pid_t initpid; make_init(&rd, &go, -1, &initpid);
				char c; if (read(rd, &c, 1) != 1) die("ready");
				/* find init's pid 1: its pid is the grandchild; get via /proc? use the pipe's peer: simpler: scan children of ip is gone; use ns of ip's child */
				/* make_init's intermediate exited; the init pid = ip + 1 usually; find it reliably: */
				char path[64];
				pid_t c1 = fork();
				if (c1 == 0) {
					{ int dn = open(getenv("D3OUT") ? getenv("D3OUT") : "/dev/null", O_WRONLY|O_APPEND|O_CREAT, 0644); if (dn >= 0) { dup2(dn, 1); close(dn); } }
					const char *ns[] = { "ipc", "uts", "net", "pid", "mnt" };
					int nt[] = { CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS };
					for (int k = 0; k < 5; k++) {
						snprintf(path, sizeof path, "/proc/%d/ns/%s", initpid, ns[k]);
						int fd = open(path, O_RDONLY | O_CLOEXEC); if (fd < 0) die(path);
						if (setns(fd, nt[k])) die("setns"); close(fd);
					}
					pid_t j = fork();
					if (j == 0) {
						if (setgroups(0, NULL) || setresgid(97150, 97150, 97150) || setresuid(97150, 97150, 97150)) die("ids");
						prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
						if (mode == 0) {
							PyOS_AfterFork_Child();
							int rc = PyRun_SimpleString("import os, sys\nprint('hello, world', os.getpid())\nsys.stdout.flush()\n");
							fflush(stdout);
							_exit(rc ? 1 : 0);
						}
						execl("/usr/bin/python3", "python3", "-I", "-B", "-c", "print('hello, world')", (char *)0);
						die("exec");
					}
					int st; waitpid(j, &st, 0);
					_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128);
				}
				int st; waitpid(c1, &st, 0);
				if (!WIFEXITED(st) || WEXITSTATUS(st)) fprintf(stderr, "job %d status %x\n", i, st);
				kill(initpid, SIGKILL); close(go); close(rd);
			}
			_exit(0);
		}
	}
	while (wait(NULL) > 0) ;
	double t = now() - t0;
	printf("%s: %d jobs, %d in flight: %.2f s, %.1f jobs/s\n", mode ? "exec python3" : "zygote", n, par, t, n / t);
	return 0;
}
