/* Jobs, their states and phases: see job.h. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "job.h"

static const char *const job_state_names[] = {
	[JOB_PENDING] = "PENDING",
	[JOB_RUNNING] = "RUNNING",
	[JOB_COMPLETING] = "COMPLETING",
	[JOB_COMPLETED] = "COMPLETED",
	[JOB_FAILED] = "FAILED",
	[JOB_TIMEOUT] = "TIMEOUT",
	[JOB_OUT_OF_MEMORY] = "OUT_OF_MEMORY",
	[JOB_CANCELLED] = "CANCELLED",
	[JOB_NODE_FAIL] = "NODE_FAIL",
};
#define JOB_NSTATES (sizeof(job_state_names) / sizeof(job_state_names[0]))

static const char *const job_phase_names[] = {
	[PHASE_QUEUED] = "queued",
	[PHASE_STAGING] = "staging",
	[PHASE_RUNNING] = "running",
	[PHASE_COLLECTING] = "collecting",
	[PHASE_DONE] = "done",
};
#define JOB_NPHASES (sizeof(job_phase_names) / sizeof(job_phase_names[0]))

/* The wire name of a state; "UNKNOWN" for a value outside the enum. */
const char *
job_state_name(enum job_state s)
{
	if ((unsigned)s >= JOB_NSTATES)
		return "UNKNOWN";
	return job_state_names[s];
}

/* The wire name of a phase; "unknown" for a value outside the enum. */
const char *
job_phase_name(enum job_phase p)
{
	if ((unsigned)p >= JOB_NPHASES)
		return "unknown";
	return job_phase_names[p];
}

/* Look a state up by its exact wire name; -1 if there is none. */
int
job_state_parse(const char *name, enum job_state *out)
{
	size_t i;

	for (i = 0; i < JOB_NSTATES; i++) {
		if (strcmp(name, job_state_names[i]) == 0) {
			*out = (enum job_state)i;
			return 0;
		}
	}
	return -1;
}

/* Look a phase up by its exact wire name; -1 if there is none. */
int
job_phase_parse(const char *name, enum job_phase *out)
{
	size_t i;

	for (i = 0; i < JOB_NPHASES; i++) {
		if (strcmp(name, job_phase_names[i]) == 0) {
			*out = (enum job_phase)i;
			return 0;
		}
	}
	return -1;
}

/* Whether a state is one a job ends in. */
bool
job_state_final(enum job_state s)
{
	switch (s) {
	case JOB_PENDING:
	case JOB_RUNNING:
	case JOB_COMPLETING:
		return false;
	case JOB_COMPLETED:
	case JOB_FAILED:
	case JOB_TIMEOUT:
	case JOB_OUT_OF_MEMORY:
	case JOB_CANCELLED:
	case JOB_NODE_FAIL:
		return true;
	}
	return false;
}

/* The state users see while a job is in a phase other than DONE. */
enum job_state
job_phase_state(enum job_phase p)
{
	switch (p) {
	case PHASE_QUEUED:
	case PHASE_STAGING:
		return JOB_PENDING;
	case PHASE_RUNNING:
		return JOB_RUNNING;
	case PHASE_COLLECTING:
		return JOB_COMPLETING;
	case PHASE_DONE:
		break;
	}
	/* DONE has no state of its own; never claim success by mistake. */
	return JOB_FAILED;
}

/* The final state a job ends in for the verdict the agent reported. */
enum job_state
job_state_for_verdict(enum verdict v)
{
	switch (v) {
	case VERDICT_OK:
		return JOB_COMPLETED;
	case VERDICT_EXITED:
	case VERDICT_SIGNALED:
	case VERDICT_OUTPUT_LIMIT:
	case VERDICT_SANDBOX_ERROR:
	case VERDICT_COMPILE_ERROR:
		return JOB_FAILED;
	case VERDICT_CPU_LIMIT:
	case VERDICT_WALL_LIMIT:
		return JOB_TIMEOUT;
	case VERDICT_MEMORY_LIMIT:
		return JOB_OUT_OF_MEMORY;
	case VERDICT_CANCELLED:
		return JOB_CANCELLED;
	}
	return JOB_FAILED;
}

/* The directory name of one attempt of a job on a node. */
void
job_dir_name(int64_t id, int attempt, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64 ".%d", id, attempt);
}

/* Read one number of decimal digits from s[*i] on; false if none, or if
   it is above max. */
static bool
job_dir_number(const char *s, size_t len, size_t *i, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t start = *i;

	for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
		if (v > (max - (s[*i] - '0')) / 10)
			return false;
		v = v * 10 + (s[*i] - '0');
	}
	*out = v;
	return *i > start;
}

/* The inverse of job_dir_name(). */
bool
job_dir_parse(const char *s, size_t len, int64_t *id, int *attempt)
{
	int64_t a;
	size_t i = 0;

	if (!job_dir_number(s, len, &i, INT64_MAX, id) || i == len ||
	    s[i++] != '.' || !job_dir_number(s, len, &i, INT_MAX, &a) ||
	    i != len || a < 1)
		return false;
	*attempt = (int)a;
	return true;
}
