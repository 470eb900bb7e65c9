/* sluice submit: send files to run; with --wait, run them like a program. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cli.h"
#include "cmd.h"
#include "limit.h"
#include "manifest.h"
#include "util.h"

#define CMD_SUBMIT_WAIT_SECONDS 30 /* one long poll, without a terminal */
#define CMD_SUBMIT_RETRIES 30 /* lost connections while waiting, 1 s apart */
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
	CMD_SUBMIT_ARRAY
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
	    "                     [--limit NAME=VALUE]... [--array SPEC] "
	    "[-J NAME]\n"
	    "Submits FILEs (sent under their base names) to run in a "
	    "sandbox on a node.\n"
	    "Prints the job id, or with --json the job object.\n\n"
	    "  --entry F          the file to run (default: the first FILE)\n"
	    "  --runtime R        the environment to run it in (default: "
	    "python3)\n"
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
	    "stderr as they\n"
	    "                     are and exit with its status (below); on "
	    "a terminal,\n"
	    "                     show its state and elapsed time on "
	    "stderr\n"
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
	    "  70       sandbox_error or any other failure\n"
	    "and the statuses below when the dispatcher itself fails, so a "
	    "script that\nmust tell them apart uses --wait --json.\n\n%s",
	    cli_common_help, cli_exit_help);
}

/* The options and files of one submission. */
struct cmd_submit {
	const char *entry;
	const char *runtime;
	const char *stdin_path;
	bool wait;
	bool json;
	json_t *args;
	json_t *env;
	json_t *limits;
	json_t *labels;
	const char *array_text; /* --array, as given */
	const char *name; /* -J/--name */
	struct array_spec array; /* parsed, if array_text */
};

/* The base name of a path ("" for one that ends in '/'). */
static const char *
cmd_submit_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

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

/* Read the file at path and add it as cmd_submit_add_data() does. */
static int
cmd_submit_add_file(json_t *body, const char *text_key, const char *b64_key,
    const char *name, const char *path)
{
	unsigned char *data;
	struct error e;
	size_t len;
	int rc;

	error_init(&e);
	if (cli_file_read(path, CLI_FILE_MAX, &data, &len, &e) == -1) {
		cli_warn("%s", e.msg);
		return e.code == ERR_NOMEM ? EX_OSERR : EX_NOINPUT;
	}
	rc = cmd_submit_add_data(body, text_key, b64_key, name, data, len);
	free(data);
	if (rc == -1) {
		cli_warn("out of memory");
		return EX_OSERR;
	}
	return 0;
}

/* Read every file into the request body; returns 0 or an exit status. */
static int
cmd_submit_files(struct cli *cli, struct cmd_submit *s, char **files,
    int nfiles, json_t *body)
{
	const char *name, *entry = NULL;
	int i, j, rc;

	for (i = 0; i < nfiles; i++) {
		name = cmd_submit_base(files[i]);
		if (name[0] == '\0' || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0)
			return cli_usage_error(cli, "'%s' does not name a file",
			    files[i]);
		for (j = 0; j < i; j++)
			if (strcmp(cmd_submit_base(files[j]), name) == 0)
				return cli_usage_error(cli,
				    "'%s' and '%s' would both be sent as '%s'",
				    files[j], files[i], name);
		if (s->entry != NULL ? strcmp(s->entry, name) == 0 : i == 0)
			entry = name;
	}
	if (entry == NULL)
		return cli_usage_error(cli,
		    "--entry '%s' is not the base name of one of the files",
		    s->entry);
	for (i = 0; i < nfiles; i++)
		if ((rc = cmd_submit_add_file(body, "files", "files_base64",
			 cmd_submit_base(files[i]), files[i])) != 0)
			return rc;
	if (s->stdin_path != NULL &&
	    (rc = cmd_submit_add_file(body, "stdin", "stdin_base64", NULL,
		 s->stdin_path)) != 0)
		return rc;
	if (json_object_set_new(body, "entry", json_string(entry)) == -1) {
		cli_warn("out of memory");
		return EX_OSERR;
	}
	return 0;
}

/* The whole request body; returns 0 or an exit status. */
static int
cmd_submit_body(struct cli *cli, struct cmd_submit *s, char **files, int nfiles,
    json_t **out)
{
	json_t *body = json_object();
	int rc = EX_OSERR;

	if (body == NULL ||
	    json_object_set_new(body, "runtime", json_string(s->runtime)) == -1)
		goto out;
	if ((rc = cmd_submit_files(cli, s, files, nfiles, body)) != 0)
		goto out;
	rc = EX_OSERR;
	if ((json_array_size(s->args) > 0 &&
		json_object_set(body, "args", s->args) == -1) ||
	    (json_object_size(s->env) > 0 &&
		json_object_set(body, "env", s->env) == -1) ||
	    (json_object_size(s->limits) > 0 &&
		json_object_set(body, "limits", s->limits) == -1) ||
	    (json_array_size(s->labels) > 0 &&
		json_object_set(body, "labels", s->labels) == -1) ||
	    (s->name != NULL &&
		json_object_set_new(body, "name", json_string(s->name)) == -1))
		goto out;
	*out = body;
	body = NULL;
	rc = 0;
out:
	if (rc == EX_OSERR)
		cli_warn("out of memory");
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

/*
 * One long poll of job id (GET /v1/jobs/ID/wait, wait_s seconds at most),
 * quietly through a restarting dispatcher; returns 0 with *job replaced by
 * the answer, or an exit status after printing why not.
 */
static int
cmd_submit_poll(struct cli *cli, const char *id, int wait_s, json_t **job)
{
	char path[CLI_PATH_MAX], what[64];
	struct client_response r;
	int rc, failures = 0;
	json_error_t jerr;
	struct error e;
	json_t *v;

	client_response_init(&r);
	snprintf(what, sizeof(what), "job %s", id);
	snprintf(path, sizeof(path), "/v1/jobs/%s/wait?timeout_seconds=%d", id,
	    wait_s);
	for (;;) {
		snprintf(cli->method, sizeof(cli->method), "GET");
		snprintf(cli->path, sizeof(cli->path), "%s", path);
		error_init(&e);
		if (client_request(&cli->client, "GET", path, NULL, NULL, 0,
			(wait_s + 30) * 1000, CLIENT_JSON_MAX, -1, &r,
			&e) == -1 ||
		    r.status == 502 || r.status == 503) {
			/* The dispatcher restarting picks its jobs up again:
			   wait for it a while, quietly. */
			if (e.code != ERR_NONE && e.code != ERR_IO &&
			    e.code != ERR_SYS) {
				rc = cli_error_exit(&e);
				goto out;
			}
			if (++failures > CMD_SUBMIT_RETRIES) {
				rc = e.code != ERR_NONE
				    ? cli_error_exit(&e)
				    : cli_http_exit(cli, &r, what);
				goto out;
			}
			sleep(1);
			continue;
		}
		break;
	}
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

/* On a terminal, say in one line how a job that did not succeed ended. */
static void
cmd_submit_summary(const json_t *job, int status)
{
	const char *verdict = fmt_json_str(job, "verdict");
	const char *reason = fmt_json_str(job, "reason");
	const char *why = reason != NULL && reason[0] != '\0' ? reason
							      : verdict;
	char line[512];

	if (status == 0)
		return;
	snprintf(line, sizeof(line), "sluice: job %s %s%s%s%s",
	    fmt_json_str(job, "id"), fmt_json_str(job, "state"),
	    why != NULL ? " (" : "", why != NULL ? why : "",
	    why != NULL ? ")" : "");
	fmt_printable(line);
	fprintf(stderr, "%s\n", line);
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
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_submit s = { .runtime = "python3" };
	json_t *body = NULL, *job = NULL;
	const char *id;
	struct cli cli;
	int ch, rc = EX_OSERR;
	bool tty;

	cli_init(&cli, "submit");
	s.args = json_array();
	s.env = json_object();
	s.limits = json_object();
	s.labels = json_array();
	if (s.args == NULL || s.env == NULL || s.limits == NULL ||
	    s.labels == NULL) {
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
	if ((rc = cli_connect(&cli)) != 0 ||
	    (rc = cmd_submit_body(&cli, &s, argv + optind, argc - optind,
		 &body)) != 0)
		goto out;
	if (s.array_text != NULL) {
		rc = cmd_submit_array(&cli, &s, body);
		goto out;
	}
	if ((rc = cli_call(&cli, "POST", "/v1/jobs", body, NULL, &job)) != 0)
		goto out;
	if ((id = fmt_json_str(job, "id")) == NULL || !fmt_job_id_ok(id)) {
		cli_warn("the dispatcher's answer has no job id");
		rc = EX_PROTOCOL;
		goto out;
	}
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
	if ((rc = cmd_submit_wait(&cli, &job, tty)) != 0)
		goto out;
	id = fmt_json_str(job, "id");
	if (s.json) {
		rc = cli_print_json(job);
		goto out;
	}
	fflush(stdout);
	if ((rc = cmd_submit_output(&cli, id, "stdout", STDOUT_FILENO)) != 0 ||
	    (rc = cmd_submit_output(&cli, id, "stderr", STDERR_FILENO)) != 0)
		goto out;
	rc = cli_job_exit_status(job);
	if (tty)
		cmd_submit_summary(job, rc);
out:
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
