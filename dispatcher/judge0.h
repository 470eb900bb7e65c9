/*
 * A subset of Judge0 CE's API (version 1.13), beside /v1, so that an
 * application written for Judge0 can point at sluice:
 *
 *   GET  /languages, /languages/ID     the languages some node offers
 *   GET  /statuses                     Judge0's 14 statuses
 *   POST /authenticate                 200 if the token is good
 *   POST /submissions[?base64_encoded=true][&wait=true]
 *                                      {"token"}, or with wait the
 *                                      submission once it has ended
 *   GET  /submissions/TOKEN[?base64_encoded=true][&fields=a,b|*]
 *   POST /submissions/batch            {"submissions": [...]}
 *   GET  /submissions/batch?tokens=T1,T2,...
 *
 * A submission is a submission of the native API (the same checks,
 * limits and quotas; the tenant's job in /v1), built from Judge0's fields;
 * its token is the job's id.  The job's state, verdict and judgement map
 * onto Judge0's status ids (judge0_status_id()); docs/api.md has the table
 * and what has no Judge0 equivalent.  Errors are Judge0's: 422 with
 * {"field": ["message", ...]} for a submission, {"error": "..."} else.
 */
#ifndef SLUICE_DISPATCHER_JUDGE0_H
#define SLUICE_DISPATCHER_JUDGE0_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>

#include "core.h"
#include "waiter.h"

/* Whether path is one of this API's. */
bool judge0_path(const char *path);

/*
 * Answer a request for path (judge0_path()) from tenant tok: the token is
 * checked already, the submissions of the loop's turn flushed (unless this
 * is one); ws holds the submissions that wait.
 */
void
judge0_route(struct core *c, struct waiter_set *ws, struct evhttp_request *req,
    const struct settings_token *tok, const char *path);

/* Reply {"error": msg} with status. */
void judge0_error(struct core *c, struct evhttp_request *req, int status,
    const char *msg);

/*
 * Judge0's status id of a job object (its state, verdict, judgement and
 * signal): 1 In Queue (PENDING), 2 Processing (RUNNING, COMPLETING), 3
 * Accepted, 4 Wrong Answer, 5 Time Limit Exceeded, 6 Compilation Error, 7
 * to 10 Runtime Error by signal (SIGSEGV, SIGXFSZ, SIGFPE, SIGABRT; an
 * output limit is 8), 11 NZEC (a non-zero exit), 12 Other (another signal,
 * the memory limit), 13 Internal Error (sandbox error, node failure,
 * cancelled, no result).  14 (Exec Format Error) is never given.
 */
int judge0_status_id(const json_t *job);

/* The description of status id ("Accepted"), or NULL. */
const char *judge0_status_name(int id);

/*
 * Turn a submission (item, an object of Judge0's fields, base64 if
 * base64_encoded) into the body of a native submission (*out, a new
 * object).  -1 with *errors a new object of Judge0's errors, {"field":
 * ["message", ...], ...}.  Pure: the language must be in s, not offered.
 */
int judge0_request(const struct settings *s, const json_t *item, bool base64,
    json_t **out, json_t **errors);

/*
 * Split command_line_arguments as the shell Judge0 runs would, without its
 * expansions: words between blanks, '...' and "..." quoting, backslash
 * escapes; Judge0 removes $ & ; < > | and ` first, and so does this.  A new
 * array of strings into *out; -1 if a quote is not closed.
 */
int judge0_args(const char *s, json_t **out);

/* Base64 as Judge0 writes it (Ruby's encode64: lines of 60 characters,
   each ended by a newline): a new string. */
char *judge0_base64(const unsigned char *buf, size_t len);

/*
 * The fields a GET asks for (Judge0's ?fields=: names separated by
 * commas, "*" for all; NULL or "" for the default eight) as a mask of
 * judge0_field_names' indexes.  -1 with the names it does not know, as
 * Judge0 lists them ("a, b"), in bad.
 */
int judge0_fields(const char *spec, uint64_t *mask, char *bad, size_t len);

#endif
