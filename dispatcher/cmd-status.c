/* sluice status: one job in full, as "Key: value" lines or its JSON. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd.h"
#include "util.h"

#define CMD_STATUS_EXCERPT_LINES 20
#define CMD_STATUS_EXCERPT_BYTES 4096

/* Print the verb's usage. */
static void
cmd_status_usage(FILE *f)
{
	fprintf(f,
	    "usage: sluice status ID [--json]\n"
	    "Prints job ID in full: one \"Key: value\" line each (\"-\" "
	    "for none), then\nexcerpts of its stdout and stderr as "
	    "indented blocks.\n\n"
	    "  --json             print the job object as the API gives it\n"
	    "%s\n%s",
	    cli_common_help, cli_exit_help);
}

/* Print s with anything unprintable but tabs (C0 and C1 controls) made
   '?'. */
static void
cmd_status_puts(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (util_c1_at(s + i, n - i)) {
			fputs("??", stdout);
			i++;
		} else
			putchar(((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
				    s[i] == 0x7f
				? '?'
				: s[i]);
}

/* Print "Key: value", "-" for an empty value. */
static void
cmd_status_line(const char *key, const char *value)
{
	printf("%s: ", key);
	if (value == NULL || value[0] == '\0')
		value = "-";
	cmd_status_puts(value, strlen(value));
	putchar('\n');
}

/* Print a member that is a string, a number or null. */
static void
cmd_status_member(const json_t *job, const char *key, const char *label)
{
	const json_t *v = json_object_get(job, key);
	char buf[64];

	if (json_is_string(v))
		cmd_status_line(label, json_string_value(v));
	else if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		cmd_status_line(label, buf);
	} else if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.3f", json_real_value(v));
		cmd_status_line(label, buf);
	} else
		cmd_status_line(label, NULL);
}

/* Print an excerpt of the inline stdout or stderr as an indented block. */
static void
cmd_status_excerpt(const json_t *job, const char *key, const char *label,
    const char *id)
{
	const json_t *v = json_object_get(job, key);
	char flag[32];
	const char *s, *nl;
	size_t len, end, shown = 0;
	int lines = 0;
	bool cut;

	snprintf(flag, sizeof(flag), "%s_truncated", key);
	cut = json_is_true(json_object_get(job, flag));
	if (!json_is_string(v)) {
		cmd_status_line(label, NULL);
		return;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0) {
		cmd_status_line(label, "(empty)");
		return;
	}
	printf("%s: |\n", label);
	while (shown < len && lines < CMD_STATUS_EXCERPT_LINES &&
	    shown < CMD_STATUS_EXCERPT_BYTES) {
		nl = memchr(s + shown, '\n', len - shown);
		end = nl != NULL ? (size_t)(nl - s) : len;
		if (end > CMD_STATUS_EXCERPT_BYTES)
			end = CMD_STATUS_EXCERPT_BYTES;
		printf("  ");
		cmd_status_puts(s + shown, end - shown);
		putchar('\n');
		shown = nl != NULL && end == (size_t)(nl - s) ? end + 1 : end;
		lines++;
	}
	if ((shown < len || cut) && id != NULL)
		printf("  [cut: `sluice output %s%s` prints all of it]\n", id,
		    strcmp(key, "stderr") == 0 ? " --stderr" : "");
	else if (shown < len || cut)
		printf(
		    "  [cut: `sluice status --json` has the first 64 KiB]\n");
}

/* A compile stage: how it ended, what it used, what the compiler said. */
static void
cmd_status_compile(const json_t *job)
{
	const json_t *c = json_object_get(job, "compile"), *x;
	char buf[256], code[32] = "-";

	if (!json_is_object(c))
		return;
	if (json_is_integer(x = json_object_get(c, "exit_code")))
		snprintf(code, sizeof(code), "%lld",
		    (long long)json_integer_value(x));
	snprintf(buf, sizeof(buf), "%s exit_code=%s cpu_seconds=%.3f",
	    fmt_json_str(c, "verdict") ? fmt_json_str(c, "verdict") : "?", code,
	    json_number_value(json_object_get(c, "cpu_seconds")));
	cmd_status_line("Compile", buf);
	cmd_status_excerpt(c, "stdout", "CompileStdout", NULL);
	cmd_status_excerpt(c, "stderr", "CompileStderr", NULL);
}

/* Print the job as "Key: value" lines. */
static void
cmd_status_print(const json_t *job, const char *id)
{
	const json_t *v, *f;
	char buf[1024], size[32];
	const char *k;
	struct timespec now;
	size_t i, n;

	cmd_status_line("JobId", fmt_json_str(job, "id"));
	cmd_status_member(job, "name", "JobName");
	cmd_status_member(job, "state", "State");
	cmd_status_member(job, "verdict", "Verdict");
	cmd_status_member(job, "reason", "Reason");
	cmd_status_member(job, "runtime", "Runtime");
	cmd_status_member(job, "tenant", "Tenant");
	cmd_status_member(job, "node", "Node");
	cmd_status_member(job, "attempts", "Attempts");
	/* Only for a job sent to a SLURM cluster. */
	if (json_is_string(json_object_get(job, "slurm_job_id")))
		cmd_status_member(job, "slurm_job_id", "SlurmJobId");
	cmd_status_member(job, "submitted_at", "SubmitTime");
	cmd_status_member(job, "started_at", "StartTime");
	cmd_status_member(job, "finished_at", "EndTime");
	clock_gettime(CLOCK_REALTIME, &now);
	fmt_elapsed(fmt_job_elapsed(job,
			(double)now.tv_sec + (double)now.tv_nsec / 1e9),
	    buf, sizeof(buf));
	cmd_status_line("RunTime", buf);
	cmd_status_member(job, "exit_code", "ExitCode");
	cmd_status_member(job, "signal", "Signal");
	cmd_status_member(job, "cpu_seconds", "CpuSeconds");
	cmd_status_member(job, "wall_seconds", "WallSeconds");
	v = json_object_get(job, "memory_peak_bytes");
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		fmt_size((uint64_t)json_integer_value(v), size, sizeof(size));
		snprintf(buf, sizeof(buf), "%lld (%s)",
		    (long long)json_integer_value(v), size);
		cmd_status_line("MemoryPeak", buf);
	} else
		cmd_status_line("MemoryPeak", NULL);
	buf[0] = '\0';
	json_object_foreach ((json_t *)json_object_get(job, "limits"), k, v) {
		n = strlen(buf);
		if (json_is_integer(v))
			snprintf(buf + n, sizeof(buf) - n, "%s%s=%lld",
			    n ? " " : "", k, (long long)json_integer_value(v));
		else if (json_is_number(v))
			snprintf(buf + n, sizeof(buf) - n, "%s%s=%g",
			    n ? " " : "", k, json_number_value(v));
	}
	cmd_status_line("Limits", buf);
	buf[0] = '\0';
	json_array_foreach (json_object_get(job, "labels"), i, v) {
		n = strlen(buf);
		if (json_is_string(v))
			snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "",
			    json_string_value(v));
	}
	cmd_status_line("Labels", buf);
	buf[0] = '\0';
	json_array_foreach (json_object_get(job, "out_files"), i, f) {
		n = strlen(buf);
		v = json_object_get(f, "bytes");
		snprintf(buf + n, sizeof(buf) - n, "%s%s (%lld bytes)",
		    n ? ", " : "",
		    fmt_json_str(f, "name") ? fmt_json_str(f, "name") : "?",
		    json_is_integer(v) ? (long long)json_integer_value(v) : 0);
	}
	if (json_is_true(json_object_get(job, "out_files_truncated"))) {
		n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, "%s(more not kept)",
		    n ? ", " : "");
	}
	cmd_status_line("OutFiles", buf);
	cmd_status_compile(job);
	cmd_status_excerpt(job, "stdout", "Stdout", id);
	cmd_status_excerpt(job, "stderr", "Stderr", id);
}

/* Show one job. */
static int
cmd_status_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		CLI_OPTION_SERVER,
		CLI_OPTION_TOKEN_FILE,
		CLI_OPTION_HELP,
		{ NULL, 0, NULL, 0 },
	};
	char path[CLI_PATH_MAX], what[64];
	json_t *job = NULL;
	struct cli cli;
	bool json = false;
	int ch, rc;

	cli_init(&cli, "status");
	while ((ch = cli_getopt(&cli, argc, argv, ":h", opts)) != -1) {
		switch (ch) {
		case 'h':
		case CLI_OPT_HELP:
			cmd_status_usage(stdout);
			return 0;
		case 'j':
			json = true;
			break;
		default:
			return cli_bad_option(&cli, ch, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(&cli, "give one job ID");
	if (!fmt_job_id_ok(argv[optind]))
		return cli_usage_error(&cli, "'%s' is not a job id",
		    argv[optind]);
	if ((rc = cli_connect(&cli)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/v1/jobs/%s", argv[optind]);
	snprintf(what, sizeof(what), "job %s", argv[optind]);
	if ((rc = cli_call(&cli, "GET", path, NULL, what, &job)) != 0)
		return rc;
	if (json)
		rc = cli_print_json(job);
	else {
		cmd_status_print(job, argv[optind]);
		rc = fflush(stdout) == EOF ? EX_IOERR : 0;
	}
	json_decref(job);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	"status",
	"show one job in full",
	cmd_status_exec,
};
