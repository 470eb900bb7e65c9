/* Runtime checks through the real sandbox: see check.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "jobdir.h"
#include "plan.h"
#include "result.h"
#include "slot.h"
#include "supervise.h"
#include "util.h"

#define CHECK_ERROR_MAX 400

/* FNV-1a (plan_fnv()) over a string and its end. */
static uint64_t
check_fnv_str(uint64_t h, const char *s)
{
	return plan_fnv(h, s != NULL ? s : "", s != NULL ? strlen(s) + 1 : 1);
}

/* The same over a host file's identity: another file, or the same one
   changed, is another key.  A path that is not there counts as such. */
static uint64_t
check_fnv_file(uint64_t h, const char *path)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (stat(path, &st) == -1)
		return plan_fnv(h, "-", 1);
	h = plan_fnv(h, &st.st_dev, sizeof(st.st_dev));
	h = plan_fnv(h, &st.st_ino, sizeof(st.st_ino));
	h = plan_fnv(h, &st.st_size, sizeof(st.st_size));
	return plan_fnv(h, &st.st_mtim, sizeof(st.st_mtim));
}

/* What a kept outcome depends on. */
static uint64_t
check_key(const struct agent_conf *c, const struct runtime *rt)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	h = check_fnv_str(h, PACKAGE_VERSION);
	h = check_fnv_str(h, rt->name);
	for (i = 0; i < rt->ncommand; i++)
		h = check_fnv_str(h, rt->command[i]);
	h = plan_fnv(h, "|", 1);
	for (i = 0; i < rt->ncompile; i++)
		h = check_fnv_str(h, rt->compile[i]);
	h = plan_fnv(h, "|", 1);
	for (i = 0; i < rt->nbinds; i++)
		h = check_fnv_str(h, rt->binds[i]);
	h = check_fnv_str(h, rt->check_entry);
	h = check_fnv_str(h, rt->check_source);
	h = plan_fnv(h, &c->defaults, sizeof(c->defaults));
	h = plan_fnv(h, &rt->compile_defaults, sizeof(rt->compile_defaults));
	h = check_fnv_file(h, rt->command[0]);
	if (rt->compile != NULL)
		h = check_fnv_file(h, rt->compile[0]);
	return h;
}

/* A kept outcome for key, not older than CHECK_KEEP_SECONDS, or NULL. */
static json_t *
check_kept(int dirfd, const char *name, uint64_t key)
{
	char file[96], want[24];
	json_t *obj, *out = NULL;
	size_t len;
	char *text;
	int fd, rc;

	snprintf(file, sizeof(file), "%s.kept", name);
	if ((fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return NULL;
	rc = util_read_fd(fd, file, 8192, &text, &len, NULL);
	close(fd);
	if (rc == -1)
		return NULL;
	obj = json_loadb(text, len, 0, NULL);
	free(text);
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)key);
	if (json_is_string(json_object_get(obj, "key")) &&
	    strcmp(json_string_value(json_object_get(obj, "key")), want) == 0 &&
	    json_is_integer(json_object_get(obj, "at")) &&
	    time(NULL) - json_integer_value(json_object_get(obj, "at")) <
		CHECK_KEEP_SECONDS &&
	    time(NULL) >= json_integer_value(json_object_get(obj, "at")) &&
	    json_is_string(json_object_get(obj, "check"))) {
		out = json_deep_copy(obj);
		json_object_del(out, "key");
		json_object_del(out, "at");
	}
	json_decref(obj);
	return out;
}

/* Keep an outcome for key (written aside, then renamed). */
static void
check_keep(int dirfd, const char *name, uint64_t key, const json_t *outcome)
{
	char file[96], tmp[104], hex[24], *text;
	json_t *obj = json_deep_copy(outcome);
	int fd;

	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)key);
	if (obj == NULL ||
	    json_object_set_new(obj, "key", json_string(hex)) == -1 ||
	    json_object_set_new(obj, "at", json_integer(time(NULL))) == -1 ||
	    (text = json_dumps(obj, JSON_COMPACT)) == NULL) {
		json_decref(obj);
		return;
	}
	json_decref(obj);
	snprintf(file, sizeof(file), "%s.kept", name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd != -1) {
		if (util_write_all(fd, text, strlen(text)) == 0 &&
		    close(fd) == 0)
			(void)renameat(dirfd, tmp, dirfd, file);
		else
			(void)unlinkat(dirfd, tmp, 0);
	}
	free(text);
}

/* A failed check's outcome: the result's message, then the first bytes of
   what the program (or its compiler) wrote, in printable ASCII. */
static json_t *
check_failed(const struct jobdir *jd, const char *message, const char *stream)
{
	char text[CHECK_ERROR_MAX + 1], *out = NULL, *p;
	size_t len = 0, n;
	int fd;

	snprintf(text, sizeof(text), "%s", message);
	if (stream != NULL &&
	    (fd = openat(jd->fd, stream, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) !=
		-1) {
		(void)util_read_fd(fd, stream, 4096, &out, &len, NULL);
		close(fd);
	}
	if (out != NULL && len > 0 && (n = strlen(text)) + 3 < sizeof(text)) {
		snprintf(text + n, sizeof(text) - n, ": %.*s", (int)len, out);
		for (p = text + n + 2; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = ' ';
	}
	free(out);
	return json_pack("{s:s, s:s}", "check", "failed", "check_error", text);
}

/*
 * Run the check as a job in <dirfd>/<name>.job on the slot whose lock is
 * slotfd (the supervisor takes its own copy; the caller closes this one),
 * and wait for its end.
 */
static json_t *
check_run(const struct agent_conf *c, const struct runtime *rt,
    const struct cgroup_sys *cs, int dirfd, const char *name, unsigned slot,
    int slotfd)
{
	struct supervise_job sj;
	struct jobdir jd = { .parentfd = -1, .fd = -1 };
	struct manifest m;
	struct result r;
	struct error e;
	struct plan p;
	json_t *obj = NULL, *out = NULL;
	struct stat st;
	int files = -1, fd, evfd = -1, status;
	pid_t pid;

	memset(&p, 0, sizeof(p));
	memset(&m, 0, sizeof(m));
	result_init(&r);
	error_init(&e);
	snprintf(jd.name, sizeof(jd.name), "%s.job", name);
	/* What an earlier check left, if it was stopped. */
	if ((fd = openat(dirfd, jd.name,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		(void)files_remove_tree(fd, &e);
		close(fd);
		(void)unlinkat(dirfd, jd.name, AT_REMOVEDIR);
	}
	if (mkdirat(dirfd, jd.name, 0700) == -1 ||
	    (jd.fd = openat(dirfd, jd.name,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(jd.fd, &st) == -1 ||
	    (jd.parentfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    mkdirat(jd.fd, "files", 0755) == -1 ||
	    (files = openat(jd.fd, "files",
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (fd = openat(files, rt->check_entry,
		 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) ==
		-1) {
		out = check_failed(&jd, "cannot make the check's job", NULL);
		goto out;
	}
	jd.dev = st.st_dev;
	jd.ino = st.st_ino;
	if (util_write_all(fd, rt->check_source, strlen(rt->check_source)) ==
	    -1) {
		close(fd);
		out = check_failed(&jd, "cannot write the check's program",
		    NULL);
		goto out;
	}
	close(fd);
	m.version = MANIFEST_VERSION;
	strcpy(m.id, "check");
	snprintf(m.runtime, sizeof(m.runtime), "%s", rt->name);
	m.entry = (char *)rt->check_entry;
	if (plan_build(&p, &m, c, slot, cs->memory, &e) == -1 ||
	    jobdir_claim(&jd, &evfd, &e) == -1) {
		out = check_failed(&jd, e.msg, NULL);
		goto out;
	}
	memset(&sj, 0, sizeof(sj));
	sj.conf = c;
	sj.plan = &p;
	sj.jd = &jd;
	sj.cg = cs;
	sj.evfd = evfd;
	sj.slotfd = slotfd;
	sj.wakefd = sj.template_fd = sj.parkfd = sj.parked_lock = -1;
	sj.zygotefd = -1;
	sj.spare_ns[0] = sj.spare_ns[1] = -1;
	pid = supervise_start(&sj, (const int[2]){ -1, -1 });
	close(evfd);
	if (pid == -1) {
		out = check_failed(&jd, "cannot start the supervisor", NULL);
		goto out;
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if ((obj = jobdir_read_result(&jd)) == NULL ||
	    result_from_json(obj, &r, &e) == -1) {
		out = check_failed(&jd, "the check left no result", NULL);
		goto out;
	}
	if (r.verdict == VERDICT_OK)
		out = json_pack("{s:s}", "check", "ok");
	else
		out = check_failed(&jd, r.message,
		    r.verdict == VERDICT_COMPILE_ERROR ? "compile.stderr"
						       : "stderr");
out:
	if (files != -1)
		close(files);
	if (jd.fd != -1) {
		(void)files_remove_tree(jd.fd, &e);
		(void)unlinkat(dirfd, jd.name, AT_REMOVEDIR);
		close(jd.fd);
	}
	if (jd.parentfd != -1)
		close(jd.parentfd);
	json_decref(obj);
	result_release(&r);
	plan_release(&p);
	return out;
}

/* See check.h. */
json_t *
check_runtime(const struct agent_conf *c, const struct runtime *rt,
    const struct cgroup_sys *cs)
{
	char path[PATH_MAX], lock[96];
	json_t *out = NULL;
	struct error e;
	uint64_t key;
	int dirfd = -1, lockfd = -1, slotfd = -1;
	unsigned i;

	error_init(&e);
	snprintf(path, sizeof(path), "%s/checks", c->base_dir);
	if (slot_dirs(c, &e) == -1 ||
	    (dirfd = open(path,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return json_pack("{s:s, s:s}", "check", "failed", "check_error",
		    e.msg[0] != '\0' ? e.msg
				     : "cannot open the checks directory");
	/* One check of a runtime at a time; the others then find its
	   outcome kept. */
	snprintf(lock, sizeof(lock), "%s.lock", rt->name);
	if ((lockfd = openat(dirfd, lock,
		 O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) != -1)
		(void)flock(lockfd, LOCK_EX);
	key = check_key(c, rt);
	if ((out = check_kept(dirfd, rt->name, key)) != NULL)
		goto out;
	for (i = 0; i < c->slots && slotfd == -1; i++)
		slotfd = slot_try(c, i);
	if (slotfd == -1) {
		out = json_pack("{s:s}", "check", "unchecked");
		goto out;
	}
	out = check_run(c, rt, cs, dirfd, rt->name, i - 1, slotfd);
	close(slotfd);
	if (out != NULL)
		check_keep(dirfd, rt->name, key, out);
out:
	if (lockfd != -1)
		close(lockfd);
	close(dirfd);
	return out;
}
