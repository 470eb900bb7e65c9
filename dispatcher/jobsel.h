/*
 * Which jobs `sluice list` and `sluice cancel` act on, as squeue and
 * scancel select them: states (-t R,PD), ids (-j 3,4), names (-n), a
 * label, a tenant (-u, or --me: the token's own), and a window of
 * submission times (--since, --until).  The selection becomes the query
 * of GET /v1/jobs, which filters on the dispatcher; every job that comes
 * back is checked against it again here (jobsel_match()), so that a
 * dispatcher that ignored a filter (an older one) can never make cancel
 * act on a job it was not asked to.
 */
#ifndef SLUICE_DISPATCHER_JOBSEL_H
#define SLUICE_DISPATCHER_JOBSEL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cli.h"
#include "error.h"

#define JOBSEL_VALUES_MAX 200 /* ids, and names, in one selection */
#define JOBSEL_NAME_MAX 64 /* bytes of a job name (request.h's) */
#define JOBSEL_STATES_ALL 0x1ffu /* the nine states' bits */

/* A selection (embedded; jobsel_init(), jobsel_release()). */
struct jobsel {
	unsigned states; /* bits by fmt_state_index(); 0: any */
	char *ids[JOBSEL_VALUES_MAX];
	size_t nids;
	char *names[JOBSEL_VALUES_MAX];
	size_t nnames;
	char label[65]; /* "": any */
	char tenant[65]; /* "": the dispatcher's default */
	bool me; /* the token's own tenant, asked for by jobsel_resolve() */
	char since[40]; /* UTC, as the dispatcher writes times; "": none */
	char until[40];
};

void jobsel_init(struct jobsel *s);
void jobsel_release(struct jobsel *s);

/*
 * Add to a selection from an option's argument; each returns 0, or -1
 * with ERR_USAGE and a message naming the bad value.  States are names or
 * codes in any case ("R,pd", "completed"), or "all"; ids and names are
 * comma-separated lists (names as the API takes them); a label and a
 * tenant are one name each; a time is what fmt_when_parse() takes, read
 * at now (Unix seconds).
 */
int jobsel_states(struct jobsel *s, const char *arg, struct error *e);
int jobsel_ids(struct jobsel *s, const char *arg, struct error *e);
int jobsel_names(struct jobsel *s, const char *arg, struct error *e);
int jobsel_label(struct jobsel *s, const char *arg, struct error *e);
int jobsel_tenant(struct jobsel *s, const char *arg, struct error *e);
/* --me: the token's own tenant (squeue --me); not with a tenant. */
int jobsel_me(struct jobsel *s, struct error *e);
int jobsel_when(struct jobsel *s, bool since, const char *arg, double now,
    struct error *e);

/*
 * The selection options list and cancel share: -t, -j, -n, -u, -S, -E,
 * and label_ch (their --label's code).  1 if ch is one of them (*rc is
 * then what its function above returned), 0 if not.
 */
int jobsel_option(struct jobsel *s, int ch, int label_ch, const char *arg,
    double now, int *rc, struct error *e);

/* After the options: --since before --until; 0 or -1 (ERR_USAGE). */
int jobsel_check(const struct jobsel *s, struct error *e);

/* Whether the selection has no filter at all (it selects every job). */
bool jobsel_empty(const struct jobsel *s);

/*
 * With --me, ask the dispatcher whose the token is (GET /v1/whoami) and
 * select that tenant.  0 or an exit status, said on stderr.
 */
int jobsel_resolve(struct cli *cli, struct jobsel *s);

/*
 * The selection as GET /v1/jobs parameters ("state=RUNNING,PENDING&
 * name=a"; "" for none) into buf; -1 if it does not fit.
 */
int jobsel_query(const struct jobsel *s, char *buf, size_t size);

/* Whether job (an API job object) is one the selection selects. */
bool jobsel_match(const struct jobsel *s, const json_t *job);

/*
 * GET /v1/jobs with the selection, page after page, until limit jobs or
 * the last page: {"jobs": [...], "next_before": ...} in *out (the
 * caller's), only jobs jobsel_match() takes.  0 or an exit status, said
 * on stderr.
 */
int
jobsel_fetch(struct cli *cli, const struct jobsel *s, long limit, json_t **out);

#endif
