/*
 * remote-probe: drives dispatcher/remote.c against a real sshd, for the
 * integration tests (tests/integration/t03*.sh) and to measure costs.
 *
 *   remote-probe [OPTIONS] COMMAND [ARGS...]
 *
 * Options: --host H (127.0.0.1) --port P --user U (root) --identity F
 * --known-hosts F --connect-timeout-ms N (10000) --io-timeout-ms N (10000)
 * --abort-after-ms N (a watchdog thread calls remote_abort() once a
 * blocking call has been busy for N ms) --sync DIR (after connecting,
 * create DIR/connected and wait for DIR/go before the command).
 *
 * Commands:
 *   connect
 *   run [--stdin TEXT] [--cap N] [--] ARGV...
 *   spawn-lines [--max-line N] [--] ARGV...
 *   put LOCAL_FILE REMOTE_PATH [--mode OCTAL]
 *   get REMOTE_PATH LOCAL_DIR NAME [--cap N]
 *   list REMOTE_DIR [--max N]
 *   mkdir REMOTE_PATH
 *   keepalive [--rounds N] [--interval-ms N]
 *   wait [--timeout-ms N] [--wake-after-ms N]
 *   bench [--n N] [--dir REMOTE_DIR]
 *
 * Output: one JSON object a line on stdout.  The last one has "ok" and, on
 * failure, "code" (error_code_name) and "error"; "connect_ms" and
 * "elapsed_ms" (the command alone) are always there, "aborted" says whether
 * the watchdog fired.  spawn-lines first prints {"line":..,"t_ms":..} for
 * each line as it arrives.  Exit status 0 if the command worked, else 1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"
#include "remote.h"
#include "util.h"

#define PROBE_CAP_DEFAULT (16 * 1024 * 1024)

/* The watchdog: aborts r's blocking call once it is busy for too long. */
struct probe_watchdog {
	pthread_mutex_t mu; /* keeps remote_free() out while r is used */
	pthread_t th;
	struct remote *r;
	int64_t limit_ms;
	bool stop, fired, running;
};

static struct probe_watchdog probe_wd = { .mu = PTHREAD_MUTEX_INITIALIZER };
static int64_t probe_t0;

/* Print a usage message and exit 2. */
static void
probe_usage(void)
{
	fprintf(stderr,
	    "usage: remote-probe --port P --identity F --known-hosts F "
	    "[--host H] [--user U]\n"
	    "       [--connect-timeout-ms N] [--io-timeout-ms N] "
	    "[--run-timeout-ms N] "
	    "[--abort-after-ms N] [--sync DIR]\n"
	    "       connect | run | spawn-lines | put | get | list | mkdir | "
	    "keepalive | wait | bench ...\n");
	exit(2);
}

/* Parse a non-negative number or exit with usage. */
static long long
probe_num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		probe_usage();
	return v;
}

/* Print one JSON object on a line of its own, and free it. */
static void
probe_print(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(o);
}

/* Put bytes into o under key: as a string if UTF-8, else as hex. */
static void
probe_set_bytes(json_t *o, const char *key, const char *buf, size_t len)
{
	json_t *s = json_stringn(buf, len);
	char hexkey[64], *hex;
	size_t i;

	if (s != NULL) {
		json_object_set_new(o, key, s);
		return;
	}
	if ((hex = malloc(len * 2 + 1)) == NULL)
		return;
	for (i = 0; i < len; i++)
		snprintf(hex + i * 2, 3, "%02x", (unsigned char)buf[i]);
	snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
	json_object_set_new(o, hexkey, json_string(hex));
	free(hex);
}

/* The watchdog thread's loop: check every 5 ms. */
static void *
probe_watchdog_main(void *arg)
{
	struct probe_watchdog *wd = arg;

	for (;;) {
		pthread_mutex_lock(&wd->mu);
		if (wd->stop) {
			pthread_mutex_unlock(&wd->mu);
			break;
		}
		if (wd->r != NULL &&
		    remote_busy_ms(wd->r, util_now_ms()) > wd->limit_ms) {
			remote_abort(wd->r);
			wd->fired = true;
		}
		pthread_mutex_unlock(&wd->mu);
		usleep(5000);
	}
	return NULL;
}

/* Hand r to the watchdog, starting it if asked for. */
static void
probe_watchdog_start(struct remote *r, int64_t limit_ms)
{
	if (limit_ms <= 0)
		return;
	probe_wd.r = r;
	probe_wd.limit_ms = limit_ms;
	if (pthread_create(&probe_wd.th, NULL, probe_watchdog_main,
		&probe_wd) != 0) {
		fprintf(stderr, "remote-probe: cannot start the watchdog\n");
		exit(2);
	}
	probe_wd.running = true;
}

/* Take r away from the watchdog and stop it. */
static void
probe_watchdog_stop(void)
{
	if (!probe_wd.running)
		return;
	pthread_mutex_lock(&probe_wd.mu);
	probe_wd.r = NULL;
	probe_wd.stop = true;
	pthread_mutex_unlock(&probe_wd.mu);
	pthread_join(probe_wd.th, NULL);
	probe_wd.running = false;
}

/* Wait for DIR/go after creating DIR/connected. */
static void
probe_sync(const char *dir)
{
	char path[4096];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/connected", dir);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "remote-probe: cannot create %s\n", path);
		exit(2);
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	snprintf(path, sizeof(path), "%s/go", dir);
	for (i = 0; i < 12000 && access(path, F_OK) != 0; i++)
		usleep(10000);
}

/* Read a whole local file into memory. */
static int
probe_slurp(const char *path, char **buf, size_t *len, struct error *e)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return error_set(e, ERR_SYS, "cannot open '%s': %s", path,
		    strerror(errno));
	}
	if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return error_set(e, ERR_NOMEM, "out of memory");
	}
	while (off < (size_t)st.st_size &&
	    (n = read(fd, *buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	*len = off;
	return 0;
}

/* Collect the words after options ("--" ends the options). */
static const char **
probe_words(int argc, char **argv, int i)
{
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc)
		probe_usage();
	return (const char **)&argv[i];
}

/* run: a command to completion. */
static int
probe_run(struct remote *r, int argc, char **argv, json_t *res, struct error *e)
{
	const char *in = NULL;
	size_t cap = PROBE_CAP_DEFAULT, outlen = 0;
	char *out = NULL;
	int i = 1, status;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0 &&
	     strcmp(argv[i], "--") != 0;
	     i += 2) {
		if (strcmp(argv[i], "--stdin") == 0)
			in = argv[i + 1];
		else if (strcmp(argv[i], "--cap") == 0)
			cap = (size_t)probe_num(argv[i + 1]);
		else
			probe_usage();
	}
	if (remote_channel_run(r, probe_words(argc, argv, i), in,
		in ? strlen(in) : 0, cap, &out, &outlen, &status, e) == -1) {
		json_object_set_new(res, "stderr",
		    json_string(remote_channel_stderr(r)));
		return -1;
	}
	json_object_set_new(res, "exit", json_integer(status));
	probe_set_bytes(res, "stdout", out, outlen);
	json_object_set_new(res, "stderr",
	    json_string(remote_channel_stderr(r)));
	free(out);
	return 0;
}

/* Line callback of spawn-lines: print the line with its arrival time. */
static int
probe_line(const char *line, size_t len, void *arg)
{
	json_t *o = json_object();

	(*(size_t *)arg)++;
	probe_set_bytes(o, "line", line, len);
	json_object_set_new(o, "t_ms", json_integer(util_now_ms() - probe_t0));
	probe_print(o);
	return 0;
}

/* spawn-lines: a command read line by line as it runs. */
static int
probe_spawn_lines(struct remote *r, int argc, char **argv, json_t *res,
    struct error *e)
{
	struct remote_channel *p;
	size_t max_line = 4096, lines = 0;
	int i = 1, rc, status = 0, polls = 0;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0 &&
	     strcmp(argv[i], "--") != 0;
	     i += 2) {
		if (strcmp(argv[i], "--max-line") == 0)
			max_line = (size_t)probe_num(argv[i + 1]);
		else
			probe_usage();
	}
	if ((p = remote_channel_spawn(r, probe_words(argc, argv, i), e)) ==
	    NULL)
		return -1;
	while ((rc = remote_channel_poll(p, max_line, probe_line, &lines,
		    &status, e)) == 1) {
		polls++;
		if (remote_wait(r, -1, 1000, e) == -1) {
			rc = -1;
			break;
		}
	}
	remote_channel_free(p);
	json_object_set_new(res, "lines", json_integer((json_int_t)lines));
	json_object_set_new(res, "polls", json_integer(polls));
	if (rc == -1)
		return -1;
	json_object_set_new(res, "exit", json_integer(status));
	return 0;
}

/* put: a local file to a new remote file. */
static int
probe_put(struct remote *r, int argc, char **argv, json_t *res, struct error *e)
{
	char *buf = NULL;
	size_t len = 0;
	int mode = 0644, rc;

	if (argc < 3)
		probe_usage();
	if (argc >= 5 && strcmp(argv[3], "--mode") == 0)
		mode = (int)strtol(argv[4], NULL, 8);
	if (probe_slurp(argv[1], &buf, &len, e) == -1)
		return -1;
	rc = remote_sftp_put(r, argv[2], buf, len, mode, e);
	if (rc == 0)
		json_object_set_new(res, "bytes",
		    json_integer((json_int_t)len));
	free(buf);
	return rc;
}

/* get: a remote file to LOCAL_DIR/NAME. */
static int
probe_get(struct remote *r, int argc, char **argv, json_t *res, struct error *e)
{
	uint64_t cap = PROBE_CAP_DEFAULT, bytes = 0;
	int dfd, rc;

	if (argc < 4)
		probe_usage();
	if (argc >= 6 && strcmp(argv[4], "--cap") == 0)
		cap = (uint64_t)probe_num(argv[5]);
	if ((dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return error_set(e, ERR_SYS, "cannot open '%s': %s", argv[2],
		    strerror(errno));
	rc = remote_sftp_get(r, argv[1], dfd, argv[3], cap, &bytes, e);
	close(dfd);
	if (rc == 0)
		json_object_set_new(res, "bytes",
		    json_integer((json_int_t)bytes));
	return rc;
}

/* The name of an entry type. */
static const char *
probe_type_name(enum remote_type t)
{
	switch (t) {
	case REMOTE_REG:
		return "REG";
	case REMOTE_DIR:
		return "DIR";
	case REMOTE_LINK:
		return "LINK";
	default:
		return "OTHER";
	}
}

/* list: a directory's entries with their types. */
static int
probe_list(struct remote *r, int argc, char **argv, json_t *res,
    struct error *e)
{
	struct remote_entry *list = NULL;
	size_t n = 0, max = 10000, i;
	json_t *arr;

	if (argc < 2)
		probe_usage();
	if (argc >= 4 && strcmp(argv[2], "--max") == 0)
		max = (size_t)probe_num(argv[3]);
	if (remote_sftp_list(r, argv[1], max, &list, &n, e) == -1)
		return -1;
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr,
		    json_pack("{s:s, s:s, s:I}", "name", list[i].name, "type",
			probe_type_name(list[i].type), "size",
			(json_int_t)list[i].size));
	json_object_set_new(res, "entries", arr);
	free(list);
	return 0;
}

/* keepalive: rounds of keepalive + wait, with the packet counts. */
static int
probe_keepalive(struct remote *r, int argc, char **argv, json_t *res,
    struct error *e)
{
	long long rounds = 5, interval = 200;
	json_t *counts = json_array();
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = probe_num(argv[i + 1]);
		else if (strcmp(argv[i], "--interval-ms") == 0)
			interval = probe_num(argv[i + 1]);
		else
			probe_usage();
	}
	json_object_set_new(res, "packets_in", counts);
	json_array_append_new(counts,
	    json_integer((json_int_t)remote_packets_in(r)));
	for (i = 0; i < rounds; i++) {
		int64_t until = util_now_ms() + interval, now;

		if (remote_keepalive(r) == -1)
			return error_set(e, ERR_IO,
			    "keepalive: connection lost");
		/* keep servicing the session for the whole interval */
		while ((now = util_now_ms()) < until)
			if (remote_wait(r, -1, (int)(until - now), e) == -1)
				return -1;
		json_array_append_new(counts,
		    json_integer((json_int_t)remote_packets_in(r)));
	}
	return 0;
}

/* The thread that makes the wake descriptor readable after a delay. */
struct probe_waker {
	int fd;
	long long after_ms;
};

/* Write one byte to the wake pipe after the delay. */
static void *
probe_waker_main(void *arg)
{
	struct probe_waker *w = arg;
	char c = 'w';

	usleep((useconds_t)(w->after_ms * 1000));
	if (write(w->fd, &c, 1) != 1)
		perror("remote-probe: wake");
	return NULL;
}

/* wait: remote_wait() on a quiet session, woken by a pipe if asked. */
static int
probe_wait(struct remote *r, int argc, char **argv, json_t *res,
    struct error *e)
{
	long long timeout = 1000, wake_after = -1;
	struct probe_waker w;
	pthread_t th;
	int pfd[2] = { -1, -1 }, i, rc;
	int64_t t;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--timeout-ms") == 0)
			timeout = probe_num(argv[i + 1]);
		else if (strcmp(argv[i], "--wake-after-ms") == 0)
			wake_after = probe_num(argv[i + 1]);
		else
			probe_usage();
	}
	if (wake_after >= 0) {
		if (pipe(pfd) == -1)
			return error_set(e, ERR_SYS, "pipe: %s",
			    strerror(errno));
		w.fd = pfd[1];
		w.after_ms = wake_after;
		pthread_create(&th, NULL, probe_waker_main, &w);
	}
	t = util_now_ms();
	rc = remote_wait(r, pfd[0], (int)timeout, e);
	json_object_set_new(res, "waited_ms", json_integer(util_now_ms() - t));
	if (wake_after >= 0) {
		pthread_join(th, NULL);
		close(pfd[0]);
		close(pfd[1]);
	}
	return rc;
}

/* Sort helper for medians. */
static int
probe_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Add {"mean":..,"p50":..,"n":..} of samples (ms) to o under key. */
static void
probe_stat(json_t *o, const char *key, double *v, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += v[i];
	qsort(v, (size_t)n, sizeof(*v), probe_cmp_double);
	json_object_set_new(o, key,
	    json_pack("{s:f, s:f, s:i}", "mean", n ? sum / n : 0.0, "p50",
		n ? v[n / 2] : 0.0, "n", n));
}

/* Milliseconds with a fraction, from CLOCK_MONOTONIC. */
static double
probe_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* bench: costs of the common operations on this connection. */
static int
probe_bench(struct remote *r, const struct remote_opts *o, int argc,
    char **argv, json_t *res, struct error *e)
{
	const char *dir = "/tmp/sluice-remote-bench", *tru[] = { "true", NULL };
	char path[512], local[] = "/tmp/sluice-bench-local.XXXXXX", name[32];
	char data[1024], *out;
	double *v, t;
	int n = 20, i, status, dfd, rc = -1;
	struct remote_channel *p;
	struct remote *c;
	uint64_t bytes;
	size_t lines = 0;
	json_t *st = json_object();

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--n") == 0)
			n = (int)probe_num(argv[i + 1]);
		else if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else
			probe_usage();
	}
	json_object_set_new(res, "ms", st);
	memset(data, 'x', sizeof(data));
	if ((v = calloc((size_t)n, sizeof(*v))) == NULL ||
	    mkdtemp(local) == NULL ||
	    (dfd = open(local, O_RDONLY | O_DIRECTORY)) == -1)
		return error_set(e, ERR_SYS, "bench setup failed");
	for (i = 0; i < n; i++) {
		t = probe_ms();
		if ((c = remote_connect(o, e)) == NULL)
			goto out;
		v[i] = probe_ms() - t;
		remote_free(c);
	}
	probe_stat(st, "connect_auth_sftp", v, n);
	for (i = 0; i < n; i++) {
		t = probe_ms();
		if ((p = remote_channel_spawn(r, tru, e)) == NULL)
			goto out;
		v[i] = probe_ms() - t;
		while ((rc = remote_channel_poll(p, 100, probe_line, &lines,
			    &status, e)) == 1)
			remote_wait(r, -1, 1000, e);
		remote_channel_free(p);
		if (rc == -1)
			goto out;
	}
	rc = -1;
	probe_stat(st, "spawn_channel_open_exec", v, n);
	for (i = 0; i < n; i++) {
		t = probe_ms();
		if (remote_channel_run(r, tru, NULL, 0, 100, &out, NULL,
			&status, e) == -1)
			goto out;
		v[i] = probe_ms() - t;
		free(out);
	}
	probe_stat(st, "run_true", v, n);
	t = probe_ms();
	if (remote_sftp_mkdir(r, dir, 0755, e) == -1)
		goto out;
	json_object_set_new(st, "mkdir_one", json_real(probe_ms() - t));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		t = probe_ms();
		if (remote_sftp_put(r, path, data, sizeof(data), 0644, e) == -1)
			goto out;
		v[i] = probe_ms() - t;
	}
	probe_stat(st, "put_1k", v, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		snprintf(name, sizeof(name), "f%d", i);
		t = probe_ms();
		if (remote_sftp_get(r, path, dfd, name, 4096, &bytes, e) == -1)
			goto out;
		v[i] = probe_ms() - t;
		unlinkat(dfd, name, 0);
	}
	probe_stat(st, "get_1k", v, n);
	for (i = 0; i < n; i++) {
		struct remote_entry *l;
		size_t cnt;

		t = probe_ms();
		if (remote_sftp_list(r, dir, 1000, &l, &cnt, e) == -1)
			goto out;
		v[i] = probe_ms() - t;
		free(l);
	}
	probe_stat(st, "list_20", v, n);
	rc = 0;
out : {
	const char *rm[] = { "rm", "-rf", dir, NULL };
	struct error e2;

	if (remote_channel_run(r, rm, NULL, 0, 100, NULL, NULL, &status, &e2) ==
	    -1)
		fprintf(stderr, "remote-probe: cleanup: %s\n", e2.msg);
}
	close(dfd);
	rmdir(local);
	free(v);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "identity", required_argument, NULL, 'i' },
		{ "known-hosts", required_argument, NULL, 'k' },
		{ "connect-timeout-ms", required_argument, NULL, 'c' },
		{ "io-timeout-ms", required_argument, NULL, 't' },
		{ "run-timeout-ms", required_argument, NULL, 'r' },
		{ "abort-after-ms", required_argument, NULL, 'a' },
		{ "sync", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct remote_opts o = { .host = "127.0.0.1",
		.user = "root",
		.connect_timeout_ms = 10000,
		.io_timeout_ms = 10000 };
	const char *sync_dir = NULL, *cmd;
	long long abort_after = 0;
	struct remote *r;
	struct error e;
	json_t *res;
	int c, rc;
	int64_t t;

	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			o.port = (unsigned)probe_num(optarg);
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'i':
			o.identity = optarg;
			break;
		case 'k':
			o.known_hosts = optarg;
			break;
		case 'c':
			o.connect_timeout_ms = (int)probe_num(optarg);
			break;
		case 't':
			o.io_timeout_ms = (int)probe_num(optarg);
			break;
		case 'r':
			o.run_timeout_ms = (int)probe_num(optarg);
			break;
		case 'a':
			abort_after = probe_num(optarg);
			break;
		case 's':
			sync_dir = optarg;
			break;
		default:
			probe_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		probe_usage();
	cmd = argv[0];
	error_init(&e);
	res = json_object();
	t = util_now_ms();
	r = remote_connect(&o, &e);
	json_object_set_new(res, "connect_ms", json_integer(util_now_ms() - t));
	if (r == NULL) {
		json_object_set_new(res, "ok", json_false());
		json_object_set_new(res, "stage", json_string("connect"));
		json_object_set_new(res, "code",
		    json_string(error_code_name(e.code)));
		json_object_set_new(res, "error", json_string(e.msg));
		probe_print(res);
		return 1;
	}
	if (sync_dir != NULL)
		probe_sync(sync_dir);
	probe_watchdog_start(r, abort_after);
	probe_t0 = t = util_now_ms();
	if (strcmp(cmd, "connect") == 0)
		rc = 0;
	else if (strcmp(cmd, "run") == 0)
		rc = probe_run(r, argc, argv, res, &e);
	else if (strcmp(cmd, "spawn-lines") == 0)
		rc = probe_spawn_lines(r, argc, argv, res, &e);
	else if (strcmp(cmd, "put") == 0)
		rc = probe_put(r, argc, argv, res, &e);
	else if (strcmp(cmd, "get") == 0)
		rc = probe_get(r, argc, argv, res, &e);
	else if (strcmp(cmd, "list") == 0)
		rc = probe_list(r, argc, argv, res, &e);
	else if (strcmp(cmd, "mkdir") == 0)
		rc = argc < 2 ? (probe_usage(), -1)
			      : remote_sftp_mkdir(r, argv[1], 0755, &e);
	else if (strcmp(cmd, "keepalive") == 0)
		rc = probe_keepalive(r, argc, argv, res, &e);
	else if (strcmp(cmd, "wait") == 0)
		rc = probe_wait(r, argc, argv, res, &e);
	else if (strcmp(cmd, "bench") == 0)
		rc = probe_bench(r, &o, argc, argv, res, &e);
	else
		probe_usage();
	json_object_set_new(res, "elapsed_ms", json_integer(util_now_ms() - t));
	probe_watchdog_stop();
	json_object_set_new(res, "aborted", json_boolean(probe_wd.fired));
	json_object_set_new(res, "ok", json_boolean(rc == 0));
	if (rc != 0) {
		json_object_set_new(res, "code",
		    json_string(error_code_name(e.code)));
		json_object_set_new(res, "error", json_string(e.msg));
	}
	t = util_now_ms();
	remote_free(r);
	json_object_set_new(res, "free_ms", json_integer(util_now_ms() - t));
	probe_print(res);
	return rc == 0 ? 0 : 1;
}
