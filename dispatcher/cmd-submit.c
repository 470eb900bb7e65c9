/* sluice submit: send files to run; with --wait, run them like a program. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cli.h"
#include "cmd.h"
#include "limit.h"
#include "manifest.h"
#include "request.h"
#include "upload.h"
#include "util.h"

#define CMD_SUBMIT_WAIT_SECONDS 30 /* one long poll, without a terminal */
/* A dispatcher gone while a job is waited for (a restart) is tried again
   for this long, at growing intervals between these two. */
#define CMD_SUBMIT_RETRY_SECONDS 300
#define CMD_SUBMIT_BACKOFF_MIN_MS 250
#define CMD_SUBMIT_BACKOFF_MAX_MS 5000
#define CMD_ARRAY_POLL_SECONDS 1 /* a throttled array looks this often */
/* Tasks in one batch (the default max_batch_jobs; fewer if refused). */
#define CMD_ARRAY_BATCH_MAX 100
#define CMD_ARRAY_BATCH_BYTES (8 * 1024 * 1024) /* and its body at most */

enum {
	CMD_SUBMIT_ENTRY = CLI_OPT_VERB,
	CMD_SUBMIT_RUNTIME,
	CMD_SUBMIT_STDIN,
	CMD_SUBMIT_ARG,
	CMD_SUBMIT_ENV,
	CMD_SUBMIT_CPU,
	CMD_SUBMIT_WALL,
	CMD_SUBMIT_MEMORY,
	CMD_SUBMIT_LABEL,
	CMD_SUBMIT_LIMIT,
	CMD_SUBMIT_WAIT,
	CMD_SUBMIT_JSON,
	CMD_SUBMIT_ARRAY,
	CMD_SUBMIT_EXCLUDE,
	CMD_SUBMIT_OUT_DIR
};

/* Print the verb's usage. */
static void
cmd_submit_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice submit FILE... [--entry F] [--runtime R] "
	    "[--stdin FILE]\n"
	    "                     [--arg A]... [--env NAME=VALUE]... "
	    "[--cpu S] [--wall S]\n"
	    "                     [--memory SIZE] [--label L]... [--wait] "
	    "[--json]\n"
	    "                     [--limit NAME=VALUE]... [--array SPEC] [-J "
	    "NAME]\n"
	    "                     [--exclude GLOB]... [--out-dir DIR]\n"
	    "Submits FILEs to run in a sandbox on a node, and prints the job "
	    "id (with\n"
	    "--json, the job object).  A FILE may be a directory: every "
	    "regular file\n"
	    "under it is sent (symbolic links inside it are not followed).  "
	    "A relative\n"
	    "path is sent as it is given (pkg/util.py stays pkg/util.py; "
	    "'..' is\n"
	    "refused), an absolute one under its last component "
	    "(/tmp/main.py as\n"
	    "main.py), and '.' is the job's directory itself.\n\n"
	    "  --entry F          the file to run, as it is sent (default: "
	    "the first FILE,\n"
	    "                     which must then be a file)\n"
	    "  --exclude GLOB     leave out what a directory holds that "
	    "matches GLOB: its\n"
	    "                     own name ('*.pyc', '.git'), or with a "
	    "'/', its whole\n"
	    "                     name as sent ('pkg/data/big*'); "
	    "repeatable\n"
	    "  --runtime R        the environment to run it in (default: by "
	    "the entry's\n"
	    "                     extension: .c c, .cpp/.cc/.cxx cpp, .java "
	    "java, .js/.mjs\n"
	    "                     javascript, anything else python3)\n"
	    "  --stdin FILE       the program's standard input\n"
	    "  --arg A            an argument for the program (repeatable)\n"
	    "  --env NAME=VALUE   an environment variable (repeatable)\n"
	    "  --cpu S            CPU time limit in seconds\n"
	    "  --wall S           wall-clock time limit in seconds\n"
	    "  --memory SIZE      memory limit: bytes, or 256M, 1.5G, 512Ki "
	    "(K M G T and\n"
	    "                     Ki Mi Gi Ti are all powers of 1024)\n"
	    "  --limit NAME=VALUE any limit: cpu_seconds, wall_seconds, "
	    "memory_bytes,\n"
	    "                     processes, output_bytes, disk_bytes, "
	    "open_files\n"
	    "                     (sizes as for --memory; repeatable)\n"
	    "  --label L          run only on nodes with label L "
	    "(repeatable)\n"
	    "  -J, --name NAME    the job's name, for list and cancel: 1 to "
	    "64 characters\n"
	    "                     of [A-Za-z0-9._+-] (an array's tasks all "
	    "take it)\n"
	    "  --wait             wait for the job, print its stdout and "
	    "stderr as it\n"
	    "                     writes them and exit with its status "
	    "(below), saying\n"
	    "                     why on stderr if that is not 0; on a "
	    "terminal, show its\n"
	    "                     state and elapsed time on stderr.  A "
	    "dispatcher that\n"
	    "                     goes away meanwhile (a restart) is waited "
	    "for, up to\n"
	    "                     5 minutes\n"
	    "  --out-dir DIR      with --wait: write the files the job left "
	    "in /out into\n"
	    "                     DIR (made if missing), once it has ended\n"
	    "  --json             print the job object (with --wait: the "
	    "ended job's,\n"
	    "                     instead of its output, and exit 0)\n"
	    "  --array SPEC       a job array: one job (task) for each index "
	    "in SPEC, as\n"
	    "                     sbatch's: 0-15, 1,3,5-7, 0-15:2 (a step), "
	    "0-15%%4 (at most\n"
	    "                     4 not ended at once: this command waits "
	    "to send the rest;\n"
	    "                     stopped, it sends no more); at most "
	    "10000 tasks, each\n"
	    "                     with SLUICE_ARRAY_TASK_ID (its index), "
	    "SLUICE_ARRAY_JOB_ID\n"
	    "                     (the array's, 16 hex digits), "
	    "SLUICE_ARRAY_TASK_COUNT,\n"
	    "                     SLUICE_ARRAY_TASK_MIN and _MAX in its "
	    "environment.  Prints\n"
	    "                     each task's job id, in index order "
	    "(--json: the array's id\n"
	    "                     and each task's index and job); --wait "
	    "waits for all and\n"
	    "                     exits with the highest of their statuses, "
	    "without output\n"
	    "%s\n"
	    "With --wait the exit status is the program's:\n"
	    "  N        it exited with status N (0 when it COMPLETED)\n"
	    "  128+S    it was killed by signal S (137 for SIGKILL)\n"
	    "  123      it wrote more output than its limit (output_limit)\n"
	    "  124      TIMEOUT: its CPU or wall-clock limit\n"
	    "  125      OUT_OF_MEMORY\n"
	    "  130      CANCELLED\n"
	    "  75       NODE_FAIL: its node was lost on every attempt\n"
	    "  70       compile_error, sandbox_error or any other failure\n"
	    "and the statuses below when the dispatcher itself fails, so a "
	    "script that\nmust tell them apart uses --wait --json.\n\n%s",
	    cli_common_help, cli_exit_help);
}

/* The options and files of one submission. */
struct cmd_submit {
	const char *entry;
	const char *runtime; /* NULL: by the entry's extension */
	const char *stdin_path;
	bool wait;
	bool json;
	json_t *args;
	json_t *env;
	json_t *limits;
	json_t *labels;
	const char **excludes; /* --exclude, argc of them at most */
	size_t nexcludes;
	const char *out_dir; /* --out-dir */
	const char *array_text; /* --array, as given */
	const char *name; /* -J/--name */
	struct array_spec array; /* parsed, if array_text */
};

/* Add data under name to the "files"/"files_base64" objects, or as stdin. */
static int
cmd_submit_add_data(json_t *body, const char *text_key, const char *b64_key,
    const char *name, const unsigned char *data, size_t len)
{
	json_t *obj, *v;
	const char *key;
	char *b64;

	if (fmt_utf8_text(data, len)) {
		key = text_key;
		v = json_stringn((const char *)data, len);
	} else {
		key = b64_key;
		if ((b64 = fmt_base64(data, len)) == NULL)
			return -1;
		v = json_string(b64);
		free(b64);
	}
	if (v == NULL)
		return -1;
	if (name == NULL)
		return json_object_set_new(body, key, v);
	if ((obj = json_object_get(body, key)) == NULL) {
		if ((obj = json_object()) == NULL ||
		    json_object_set_new(body, key, obj) == -1) {
			json_decref(v);
			return -1;
		}
	}
	return json_object_set_new(obj, name, v);
}

/* The exit status for a failure of upload.h's. */
static int
cmd_submit_upload_exit(struct cli *cli, const struct error *e)
{
	switch (e->code) {
	case ERR_USAGE:
	case ERR_STATE:
		return cli_usage_error(cli, "%s", e->msg);
	case ERR_INVALID:
		cli_warn("%s", e->msg);
		return EX_DATAERR;
	case ERR_NOMEM:
		cli_warn("out of memory");
		return EX_OSERR;
	default:
		cli_warn("%s", e->msg);
		return EX_NOINPUT;
	}
}

/*
 * Gather the operands' files (upload.h) and choose the entry: --entry, as
 * a name sent, or the first operand if it is a file.  Nothing is read or
 * sent yet.  Returns 0 or an exit status.
 */
static int
cmd_submit_gather(struct cli *cli, struct cmd_submit *s, char **files,
    int nfiles, struct upload *u, const char **entry)
{
	char name[UTIL_PATH_MAX + 1];
	const struct upload_file *f;
	struct error e;
	int i;

	for (i = 0; i < nfiles; i++) {
		error_init(&e);
		if (upload_add(u, files[i], &e) == -1)
			return cmd_submit_upload_exit(cli, &e);
	}
	if (u->skipped > 0)
		cli_warn("left out %zu entr%s that %s neither a regular file "
			 "nor a directory (symbolic links inside a directory "
			 "are never followed): '%s'%s",
		    u->skipped, u->skipped == 1 ? "y" : "ies",
		    u->skipped == 1 ? "is" : "are", u->skipped_first,
		    u->skipped > 1 ? " and others" : "");
	if (u->n == 0)
		return cli_usage_error(cli,
		    "no file to send: the directories hold none%s",
		    s->nexcludes > 0 ? ", or --exclude left them all out" : "");
	if (s->entry == NULL) {
		if (!u->files[0].top)
			return cli_usage_error(cli,
			    "'%s' is a directory: name the file to run with "
			    "--entry (as it is sent, e.g. '%s')",
			    files[0], u->files[0].name);
		*entry = u->files[0].name;
		return 0;
	}
	error_init(&e);
	if (upload_name(s->entry, name, sizeof(name), &e) == -1 ||
	    s->entry[0] == '/')
		return cli_usage_error(cli,
		    "--entry '%s' is not a name a file is sent under (a "
		    "relative path like 'main.py' or 'src/main.py')",
		    s->entry);
	if ((f = upload_find(u, name)) == NULL) {
		/* The old way: a base name that is sent, if only one is. */
		return cli_usage_error(cli,
		    "--entry '%s' is not one of the files sent (the first is "
		    "sent as '%s')",
		    s->entry, u->files[0].name);
	}
	*entry = f->name;
	return 0;
}

/*
 * The dispatcher's caps (GET /v1/caps): into *caps and *max_body (0 if
 * unknown); the defaults from a daemon that has no such endpoint.
 * Returns 0 or an exit status.
 */
static int
cmd_submit_caps(struct cli *cli, struct upload_caps *caps, uint64_t *max_body)
{
	static const struct upload_caps dflt = UPLOAD_CAPS_DEFAULT;
	static const struct upload_caps ceiling = UPLOAD_CAPS_CEILING;
	struct client_response r;
	json_error_t jerr;
	json_t *v = NULL, *n;
	int rc;

	*caps = dflt;
	*max_body = 0;
	client_response_init(&r);
	if ((rc = cli_request(cli, "GET", "/v1/caps", NULL, -1, &r)) != 0)
		goto out;
	if (r.status == 404) {
		/* Older: its caps are not known (they may be above the
		   defaults), so only its own 413 can say. */
		*caps = ceiling;
		goto out;
	}
	if (r.status != 200) {
		rc = cli_http_exit(cli, &r, NULL);
		goto out;
	}
	v = json_loadb(r.body, r.body_len, 0, &jerr);
	if ((n = json_object_get(v, "max_files")) != NULL &&
	    json_integer_value(n) > 0)
		caps->max_files = (size_t)json_integer_value(n);
	if ((n = json_object_get(v, "max_file_bytes")) != NULL &&
	    json_integer_value(n) > 0)
		caps->max_file_bytes = (uint64_t)json_integer_value(n);
	if ((n = json_object_get(v, "max_submission_bytes")) != NULL &&
	    json_integer_value(n) > 0)
		caps->max_total_bytes = (uint64_t)json_integer_value(n);
	if ((n = json_object_get(v, "max_body_bytes")) != NULL &&
	    json_integer_value(n) > 0)
		*max_body = (uint64_t)json_integer_value(n);
out:
	json_decref(v);
	client_response_release(&r);
	return rc;
}

/*
 * The runtime of a submission that names none, by its entry's extension:
 * the languages etc/agent.conf ships (.c c, .cpp/.cc/.cxx cpp, .java java,
 * .js/.mjs javascript), python3 for anything else.
 */
static const char *
cmd_submit_runtime_for(const char *entry)
{
	static const char *const by[][2] = { { ".c", "c" }, { ".cpp", "cpp" },
		{ ".cc", "cpp" }, { ".cxx", "cpp" }, { ".java", "java" },
		{ ".js", "javascript" }, { ".mjs", "javascript" } };
	const char *dot = entry != NULL ? strrchr(entry, '.') : NULL;
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(by) / sizeof(by[0]); i++)
		if (strcmp(dot, by[i][0]) == 0)
			return by[i][1];
	return "python3";
}

/*
 * The whole request body, the files read and checked against the
 * dispatcher's caps first; returns 0 or an exit status.
 */
static int
cmd_submit_body(struct cli *cli, struct cmd_submit *s, char **files, int nfiles,
    json_t **out)
{
	struct upload_caps caps;
	json_t *body = json_object();
	unsigned char *data = NULL;
	const char *entry = NULL;
	struct upload u;
	uint64_t max_body;
	struct error e;
	size_t len, i, dumped;
	int rc = EX_OSERR;

	upload_init(&u, NULL, s->excludes, s->nexcludes);
	if (body == NULL)
		goto oom;
	if ((rc = cmd_submit_gather(cli, s, files, nfiles, &u, &entry)) != 0)
		goto out;
	if (json_object_set_new(body, "runtime",
		json_string(s->runtime != NULL
			? s->runtime
			: cmd_submit_runtime_for(entry))) == -1)
		goto oom;
	if (s->stdin_path != NULL) {
		error_init(&e);
		if (cli_file_read(s->stdin_path, CLI_FILE_MAX, &data, &len,
			&e) == -1) {
			cli_warn("%s", e.msg);
			rc = e.code == ERR_NOMEM ? EX_OSERR : EX_NOINPUT;
			goto out;
		}
	} else
		len = 0;
	if ((rc = cli_connect(cli)) != 0 ||
	    (rc = cmd_submit_caps(cli, &caps, &max_body)) != 0)
		goto out;
	/* Before anything is read, and nothing sent that would be refused. */
	error_init(&e);
	if (upload_check(&u, &caps, len, &e) == -1) {
		rc = cmd_submit_upload_exit(cli, &e);
		goto out;
	}
	rc = EX_OSERR;
	if (data != NULL) {
		if (cmd_submit_add_data(body, "stdin", "stdin_base64", NULL,
			data, len) == -1)
			goto oom;
		free(data);
		data = NULL;
	}
	for (i = 0; i < u.n; i++) {
		error_init(&e);
		if (upload_read(&u, &u.files[i], &data, &len, &e) == -1) {
			rc = cmd_submit_upload_exit(cli, &e);
			goto out;
		}
		if (cmd_submit_add_data(body, "files", "files_base64",
			u.files[i].name, data, len) == -1)
			goto oom;
		free(data);
		data = NULL;
	}
	if (json_object_set_new(body, "entry", json_string(entry)) == -1 ||
	    (json_array_size(s->args) > 0 &&
		json_object_set(body, "args", s->args) == -1) ||
	    (json_object_size(s->env) > 0 &&
		json_object_set(body, "env", s->env) == -1) ||
	    (json_object_size(s->limits) > 0 &&
		json_object_set(body, "limits", s->limits) == -1) ||
	    (json_array_size(s->labels) > 0 &&
		json_object_set(body, "labels", s->labels) == -1) ||
	    (s->name != NULL &&
		json_object_set_new(body, "name", json_string(s->name)) == -1))
		goto oom;
	/* Base64 makes binary files a third larger on the way. */
	if (max_body > 0 && s->array_text == NULL &&
	    (dumped = json_dumpb(body, NULL, 0, JSON_COMPACT)) > max_body) {
		cli_warn("the submission is %zu bytes as JSON, more than %llu "
			 "(the dispatcher's max_body_bytes)",
		    dumped, (unsigned long long)max_body);
		rc = EX_DATAERR;
		goto out;
	}
	*out = body;
	body = NULL;
	rc = 0;
	goto out;
oom:
	cli_warn("out of memory");
	rc = EX_OSERR;
out:
	free(data);
	upload_release(&u);
	json_decref(body);
	return rc;
}

/* The width of the terminal on stderr. */
static size_t
cmd_submit_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* Show the job's state and elapsed time on the terminal, in place. */
static void
cmd_submit_progress(const json_t *job, double elapsed)
{
	const char *state = fmt_json_str(job, "state");
	const char *node = fmt_json_str(job, "node");
	const char *reason = fmt_json_str(job, "reason");
	char line[512], t[32];
	size_t cols = cmd_submit_columns();

	fmt_elapsed(floor(elapsed + 0.5), t, sizeof(t));
	if (state == NULL)
		state = "?";
	if (strcmp(state, "PENDING") == 0 && reason != NULL &&
	    reason[0] != '\0')
		snprintf(line, sizeof(line), "job %s: %s %s (%s)",
		    fmt_json_str(job, "id"), state, t, reason);
	else if (node != NULL)
		snprintf(line, sizeof(line), "job %s: %s %s on %s",
		    fmt_json_str(job, "id"), state, t, node);
	else
		snprintf(line, sizeof(line), "job %s: %s %s",
		    fmt_json_str(job, "id"), state, t);
	fmt_printable(line);
	/* A line that wraps could not be redrawn in place. */
	if (strlen(line) > cols - 1)
		line[cols - 1] = '\0';
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
}

/* When the dispatcher stopped answering (util_now_ms()), 0 while it does:
   one outage is said once, and tried through for CMD_SUBMIT_RETRY_SECONDS
   from its start. */
static int64_t cmd_submit_outage_ms;

/* Sleep ms milliseconds, and a random quarter more at most. */
static void
cmd_submit_sleep(int ms)
{
	unsigned short jitter = 0;
	struct timespec ts;

	if (getrandom(&jitter, sizeof(jitter), 0) != sizeof(jitter))
		jitter = 0;
	ms += (int)((double)ms * 0.25 * jitter / 65535.0);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * GET path for a job that runs on (what names it), through a dispatcher
 * that goes away and comes back (restarted, upgraded): a connection that
 * fails or closes without an answer, and a 502, 503 or 504, are tried
 * again with back-off (CMD_SUBMIT_BACKOFF_MIN_MS doubling to _MAX_MS, or
 * Retry-After) for CMD_SUBMIT_RETRY_SECONDS, said once on stderr.
 * Returns 0 with any other answer in r, or an exit status after printing
 * why there is none.
 */
static int
cmd_submit_get(struct cli *cli, const char *what, const char *path,
    int timeout_ms, struct client_response *r)
{
	int delay_ms = CMD_SUBMIT_BACKOFF_MIN_MS, got, after;
	struct error e;
	int64_t now;

	for (;;) {
		snprintf(cli->method, sizeof(cli->method), "GET");
		snprintf(cli->path, sizeof(cli->path), "%s", path);
		error_init(&e);
		got = client_request(&cli->client, "GET", path, NULL, NULL, 0,
		    timeout_ms, CLIENT_JSON_MAX, -1, r, &e);
		if (got == 0 && r->status != 502 && r->status != 503 &&
		    r->status != 504) {
			cmd_submit_outage_ms = 0;
			return 0;
		}
		/* Only the dispatcher's absence is waited out: a bad URL or
		   token, or no memory, will not mend. */
		if (got == -1 && e.code != ERR_IO && e.code != ERR_SYS &&
		    e.code != ERR_INVALID)
			return cli_error_exit(&e);
		now = util_now_ms();
		if (cmd_submit_outage_ms == 0) {
			cmd_submit_outage_ms = now;
			cli_warn("%s: %s; trying again for up to %d minutes",
			    what,
			    got == -1 ? e.msg
				      : "the dispatcher is not serving (HTTP "
					"502-504)",
			    CMD_SUBMIT_RETRY_SECONDS / 60);
		} else if (now - cmd_submit_outage_ms >
		    (int64_t)CMD_SUBMIT_RETRY_SECONDS * 1000)
			return got == -1 ? cli_error_exit(&e)
					 : cli_http_exit(cli, r, what);
		after = got == 0 && r->retry_after[0] != '\0'
		    ? atoi(r->retry_after)
		    : 0;
		if (after > 0 && after <= 60 && after * 1000 > delay_ms)
			cmd_submit_sleep(after * 1000);
		else
			cmd_submit_sleep(delay_ms);
		if ((delay_ms *= 2) > CMD_SUBMIT_BACKOFF_MAX_MS)
			delay_ms = CMD_SUBMIT_BACKOFF_MAX_MS;
	}
}

/*
 * One long poll of job id (GET /v1/jobs/ID/wait, wait_s seconds at most),
 * through a restarting dispatcher (cmd_submit_get()); returns 0 with *job
 * replaced by the answer, or an exit status after printing why not.
 */
static int
cmd_submit_poll(struct cli *cli, const char *id, int wait_s, json_t **job)
{
	char path[CLI_PATH_MAX], what[64];
	struct client_response r;
	json_error_t jerr;
	json_t *v;
	int rc;

	client_response_init(&r);
	snprintf(what, sizeof(what), "job %s", id);
	if (wait_s > 0)
		snprintf(path, sizeof(path),
		    "/v1/jobs/%s/wait?timeout_seconds=%d", id, wait_s);
	else
		snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	if ((rc = cmd_submit_get(cli, what, path, (wait_s + 30) * 1000, &r)) !=
	    0)
		goto out;
	if (r.status != 200) {
		rc = cli_http_exit(cli, &r, what);
		goto out;
	}
	v = json_loadb(r.body, r.body_len, JSON_ALLOW_NUL, &jerr);
	if (!json_is_object(v) || fmt_json_str(v, "state") == NULL) {
		json_decref(v);
		cli_warn("the dispatcher's answer about %s is not a job object",
		    what);
		rc = EX_PROTOCOL;
		goto out;
	}
	json_decref(*job);
	*job = v;
	rc = 0;
out:
	client_response_release(&r);
	return rc;
}

/* Long-poll until the job ends; returns 0 with *job updated, or a status. */
static int
cmd_submit_wait(struct cli *cli, json_t **job, bool tty)
{
	char id[32];
	int64_t start_ms = util_now_ms();
	int rc = 0, wait_s;

	snprintf(id, sizeof(id), "%s", fmt_json_str(*job, "id"));
	/* On a terminal, short polls redraw the elapsed time each second. */
	wait_s = tty ? 1 : CMD_SUBMIT_WAIT_SECONDS;
	while (!fmt_state_final(fmt_json_str(*job, "state"))) {
		if (tty)
			cmd_submit_progress(*job,
			    (double)(util_now_ms() - start_ms) / 1000);
		if ((rc = cmd_submit_poll(cli, id, wait_s, job)) != 0)
			break;
	}
	if (tty) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	return rc;
}

/* Copy the job's stdout or stderr to fd, as raw bytes. */
static int
cmd_submit_output(struct cli *cli, const char *id, const char *stream, int fd)
{
	char path[CLI_PATH_MAX], what[64];
	struct client_response r;
	int rc;

	client_response_init(&r);
	snprintf(path, sizeof(path), "/v1/jobs/%s/%s", id, stream);
	snprintf(what, sizeof(what), "job %s", id);
	rc = cli_request(cli, "GET", path, NULL, fd, &r);
	/* A job that never ran has no output, which is no error here. */
	if (rc == 0 && r.status / 100 != 2 && r.status != 409 &&
	    r.status != 404)
		rc = cli_http_exit(cli, &r, what);
	client_response_release(&r);
	return rc;
}

/* Following a job's output as it comes (GET /v1/jobs/ID/output). */
struct cmd_follow {
	const char *id;
	bool tty;
	uint64_t offset[2]; /* stdout's, stderr's: what was written */
	int attempt; /* whose output that is; 0 none yet */
	bool drawn; /* a progress line is on the terminal */
	bool line_start; /* the last byte written ended a line (or none) */
	int64_t start_ms;
};

/*
 * Take one stream's part of an answer (key "stdout" or "stderr"): its
 * offset must be want; its bytes are decoded into *data (the caller's).
 * Returns 0, or -1 if it is malformed.
 */
static int
cmd_follow_part(const json_t *ans, const char *key, uint64_t want,
    unsigned char **data, size_t *len)
{
	const json_t *part = json_object_get(ans, key);
	const json_t *off = json_object_get(part, "offset");
	const json_t *bytes = json_object_get(part, "bytes");
	const char *b64 = fmt_json_str(part, "base64");

	if (!json_is_integer(off) || json_integer_value(off) < 0 ||
	    (uint64_t)json_integer_value(off) != want || b64 == NULL ||
	    !json_is_integer(bytes))
		return -1;
	if (request_base64_decode(b64, strlen(b64), data, len) == -1)
		return -1;
	if ((json_int_t)*len != json_integer_value(bytes)) {
		free(*data);
		*data = NULL;
		return -1;
	}
	return 0;
}

/* Write what came of one stream to fd (1 or 2); 0 or an exit status. */
static int
cmd_follow_write(struct cmd_follow *f, int fd, const unsigned char *data,
    size_t len)
{
	if (len == 0)
		return 0;
	if (f->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		f->drawn = false;
	}
	if (util_write_all(fd, data, len) == -1) {
		if (fd == STDERR_FILENO)
			return EX_IOERR;
		cli_warn("cannot write the job's output: %s", strerror(errno));
		return EX_IOERR;
	}
	f->line_start = data[len - 1] == '\n';
	return 0;
}

/*
 * Take one answer of GET /v1/jobs/ID/output: write its bytes, note a new
 * attempt.  Sets *complete once the job has ended and all of its output
 * was written.  Returns 0 or an exit status.
 */
static int
cmd_follow_take(struct cmd_follow *f, const json_t *ans, bool *complete)
{
	const json_t *att = json_object_get(ans, "attempt");
	unsigned char *out = NULL, *err = NULL;
	size_t olen = 0, elen = 0;
	uint64_t want[2];
	int attempt, rc;

	if (!json_is_integer(att) || json_integer_value(att) < 0 ||
	    json_integer_value(att) > 1000000 ||
	    !json_is_boolean(json_object_get(ans, "complete")))
		goto bad;
	attempt = (int)json_integer_value(att);
	want[0] = f->offset[0];
	want[1] = f->offset[1];
	/* Another attempt runs (the last one's node was lost): its output
	   starts again from the beginning. */
	if (f->attempt != 0 && attempt != f->attempt) {
		want[0] = want[1] = 0;
		if (f->offset[0] > 0 || f->offset[1] > 0) {
			if (f->drawn) {
				fprintf(stderr, "\r\033[K");
				f->drawn = false;
			}
			if (!f->line_start)
				fputc('\n', stderr);
			cli_warn("job %s is running again (attempt %d): its "
				 "output starts over",
			    f->id, attempt);
			f->line_start = true;
		}
	}
	if (cmd_follow_part(ans, "stdout", want[0], &out, &olen) == -1)
		goto bad;
	if (cmd_follow_part(ans, "stderr", want[1], &err, &elen) == -1) {
		free(out);
		goto bad;
	}
	f->attempt = attempt;
	f->offset[0] = want[0] + olen;
	f->offset[1] = want[1] + elen;
	if ((rc = cmd_follow_write(f, STDOUT_FILENO, out, olen)) == 0)
		rc = cmd_follow_write(f, STDERR_FILENO, err, elen);
	free(out);
	free(err);
	*complete = json_is_true(json_object_get(ans, "complete"));
	return rc;
bad:
	cli_warn("the dispatcher's answer about the output of job %s is "
		 "malformed",
	    f->id);
	return EX_PROTOCOL;
}

/*
 * Write the job's stdout and stderr as they come, until it has ended and
 * all of both is written.  *old is set (and nothing written) if the
 * dispatcher is older and cannot follow output: wait the old way then.
 * Returns 0 or an exit status.
 */
static int
cmd_submit_follow(struct cli *cli, const char *id, bool tty, bool *old)
{
	struct cmd_follow f = { .id = id,
		.tty = tty,
		.line_start = true,
		.start_ms = util_now_ms() };
	char path[CLI_PATH_MAX], what[64];
	struct client_response r;
	json_error_t jerr;
	bool complete = false;
	const char *msg;
	json_t *ans;
	int rc = 0, wait_s = tty ? 1 : CMD_SUBMIT_WAIT_SECONDS;

	*old = false;
	client_response_init(&r);
	snprintf(what, sizeof(what), "job %s", id);
	while (!complete) {
		snprintf(path, sizeof(path),
		    "/v1/jobs/%s/output?stdout_offset=%llu&stderr_offset=%llu"
		    "&attempt=%d&wait=%d",
		    id, (unsigned long long)f.offset[0],
		    (unsigned long long)f.offset[1], f.attempt, wait_s);
		if ((rc = cmd_submit_get(cli, what, path, (wait_s + 30) * 1000,
			 &r)) != 0)
			break;
		ans = json_loadb(r.body != NULL ? r.body : "", r.body_len,
		    JSON_REJECT_DUPLICATES, &jerr);
		if (r.status == 404 && f.attempt == 0 &&
		    (msg = fmt_json_str(ans, "error")) != NULL &&
		    strcmp(msg, "no such resource") == 0) {
			json_decref(ans);
			*old = true;
			break;
		}
		if (r.status != 200) {
			json_decref(ans);
			rc = cli_http_exit(cli, &r, what);
			break;
		}
		if (!json_is_object(ans)) {
			json_decref(ans);
			cli_warn("the dispatcher's answer about the output of "
				 "%s is not a JSON object",
			    what);
			rc = EX_PROTOCOL;
			break;
		}
		rc = cmd_follow_take(&f, ans, &complete);
		/* The state and time, while nothing is half a line. */
		if (rc == 0 && tty && !complete && f.line_start) {
			cmd_submit_progress(ans,
			    (double)(util_now_ms() - f.start_ms) / 1000);
			f.drawn = true;
		}
		json_decref(ans);
		if (rc != 0)
			break;
	}
	if (f.drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	client_response_release(&r);
	return rc;
}

/*
 * A job whose compile stage failed: what the compiler wrote (on stderr),
 * which the run's output, empty, does not hold.
 */
static void
cmd_submit_compiler_said(const json_t *job)
{
	const json_t *c = json_object_get(job, "compile");
	const char *streams[] = { "stdout", "stderr" };
	const json_t *v;
	size_t i;

	if (!json_is_object(c) ||
	    strcmp(fmt_json_str(job, "verdict") ? fmt_json_str(job, "verdict")
						: "",
		"compile_error") != 0)
		return;
	for (i = 0; i < 2; i++)
		if (json_is_string(v = json_object_get(c, streams[i])))
			fwrite(json_string_value(v), 1, json_string_length(v),
			    stderr);
}

/*
 * Say in one line how a job that did not succeed ended (on stderr): its
 * state, verdict and reason, "sluice: job 5 TIMEOUT (wall_limit: wall time
 * limit of 1 s exceeded)"; the verdict is left out when the reason starts
 * with it ("exited with status 3") or there is none.
 */
static void
cmd_submit_summary(const json_t *job, int status)
{
	const char *verdict = fmt_json_str(job, "verdict");
	const char *reason = fmt_json_str(job, "reason");
	char line[640], why[560] = "";

	if (status == 0)
		return;
	cmd_submit_compiler_said(job);
	if (reason != NULL && reason[0] == '\0')
		reason = NULL;
	if (verdict != NULL && verdict[0] == '\0')
		verdict = NULL;
	if (verdict != NULL && reason != NULL &&
	    strncmp(reason, verdict, strlen(verdict)) != 0)
		snprintf(why, sizeof(why), " (%s: %s)", verdict, reason);
	else if (reason != NULL || verdict != NULL)
		snprintf(why, sizeof(why), " (%s)",
		    reason != NULL ? reason : verdict);
	snprintf(line, sizeof(line), "sluice: job %s %s%s",
	    fmt_json_str(job, "id"), fmt_json_str(job, "state"), why);
	fmt_printable(line);
	fprintf(stderr, "%s\n", line);
}

/*
 * Open --out-dir DIR (made if missing: its parent must exist), before the
 * job is submitted, so that a directory that cannot be written to fails
 * first.  Returns 0 with *fd set, or an exit status.
 */
static int
cmd_submit_out_open(const char *dir, int *fd)
{
	int d;

	d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d == -1 && errno == ENOENT && mkdir(dir, 0777) == 0)
		d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d == -1) {
		cli_warn("--out-dir '%s': %s", dir, strerror(errno));
		return EX_CANTCREAT;
	}
	if (faccessat(d, ".", W_OK, AT_EACCESS) == -1) {
		cli_warn("--out-dir '%s': %s", dir, strerror(errno));
		close(d);
		return EX_CANTCREAT;
	}
	*fd = d;
	return 0;
}

/*
 * The directory that will hold out file name (a checked relative path)
 * under dirfd: each directory on the way made if missing and opened
 * without following a link, so that nothing is written outside DIR.
 * Returns a descriptor and sets *leaf to the name's last component, or -1
 * with errno set.
 */
static int
cmd_submit_out_parent(int dirfd, const char *name, const char **leaf)
{
	char comp[UTIL_NAME_MAX + 1];
	const char *p = name, *slash;
	int fd, next;

	if ((fd = dup(dirfd)) == -1)
		return -1;
	while ((slash = strchr(p, '/')) != NULL) {
		snprintf(comp, sizeof(comp), "%.*s", (int)(slash - p), p);
		if (mkdirat(fd, comp, 0777) == -1 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, comp,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next == -1)
			return -1;
		fd = next;
		p = slash + 1;
	}
	*leaf = p;
	return fd;
}

/*
 * Fetch out file name (as the dispatcher lists it: untrusted) of job id
 * into dirfd: written to a new file beside its place, then renamed over
 * it, so that a link there is replaced, never followed.  Its size must be
 * the listed bytes.  Returns 0 or an exit status.
 */
static int
cmd_submit_out_file(struct cli *cli, const char *id, int dirfd, const char *dir,
    const char *name, uint64_t bytes)
{
	char path[CLI_PATH_MAX], tmp[32], what[64];
	unsigned char rnd[6];
	struct client_response r;
	const char *leaf = NULL;
	struct error e;
	int pfd = -1, fd = -1, rc = EX_CANTCREAT, i;
	bool created = false;
	size_t k;

	client_response_init(&r);
	snprintf(what, sizeof(what), "job %s", id);
	error_init(&e);
	if (util_path_check(name, "name", &e) == -1) {
		cli_warn("job %s: the dispatcher lists an out file that cannot "
			 "be written: %s",
		    id, e.msg);
		return EX_PROTOCOL;
	}
	snprintf(path, sizeof(path), "/v1/jobs/%s/files/", id);
	if (client_escape(name, true, path, sizeof(path)) == -1) {
		cli_warn("job %s: out file name too long", id);
		return EX_PROTOCOL;
	}
	if ((pfd = cmd_submit_out_parent(dirfd, name, &leaf)) == -1) {
		cli_warn("--out-dir '%s': cannot make the directory of '%s' "
			 "(a file or a link in its place?): %s",
		    dir, name, strerror(errno));
		goto out;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		cli_warn("cannot make a temporary name: %s", strerror(errno));
		rc = EX_OSERR;
		goto out;
	}
	i = snprintf(tmp, sizeof(tmp), ".sluice-");
	for (k = 0; k < sizeof(rnd); k++)
		i += snprintf(tmp + i, sizeof(tmp) - (size_t)i, "%02x", rnd[k]);
	fd = openat(pfd, tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd == -1) {
		cli_warn("--out-dir '%s': cannot create a file: %s", dir,
		    strerror(errno));
		goto out;
	}
	created = true;
	if ((rc = cli_request(cli, "GET", path, NULL, fd, &r)) != 0)
		goto out;
	if (r.status != 200) {
		rc = cli_http_exit(cli, &r, what);
		goto out;
	}
	if (r.streamed != bytes) {
		cli_warn("job %s: out file '%s' came with %llu bytes, not the "
			 "%llu listed",
		    id, name, (unsigned long long)r.streamed,
		    (unsigned long long)bytes);
		rc = EX_PROTOCOL;
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		cli_warn("--out-dir '%s': cannot write '%s': %s", dir, name,
		    strerror(errno));
		rc = EX_IOERR;
		goto out;
	}
	fd = -1;
	if (renameat(pfd, tmp, pfd, leaf) == -1) {
		cli_warn("--out-dir '%s': cannot write '%s': %s", dir, name,
		    strerror(errno));
		rc = EX_CANTCREAT;
		goto out;
	}
	created = false;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (pfd != -1) {
		/* A file half written is not left behind. */
		if (created)
			unlinkat(pfd, tmp, 0);
		close(pfd);
	}
	client_response_release(&r);
	return rc;
}

/* Fetch every out file of the ended job into --out-dir; 0 or a status
   (the first failure's; the others are still tried). */
static int
cmd_submit_out_dir(struct cli *cli, const json_t *job, int dirfd,
    const char *dir)
{
	const json_t *files = json_object_get(job, "out_files"), *f;
	const char *id = fmt_json_str(job, "id"), *name;
	json_int_t bytes;
	size_t i;
	int rc = 0, one;

	if (files != NULL && !json_is_array(files)) {
		cli_warn("job %s: out_files is not a list", id);
		return EX_PROTOCOL;
	}
	json_array_foreach (files, i, f) {
		name = fmt_json_str(f, "name");
		bytes = json_integer_value(json_object_get(f, "bytes"));
		if (name == NULL || bytes < 0) {
			cli_warn("job %s: an out file without a name or size",
			    id);
			one = EX_PROTOCOL;
		} else
			one = cmd_submit_out_file(cli, id, dirfd, dir, name,
			    (uint64_t)bytes);
		if (rc == 0)
			rc = one;
	}
	return rc;
}

/* Set limit name from text (seconds, a size, a count); 0 or a status. */
static int
cmd_submit_limit(struct cli *cli, struct cmd_submit *s, const char *name,
    size_t name_len, const char *text)
{
	const struct limit_def *d = NULL;
	struct error e;
	uint64_t u;
	double v;
	int i;

	for (i = 0; i < LIMITS_N; i++)
		if (strlen(limit_defs[i].name) == name_len &&
		    strncmp(limit_defs[i].name, name, name_len) == 0)
			d = &limit_defs[i];
	if (d == NULL)
		return cli_usage_error(cli, "no limit is called '%.*s'",
		    (int)name_len, name);
	if (d->kind == LIMIT_SECONDS) {
		if (fmt_seconds_parse(text, &v) == -1)
			return cli_usage_error(cli,
			    "%s wants a positive number of seconds, not '%s'",
			    d->name, text);
	} else {
		/* Sizes for *_bytes; plain counts for the others. */
		if (strstr(d->name, "_bytes") != NULL
			? fmt_size_parse(text, &u) == -1
			: !util_parse_u64(text, &u))
			return cli_usage_error(cli, "%s wants %s, not '%s'",
			    d->name,
			    strstr(d->name, "_bytes") != NULL
				? "a size like 256M"
				: "a whole number",
			    text);
		v = (double)u;
	}
	error_init(&e);
	if (limit_check_value((int)(d - limit_defs), v, &e) == -1)
		return cli_usage_error(cli, "%s", e.msg);
	if (json_object_set_new(s->limits, d->name,
		d->kind == LIMIT_SECONDS ? json_real(v)
					 : json_integer((json_int_t)v)) == -1) {
		cli_warn("out of memory");
		return EX_OSERR;
	}
	return 0;
}

/* Take --array SPEC; returns 0 or an exit status. */
static int
cmd_submit_array_option(struct cli *cli, struct cmd_submit *s, const char *arg)
{
	char shown[80];
	struct error e;

	if (s->array_text != NULL)
		return cli_usage_error(cli, "--array is given twice");
	error_init(&e);
	if (array_parse(arg, &s->array, &e) == -1) {
		if (e.code == ERR_NOMEM) {
			cli_warn("out of memory");
			return EX_OSERR;
		}
		/* The SPEC as given, shortened, nothing unprintable. */
		snprintf(shown, sizeof(shown), "%.40s%s", arg,
		    strlen(arg) > 40 ? "..." : "");
		fmt_printable(shown);
		return cli_usage_error(cli, "bad --array '%s': %s", shown,
		    e.msg);
	}
	s->array_text = arg;
	return 0;
}

/* With --array: the variables it sets are not --env's to set, and all of
   them must fit in a job's environment.  Returns 0 or an exit status. */
static int
cmd_submit_array_check(struct cli *cli, const struct cmd_submit *s)
{
	size_t k;

	for (k = 0; array_env_names[k] != NULL; k++)
		if (json_object_get(s->env, array_env_names[k]) != NULL)
			return cli_usage_error(cli,
			    "--array sets %s: --env may not",
			    array_env_names[k]);
	if (json_object_size(s->env) + ARRAY_ENV_N > MANIFEST_ENV_MAX)
		return cli_usage_error(cli,
		    "--array sets %d environment variables, so at most %d "
		    "--env may be given, not %zu",
		    ARRAY_ENV_N, MANIFEST_ENV_MAX - ARRAY_ENV_N,
		    json_object_size(s->env));
	return 0;
}

/* Parse one option into s; returns 0 or an exit status. */
static int
cmd_submit_option(struct cli *cli, struct cmd_submit *s, int ch,
    const char *arg)
{
	const char *eq;
	json_t *v;
	int rc = 0;

	switch (ch) {
	case CMD_SUBMIT_ENTRY:
		s->entry = arg;
		break;
	case CMD_SUBMIT_RUNTIME:
		s->runtime = arg;
		break;
	case CMD_SUBMIT_STDIN:
		s->stdin_path = arg;
		break;
	case CMD_SUBMIT_ARG:
		rc = json_array_append_new(s->args, json_string(arg));
		break;
	case CMD_SUBMIT_ENV:
		if ((eq = strchr(arg, '=')) == NULL || eq == arg)
			return cli_usage_error(cli,
			    "--env wants NAME=VALUE, not '%s'", arg);
		v = json_string(eq + 1);
		rc = json_object_setn_new(s->env, arg, (size_t)(eq - arg), v);
		break;
	case CMD_SUBMIT_CPU:
		return cmd_submit_limit(cli, s, "cpu_seconds", 11, arg);
	case CMD_SUBMIT_WALL:
		return cmd_submit_limit(cli, s, "wall_seconds", 12, arg);
	case CMD_SUBMIT_MEMORY:
		return cmd_submit_limit(cli, s, "memory_bytes", 12, arg);
	case CMD_SUBMIT_LIMIT:
		if ((eq = strchr(arg, '=')) == NULL)
			return cli_usage_error(cli,
			    "--limit wants NAME=VALUE, not '%s'", arg);
		return cmd_submit_limit(cli, s, arg, (size_t)(eq - arg),
		    eq + 1);
	case CMD_SUBMIT_LABEL:
		rc = json_array_append_new(s->labels, json_string(arg));
		break;
	case CMD_SUBMIT_WAIT:
		s->wait = true;
		break;
	case CMD_SUBMIT_JSON:
		s->json = true;
		break;
	case CMD_SUBMIT_ARRAY:
		return cmd_submit_array_option(cli, s, arg);
	case 'J':
		if (!util_token_ok(arg, 64))
			return cli_usage_error(cli,
			    "'%s' is not a job name: 1 to 64 characters of "
			    "[A-Za-z0-9._+-]",
			    arg);
		s->name = arg;
		break;
	case CMD_SUBMIT_EXCLUDE:
		if (arg[0] == '\0')
			return cli_usage_error(cli,
			    "--exclude wants a pattern");
		s->excludes[s->nexcludes++] = arg;
		break;
	case CMD_SUBMIT_OUT_DIR:
		if (s->out_dir != NULL)
			return cli_usage_error(cli, "--out-dir is given twice");
		s->out_dir = arg;
		break;
	default:
		return EX_SOFTWARE;
	}
	if (rc == -1) {
		cli_warn("out of memory, or '%s' is not UTF-8", arg);
		return EX_DATAERR;
	}
	return 0;
}

/* --- Arrays: --array SPEC ------------------------------------------- */

/* One task of an array. */
struct cmd_array_task {
	char id[FMT_JOB_ID_MAX + 1]; /* "" until submitted */
	json_t *job; /* as last seen, without stdout and stderr */
	bool ended;
};

/* An array on its way: tasks[0..next) have been sent, in index order. */
struct cmd_array {
	const struct array_spec *spec;
	char id[ARRAY_ID_LEN + 1];
	struct cmd_array_task *tasks;
	size_t next; /* the first task not sent yet */
	size_t running; /* submitted and not seen ended */
	size_t chunk; /* tasks in one POST /v1/jobs/batch */
	json_t *body; /* what every task is, but its SLUICE_ARRAY_* */
	bool json; /* print the tasks at the end, not ids as they go */
};

/* Keep a job object (without its output, so that 10000 fit) for task t. */
static void
cmd_array_keep(struct cmd_array *a, struct cmd_array_task *t, json_t *job)
{
	bool ended = fmt_state_final(fmt_json_str(job, "state"));

	json_object_del(job, "stdout");
	json_object_del(job, "stderr");
	json_decref(t->job);
	t->job = job;
	if (ended && !t->ended)
		a->running--;
	t->ended = ended;
}

/* The submission of task i: the common body with its env; NULL if no
   memory. */
static json_t *
cmd_array_task_body(const struct cmd_array *a, size_t i)
{
	char vals[ARRAY_ENV_N][ARRAY_ENV_VALUE_MAX];
	json_t *body, *env;
	size_t k;

	array_env(a->spec, i, a->id, vals);
	if ((body = json_copy(a->body)) == NULL)
		return NULL;
	env = json_object_get(a->body, "env");
	if ((env = env != NULL ? json_copy(env) : json_object()) == NULL ||
	    json_object_set_new(body, "env", env) == -1) {
		json_decref(body);
		return NULL;
	}
	for (k = 0; k < ARRAY_ENV_N; k++)
		if (json_object_set_new(env, array_env_names[k],
			json_string(vals[k])) == -1) {
			json_decref(body);
			return NULL;
		}
	return body;
}

/* Say why the dispatcher refused task i; returns the exit status. */
static int
cmd_array_refused(const struct cmd_array *a, size_t i, const json_t *item)
{
	const char *msg = fmt_json_str(item, "error");
	const char *field = fmt_json_str(item, "field");
	json_t *status = json_object_get(item, "status");
	char line[700];
	int rc;

	snprintf(line, sizeof(line), "array task %u was refused: %s%s%s%s",
	    (unsigned)a->spec->index[i], msg != NULL ? msg : "no reason given",
	    field != NULL ? " (field '" : "", field != NULL ? field : "",
	    field != NULL ? "')" : "");
	fmt_printable(line);
	cli_warn("%s", line);
	rc = cli_http_status_exit(
	    json_is_integer(status) ? (int)json_integer_value(status) : 0);
	/* A success without a job is no answer this client understands. */
	return rc != 0 ? rc : EX_PROTOCOL;
}

#define CMD_ARRAY_SMALLER (-1) /* the batch was too large: send fewer */

/*
 * Submit tasks [a->next, a->next + n) in one POST /v1/jobs/batch and print
 * the ids of those accepted.  Returns 0; CMD_ARRAY_SMALLER if the batch
 * was refused whole as too large (nothing was submitted); or an exit
 * status, after a refusal (the tasks after it are not sent).
 */
static int
cmd_array_send(struct cli *cli, struct cmd_array *a, size_t n)
{
	json_t *batch = NULL, *list, *answer = NULL, *items, *item, *job;
	struct client_response r;
	json_error_t jerr;
	const char *id;
	int rc = EX_OSERR, refused = 0;
	size_t i;

	client_response_init(&r);
	if ((batch = json_object()) == NULL || (list = json_array()) == NULL ||
	    json_object_set_new(batch, "jobs", list) == -1)
		goto oom;
	for (i = 0; i < n; i++)
		if (json_array_append_new(list,
			cmd_array_task_body(a, a->next + i)) == -1)
			goto oom;
	if ((rc = cli_request(cli, "POST", "/v1/jobs/batch", batch, -1, &r)) !=
	    0)
		goto out;
	json_decref(batch);
	batch = NULL;
	/* 413 for the whole batch: more than max_batch_jobs, or a body over
	   max_body_bytes.  Nothing was submitted; fewer may pass. */
	if (r.status == 413 && n > 1) {
		rc = CMD_ARRAY_SMALLER;
		goto out;
	}
	if (r.status != 200) {
		rc = cli_http_exit(cli, &r, NULL);
		goto out;
	}
	answer = json_loadb(r.body, r.body_len,
	    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	items = json_object_get(answer, "jobs");
	if (!json_is_array(items) || json_array_size(items) != n) {
		cli_warn("the dispatcher's answer to POST /v1/jobs/batch does "
			 "not have one entry for each of the %zu tasks",
		    n);
		rc = EX_PROTOCOL;
		goto out;
	}
	/* Every entry is looked at, so that each task the dispatcher took
	   is printed, even one after a refusal. */
	json_array_foreach (items, i, item) {
		job = json_object_get(item, "job");
		if (!json_is_object(item) || !json_is_object(job)) {
			if (refused == 0)
				refused = cmd_array_refused(a, a->next + i,
				    item);
			continue;
		}
		if ((id = fmt_json_str(job, "id")) == NULL ||
		    !fmt_job_id_ok(id)) {
			cli_warn("the dispatcher's answer has no job id");
			rc = EX_PROTOCOL;
			goto out;
		}
		snprintf(a->tasks[a->next + i].id, sizeof(a->tasks[0].id), "%s",
		    id);
		a->running++;
		cmd_array_keep(a, &a->tasks[a->next + i], json_incref(job));
		if (!a->json)
			printf("%s\n", id);
	}
	if (!a->json && fflush(stdout) == EOF) {
		rc = EX_IOERR;
		goto out;
	}
	rc = refused;
	goto out;
oom:
	cli_warn("out of memory");
	rc = EX_OSERR;
out:
	/* Past the request, whatever came back: these were sent. */
	if (rc != CMD_ARRAY_SMALLER && r.status != 0)
		a->next += n;
	client_response_release(&r);
	json_decref(batch);
	json_decref(answer);
	return rc;
}

/*
 * Wait until some task not seen ended has ended: a long poll of the
 * oldest, then a look at each of the others (a later one may end first).
 * Returns 0 (perhaps with nothing ended yet: call again) or a status.
 */
static int
cmd_array_wait_any(struct cli *cli, struct cmd_array *a)
{
	struct cmd_array_task *t;
	bool first = true;
	json_t *job;
	int rc, wait_s;
	size_t i;

	for (i = 0; i < a->next; i++) {
		t = &a->tasks[i];
		if (t->id[0] == '\0' || t->ended)
			continue;
		/* The oldest is long-polled: as --wait does when it is the
		   only one, else briefly, so that the others are looked at
		   again soon. */
		if (!first)
			wait_s = 0;
		else if (a->running == 1)
			wait_s = CMD_SUBMIT_WAIT_SECONDS;
		else
			wait_s = CMD_ARRAY_POLL_SECONDS;
		job = NULL;
		if ((rc = cmd_submit_poll(cli, t->id, wait_s, &job)) != 0)
			return rc;
		cmd_array_keep(a, t, job);
		first = false;
	}
	return 0;
}

/* The exit status of an array waited for: the highest of its tasks', as
   sbatch --wait does; each task that did not succeed is named on stderr. */
static int
cmd_array_status(const struct cmd_array *a)
{
	const struct cmd_array_task *t;
	const char *why;
	char line[512];
	int status = 0, st;
	size_t i;

	for (i = 0; i < a->spec->n; i++) {
		t = &a->tasks[i];
		if (t->job == NULL || (st = cli_job_exit_status(t->job)) == 0)
			continue;
		if (st > status)
			status = st;
		why = fmt_json_str(t->job, "reason");
		if (why == NULL || why[0] == '\0')
			why = fmt_json_str(t->job, "verdict");
		snprintf(line, sizeof(line), "job %s (array task %u) %s%s%s%s",
		    t->id, (unsigned)a->spec->index[i],
		    fmt_json_str(t->job, "state"), why != NULL ? " (" : "",
		    why != NULL ? why : "", why != NULL ? ")" : "");
		fmt_printable(line);
		cli_warn("%s", line);
	}
	return status;
}

/* With --json: {"array_id", "tasks": [{"index", "job"}, ...]} of the
   tasks submitted. */
static int
cmd_array_print_json(const struct cmd_array *a)
{
	json_t *obj, *list, *item;
	size_t i;
	int rc;

	if ((obj = json_object()) == NULL || (list = json_array()) == NULL ||
	    json_object_set_new(obj, "array_id", json_string(a->id)) == -1 ||
	    json_object_set_new(obj, "tasks", list) == -1)
		goto oom;
	for (i = 0; i < a->next; i++) {
		if (a->tasks[i].job == NULL)
			continue;
		if ((item = json_pack("{s:I, s:O}", "index",
			 (json_int_t)a->spec->index[i], "job",
			 a->tasks[i].job)) == NULL ||
		    json_array_append_new(list, item) == -1)
			goto oom;
	}
	rc = cli_print_json(obj);
	json_decref(obj);
	return rc;
oom:
	json_decref(obj);
	cli_warn("out of memory");
	return EX_OSERR;
}

/* How many tasks one batch request carries: as many as fit in
   CMD_ARRAY_BATCH_BYTES, at least 1 and at most CMD_ARRAY_BATCH_MAX. */
static size_t
cmd_array_chunk(const json_t *body)
{
	size_t len = json_dumpb(body, NULL, 0, JSON_COMPACT) + 512;
	size_t n = CMD_ARRAY_BATCH_BYTES / len;

	return n < 1 ? 1 : n > CMD_ARRAY_BATCH_MAX ? CMD_ARRAY_BATCH_MAX : n;
}

/*
 * Submit the array: every task through POST /v1/jobs/batch, at most
 * spec->throttle of them not ended at once (this process waits for one to
 * end before it sends the next); then, with --wait, wait for every task.
 * body is the submission without the SLUICE_ARRAY_* variables.
 */
static int
cmd_submit_array(struct cli *cli, struct cmd_submit *s, json_t *body)
{
	unsigned char rnd[ARRAY_ID_LEN / 2];
	struct cmd_array a = { .spec = &s->array,
		.body = body,
		.json = s->json };
	struct cmd_array_task *t;
	size_t i, n, room;
	int rc = 0, prc;
	json_t *job;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		cli_warn("cannot make an array id: %s", strerror(errno));
		return EX_OSERR;
	}
	array_id_format(rnd, a.id);
	if ((a.tasks = calloc(a.spec->n, sizeof(*a.tasks))) == NULL) {
		cli_warn("out of memory");
		return EX_OSERR;
	}
	a.chunk = cmd_array_chunk(body);
	while (a.next < a.spec->n) {
		if ((room = a.spec->throttle - a.running) == 0) {
			if ((rc = cmd_array_wait_any(cli, &a)) != 0)
				goto out;
			continue;
		}
		n = a.spec->n - a.next;
		n = n < room ? n : room;
		n = n < a.chunk ? n : a.chunk;
		rc = cmd_array_send(cli, &a, n);
		if (rc == CMD_ARRAY_SMALLER) {
			a.chunk = n / 2;
			rc = 0;
			continue;
		}
		if (rc != 0)
			goto out;
	}
	if (s->wait)
		for (i = 0; i < a.next; i++) {
			t = &a.tasks[i];
			while (t->id[0] != '\0' && !t->ended) {
				job = NULL;
				if ((rc = cmd_submit_poll(cli, t->id,
					 CMD_SUBMIT_WAIT_SECONDS, &job)) != 0)
					goto out;
				cmd_array_keep(&a, t, job);
			}
		}
out:
	/* What was submitted is said even after a failure: it runs on. */
	if (s->json && a.next > 0) {
		prc = cmd_array_print_json(&a);
		rc = rc != 0 ? rc : prc;
	} else if (s->wait && rc == 0)
		rc = cmd_array_status(&a);
	for (i = 0; i < a.spec->n; i++)
		json_decref(a.tasks[i].job);
	free(a.tasks);
	return rc;
}

/* Submit, and maybe wait. */
static int
cmd_submit_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "entry", required_argument, NULL, CMD_SUBMIT_ENTRY },
		{ "runtime", required_argument, NULL, CMD_SUBMIT_RUNTIME },
		{ "stdin", required_argument, NULL, CMD_SUBMIT_STDIN },
		{ "arg", required_argument, NULL, CMD_SUBMIT_ARG },
		{ "env", required_argument, NULL, CMD_SUBMIT_ENV },
		{ "cpu", required_argument, NULL, CMD_SUBMIT_CPU },
		{ "wall", required_argument, NULL, CMD_SUBMIT_WALL },
		{ "memory", required_argument, NULL, CMD_SUBMIT_MEMORY },
		{ "label", required_argument, NULL, CMD_SUBMIT_LABEL },
		{ "limit", required_argument, NULL, CMD_SUBMIT_LIMIT },
		{ "wait", no_argument, NULL, CMD_SUBMIT_WAIT },
		{ "json", no_argument, NULL, CMD_SUBMIT_JSON },
		{ "array", required_argument, NULL, CMD_SUBMIT_ARRAY },
		{ "name", required_argument, NULL, 'J' },
		{ "exclude", required_argument, NULL, CMD_SUBMIT_EXCLUDE },
		{ "out-dir", required_argument, NULL, CMD_SUBMIT_OUT_DIR },
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_submit s = { .runtime = NULL };
	json_t *body = NULL, *job = NULL;
	char id[FMT_JOB_ID_MAX + 1];
	const char *got;
	struct cli cli;
	int ch, rc = EX_OSERR, out_fd = -1, orc;
	bool tty, old;

	cli_init(&cli, "submit");
	s.args = json_array();
	s.env = json_object();
	s.limits = json_object();
	s.labels = json_array();
	s.excludes = calloc((size_t)argc + 1, sizeof(*s.excludes));
	if (s.args == NULL || s.env == NULL || s.limits == NULL ||
	    s.labels == NULL || s.excludes == NULL) {
		cli_warn("out of memory");
		goto out;
	}
	while ((ch = cli_getopt(&cli, argc, argv, ":hJ:", opts)) != -1) {
		if (ch == 'h' || ch == CLI_OPT_HELP) {
			cmd_submit_usage(stdout);
			rc = 0;
			goto out;
		}
		if (ch == '?' || ch == ':') {
			rc = cli_bad_option(&cli, ch, argv);
			goto out;
		}
		if ((rc = cmd_submit_option(&cli, &s, ch, optarg)) != 0)
			goto out;
	}
	if (optind == argc) {
		rc = cli_usage_error(&cli, "no FILE to submit");
		goto out;
	}
	if (s.array_text != NULL &&
	    (rc = cmd_submit_array_check(&cli, &s)) != 0)
		goto out;
	if (s.out_dir != NULL && s.array_text != NULL) {
		rc = cli_usage_error(&cli,
		    "--out-dir is for one job, not for "
		    "--array");
		goto out;
	}
	if (s.out_dir != NULL && !s.wait) {
		rc = cli_usage_error(&cli,
		    "--out-dir needs --wait (or fetch the files later with "
		    "`sluice output ID --file NAME`)");
		goto out;
	}
	/* The files are gathered, and --out-dir made, before anything is
	   sent: a mistake in either submits nothing. */
	if ((rc = cmd_submit_body(&cli, &s, argv + optind, argc - optind,
		 &body)) != 0)
		goto out;
	if (s.out_dir != NULL &&
	    (rc = cmd_submit_out_open(s.out_dir, &out_fd)) != 0)
		goto out;
	if (s.array_text != NULL) {
		rc = cmd_submit_array(&cli, &s, body);
		goto out;
	}
	if ((rc = cli_call(&cli, "POST", "/v1/jobs", body, NULL, &job)) != 0)
		goto out;
	if ((got = fmt_json_str(job, "id")) == NULL || !fmt_job_id_ok(got)) {
		cli_warn("the dispatcher's answer has no job id");
		rc = EX_PROTOCOL;
		goto out;
	}
	snprintf(id, sizeof(id), "%s", got);
	if (!s.wait) {
		if (s.json)
			rc = cli_print_json(job);
		else {
			printf("%s\n", id);
			rc = fflush(stdout) == EOF ? EX_IOERR : 0;
		}
		goto out;
	}
	tty = isatty(STDERR_FILENO);
	fflush(stdout);
	old = s.json;
	/* Its output as it comes, then the ended job. */
	if (!s.json && (rc = cmd_submit_follow(&cli, id, tty, &old)) != 0)
		goto out;
	if (old) {
		/* --json, or a dispatcher that cannot follow output: wait
		   for the end, then fetch the output whole. */
		if ((rc = cmd_submit_wait(&cli, &job, tty)) != 0)
			goto out;
		if (!s.json &&
		    ((rc = cmd_submit_output(&cli, id, "stdout",
			  STDOUT_FILENO)) != 0 ||
			(rc = cmd_submit_output(&cli, id, "stderr",
			     STDERR_FILENO)) != 0))
			goto out;
	} else if ((rc = cmd_submit_poll(&cli, id, 0, &job)) != 0)
		goto out;
	orc = s.out_dir != NULL
	    ? cmd_submit_out_dir(&cli, job, out_fd, s.out_dir)
	    : 0;
	if (s.json) {
		rc = cli_print_json(job);
		if (rc == 0)
			rc = orc;
		goto out;
	}
	rc = cli_job_exit_status(job);
	/* Why, on stderr, whatever it is written to: a script's log says
	   what a TIMEOUT was. */
	cmd_submit_summary(job, rc);
	/* The program's own status first; else what --out-dir met. */
	if (rc == 0)
		rc = orc;
out:
	if (out_fd != -1)
		close(out_fd);
	free(s.excludes);
	json_decref(s.args);
	json_decref(s.env);
	json_decref(s.limits);
	json_decref(s.labels);
	array_release(&s.array);
	json_decref(body);
	json_decref(job);
	return rc;
}

const struct cmd_entry cmd_submit_entry = {
	"submit",
	"submit files to run; --wait runs them like a program",
	cmd_submit_exec,
};
