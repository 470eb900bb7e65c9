/*
 * Long polls (GET /v1/jobs/ID/wait): requests held until their job ends
 * or their timeout passes, on the main thread.  The core tells of every
 * end through its on_final hook (core_on_final()), which is how it
 * answers requests without knowing of HTTP.
 */
#ifndef SLUICE_DISPATCHER_WAITER_H
#define SLUICE_DISPATCHER_WAITER_H

#include <stdbool.h>

#include <event2/http.h>

#include "core.h"

struct waiter_set;

/*
 * The long polls of one server, hooked to c's on_final (which must be
 * free).  NULL if out of memory.
 */
struct waiter_set *waiter_set_new(struct core *c);

/*
 * Unhook and free the set.  The held requests are not answered: call this
 * after evhttp_free(), which drops their connections.
 */
void waiter_set_free(struct waiter_set *ws);

/*
 * Answer req with job j once it has ended (status ended), or as it is then
 * (status pending) after timeout seconds (capped by the configured
 * wait_max_seconds); at once if it has ended already or timeout is 0.
 */
void waiter_add(struct waiter_set *ws, struct evhttp_request *req,
    const struct job *j, double timeout_seconds, int ended, int pending);

/*
 * How waiter_add_answer() answers req: j as it is once it has ended
 * (ended true), or once the wait is over (ended as job_state_final() of
 * it then); j NULL if the job is gone by then.  arg is freed (free())
 * after the call, or with the set if the answer never comes.  The waiter
 * is out of the set during the call, so the callback may change the core
 * (cancel the job).
 */
typedef void (*waiter_answer_cb)(struct core *c, struct evhttp_request *req,
    const struct job *j, bool ended, void *arg);

/*
 * Also call cb(j, arg) for every job's end, after the set's own answers
 * (the set holds the core's one on_final hook); NULL clears it.
 */
void waiter_set_chain(struct waiter_set *ws, core_final_cb cb, void *arg);

/* As waiter_add(), but cb makes the answer (the APIs of other systems). */
void waiter_add_answer(struct waiter_set *ws, struct evhttp_request *req,
    const struct job *j, double timeout_seconds, waiter_answer_cb cb,
    void *arg);

#endif
