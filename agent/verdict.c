/* From observations to a verdict: see verdict.h. */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "verdict.h"

/* Append a formatted note to the result's message. */
static void __attribute__((format(printf, 2, 3)))
verdict_note(struct result *r, const char *fmt, ...)
{
	size_t n = strlen(r->message);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(r->message)) {
		strcpy(r->message + n, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->message + n, sizeof(r->message) - n, fmt, ap);
	va_end(ap);
}

/* The CPU limit's verdict and its note. */
static void
verdict_cpu(struct result *r, const struct verdict_facts *f,
    const struct limits *l)
{
	r->verdict = VERDICT_CPU_LIMIT;
	verdict_note(r, "CPU time limit of %g s exceeded (%.3f s used)",
	    l->cpu_seconds, f->cpu_seconds);
}

/* Decide the verdict. */
void
verdict_decide(const struct verdict_facts *f, struct result *r)
{
	const struct limits *l = f->limits;
	int i;

	r->message[0] = '\0';
	r->exit_code = -1;
	r->signal = 0;
	if (f->sandbox_failed && f->memory_hit) {
		r->verdict = VERDICT_MEMORY_LIMIT;
		verdict_note(r,
		    "memory limit of %llu bytes is too small to "
		    "start the job",
		    (unsigned long long)l->memory_bytes);
		goto clamps;
	}
	if (f->sandbox_failed) {
		r->verdict = VERDICT_SANDBOX_ERROR;
		verdict_note(r, "sandbox error: %s",
		    f->error != NULL ? f->error : "unknown");
		goto clamps;
	}
	/* The wait status, when init reported one: an exit code or a
	   signal. */
	if (f->have_status && WIFEXITED(f->status))
		r->exit_code = WEXITSTATUS(f->status);
	else if (f->have_status && WIFSIGNALED(f->status))
		r->signal = WTERMSIG(f->status);
	switch (f->killed) {
	case KILL_CANCEL:
		r->verdict = VERDICT_CANCELLED;
		verdict_note(r, "cancelled");
		goto clamps;
	case KILL_OUTPUT:
		r->verdict = VERDICT_OUTPUT_LIMIT;
		verdict_note(r, "%s passed the output limit of %llu bytes",
		    f->output_stream != NULL ? f->output_stream : "output",
		    (unsigned long long)l->output_bytes);
		goto clamps;
	case KILL_WALL:
		r->verdict = VERDICT_WALL_LIMIT;
		verdict_note(r, "wall time limit of %g s exceeded",
		    l->wall_seconds);
		goto clamps;
	case KILL_CPU:
		verdict_cpu(r, f, l);
		goto clamps;
	case KILL_NONE:
		break;
	}
	if (f->memory_hit && !(r->exit_code == 0)) {
		r->verdict = VERDICT_MEMORY_LIMIT;
		verdict_note(r, "memory limit of %llu bytes exceeded",
		    (unsigned long long)l->memory_bytes);
		goto clamps;
	}
	if ((r->signal == SIGXCPU || r->signal == SIGKILL) &&
	    f->cpu_seconds >= l->cpu_seconds) {
		verdict_cpu(r, f, l);
		goto clamps;
	}
	if (r->signal != 0) {
		r->verdict = VERDICT_SIGNALED;
		if (r->signal == SIGSYS)
			verdict_note(r,
			    "killed by signal %d (SIGSYS): the "
			    "seccomp filter refused a system call from a "
			    "foreign ABI",
			    r->signal);
		else
			verdict_note(r, "killed by signal %d (SIG%s)",
			    r->signal,
			    sigabbrev_np(r->signal) != NULL
				? sigabbrev_np(r->signal)
				: "?");
	} else if (r->exit_code == 0) {
		r->verdict = VERDICT_OK;
		if (f->memory_hit)
			verdict_note(r,
			    "the program ran into its memory "
			    "limit but exited 0");
	} else if (r->exit_code > 0) {
		r->verdict = VERDICT_EXITED;
		verdict_note(r, "exited with status %d", r->exit_code);
	} else {
		r->verdict = VERDICT_SANDBOX_ERROR;
		verdict_note(r, "sandbox error: the job's status was lost");
	}
clamps:
	for (i = 0; i < LIMITS_N; i++)
		if (f->clamped & (1u << i))
			verdict_note(r, "%s lowered to the node's ceiling",
			    limit_defs[i].name);
}
