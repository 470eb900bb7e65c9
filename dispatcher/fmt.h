/*
 * The CLI's words, as pure functions over plain values and the API's JSON:
 * sizes, seconds and times read from the command line; job states and
 * their squeue codes; the cells of a job's and a node's line; text and
 * base64 for submitted files.  No I/O, so tests/unit/test_client.c covers
 * them directly.
 */
#ifndef SLUICE_DISPATCHER_FMT_H
#define SLUICE_DISPATCHER_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FMT_JOB_ID_MAX 18 /* digits, as the dispatcher takes them */

/* Make s printable in place: control characters and DEL become '?'. */
void fmt_printable(char *s);

/* Whether s is a job id: 1 to FMT_JOB_ID_MAX decimal digits. */
bool fmt_job_id_ok(const char *s);

/*
 * Parse a size: a whole number of bytes, or a number (a decimal fraction
 * allowed) with a suffix K, M, G, T (powers of 1024, as Slurm reads them),
 * Ki, Mi, Gi, Ti, any of them with a trailing B, in either case.  The
 * result must be a whole number of bytes and fit in 2^53.
 */
int fmt_size_parse(const char *s, uint64_t *out);

/* Parse a positive, finite number of seconds ("10", "0.5"). */
int fmt_seconds_parse(const char *s, double *out);

/* A size for people: "512", "1.5K", "256M", "2.0G". */
void fmt_size(uint64_t bytes, char *buf, size_t size);

/* The squeue-like code of a job state ("PD", "R", ...), "?" if unknown. */
const char *fmt_state_code(const char *state);

/* A job state from a name or a code, any case ("pd", "Running"); or NULL. */
const char *fmt_state_canonical(const char *arg);

/* The index of a job state (its name) in the order of the API's list of
   states, PENDING 0 to NODE_FAIL 8; -1 if it is none. */
int fmt_state_index(const char *state);

/* The name of the state of index i; NULL past the last. */
const char *fmt_state_name(int i);

/* Whether a job state is final. */
bool fmt_state_final(const char *state);

/* Seconds since the epoch of an RFC 3339 time; -1 if s is not one. */
int fmt_time_parse(const char *s, double *out);

/*
 * Parse a point in time as sacct's --starttime takes one, into Unix
 * seconds: an RFC 3339 time (with Z or an offset); YYYY-MM-DD (midnight),
 * YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS in local time; "now", "today"
 * or "midnight" (local midnight), "yesterday"; or now-N or now+N with a
 * unit s (the default), m, h, d or w (or their words: minutes, hours,
 * ...).  now is the current time; -1 if s is none of these.
 */
int fmt_when_parse(const char *s, double now, double *out);

/* Unix seconds as the dispatcher writes times: 2026-11-23T07:45:29.023Z. */
void fmt_time_utc(double t, char *buf, size_t size);

/* Elapsed seconds as squeue prints TIME: M:SS, H:MM:SS or D-HH:MM:SS. */
void fmt_elapsed(double seconds, char *buf, size_t size);

/*
 * The seconds a job's current attempt has run: from attempt_started_at
 * (started_at from a dispatcher without it) to finished_at, or to now if
 * it has not finished; 0 if it has not started or is PENDING (a requeued
 * job too), never negative.
 */
double fmt_job_elapsed(const json_t *job, double now);

/* One line of `sluice list`: JOBID TENANT RUNTIME ST TIME NODE(REASON). */
struct fmt_job_row {
	char id[32];
	char tenant[128];
	char runtime[128];
	char st[8];
	char time[32];
	char where[512]; /* the node, or "(reason)" while pending */
};

/* The cells of a job's line, its TIME counted up to now if it runs. */
void fmt_job_row(const json_t *job, double now, struct fmt_job_row *row);

/* One line of `sluice nodes`: NODE STATE SLOTS BUSY RUNTIMES LABELS
   LAST_SEEN REASON. */
struct fmt_node_row {
	char name[128];
	char state[16];
	char slots[24];
	char busy[24];
	char runtimes[512]; /* names, comma-separated */
	char labels[512]; /* comma-separated */
	char last_seen[40];
	char reason[512];
};

/* The cells of a node's line. */
void fmt_node_row(const json_t *node, struct fmt_node_row *row);

/* A string member of obj, or NULL if it is missing or not a string. */
const char *fmt_json_str(const json_t *obj, const char *key);

/* Whether buf holds UTF-8 text without NUL bytes (sent as a JSON string). */
bool fmt_utf8_text(const unsigned char *buf, size_t len);

/* Base64 (RFC 4648, padded) of buf in a new string; NULL without memory. */
char *fmt_base64(const unsigned char *buf, size_t len);

#endif
