/* launcher: run as host root.  Makes user ns U (0 -> 97000, 97001..97004 identity),
 * and in it new mount, PID, net, IPC, UTS namespaces; builds a read-only root on a tmpfs
 * (ro binds of /usr, /etc/python3.11, /dev/{null,zero,urandom,random}, the zygote dir),
 * a proc of the zygote's own PID ns (needed: a job's proc mount in U is refused unless a
 * fully visible proc is already in the mount ns), pivot_root, then execs
 * python3 -I -S -B /zyg/zygote.py as uid 0 in U with fd 3 (the request socket) kept.
 * Throwaway spike code. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROOT "/tmp/zygote/root"
#define ZYG  "/tmp/zygote/src"
static int sync_pipe[2];

static void die(const char *what) { fprintf(stderr, "launcher: %s: %s\n", what, strerror(errno)); _exit(111); }

static void robind(const char *src, const char *dst, int isdir, unsigned long extra)
{
    char p[512];
    snprintf(p, sizeof p, ROOT "%s", dst);
    if (isdir) { if (mkdir(p, 0755) && errno != EEXIST) die(p); }
    else { int fd = open(p, O_CREAT | O_WRONLY, 0644); if (fd < 0) die(p); close(fd); }
    if (mount(src, p, NULL, MS_BIND, NULL)) die(src);
    if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | extra, NULL)) die(p);
}

static int child(void *arg)
{
    char c;
    (void)arg;
    if (read(sync_pipe[0], &c, 1) != 1) die("sync");
    close(sync_pipe[0]);
    if (setgroups(0, NULL)) die("setgroups");
    if (setresgid(0, 0, 0)) die("setresgid");
    if (setresuid(0, 0, 0)) die("setresuid");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("private");
    if (mount("tmpfs", ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")) die("tmpfs root");
    if (symlink("usr/bin", ROOT "/bin") || symlink("usr/lib", ROOT "/lib") ||
        symlink("usr/lib64", ROOT "/lib64") || symlink("usr/sbin", ROOT "/sbin")) die("symlink");
    const char *dirs[] = { "/etc", "/dev", "/proc", "/tmp", "/job", "/out", "/zyg", "/oldroot", NULL };
    for (int i = 0; dirs[i]; i++) {
        char p[256]; snprintf(p, sizeof p, ROOT "%s", dirs[i]);
        if (mkdir(p, 0755)) die(p);
    }
    robind("/usr", "/usr", 1, MS_NODEV);
    robind("/etc/python3.11", "/etc/python3.11", 1, MS_NODEV);
    robind(ZYG, "/zyg", 1, MS_NODEV);
    const char *devs[] = { "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", NULL };
    for (int i = 0; devs[i]; i++) robind(devs[i], devs[i], 0, MS_NOEXEC);
    /* the zygote's own proc (its PID ns: only the zygote and its children) */
    if (mount("proc", ROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("proc");
    if (chdir(ROOT)) die("chdir");
    if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
    if (umount2(".", MNT_DETACH)) die("umount old");
    if (chdir("/")) die("chdir /");
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL)) die("ro root");
    char *argv[] = { "python3", "-I", "-S", "-B", "/zyg/zygote.py", NULL };
    char *envp[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL };
    execve("/usr/bin/python3", argv, envp);
    die("execve");
    return 111;
}

static void writef(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) die(path);
    close(fd);
}

int main(void)
{
    static char stack[1 << 16];
    if (pipe(sync_pipe)) die("pipe");
    pid_t pid = clone(child, stack + sizeof stack,
                      CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
                      CLONE_NEWUTS | SIGCHLD, NULL);
    if (pid < 0) die("clone");
    close(sync_pipe[0]);
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/uid_map", pid);
    writef(p, "0 97000 1\n97001 97001 4\n");
    snprintf(p, sizeof p, "/proc/%d/gid_map", pid);
    writef(p, "0 97000 1\n97001 97001 4\n");
    if (write(sync_pipe[1], "x", 1) != 1) die("sync write");
    close(sync_pipe[1]);
    close(3); /* the zygote has its copy; the launcher keeps none */
    int st;
    while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
