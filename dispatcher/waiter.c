/* Long polls: see waiter.h. */
#include "config.h"

#include <stdlib.h>
#include <sys/time.h>

#include <event2/event.h>

#include "log.h"
#include "reply.h"
#include "view.h"
#include "waiter.h"

struct waiter {
	struct waiter_set *set;
	struct evhttp_request *req;
	int64_t id;
	int ended, pending; /* the answer's status either way */
	waiter_answer_cb cb; /* or this makes the answer */
	void *arg; /* cb's, freed with the waiter */
	struct event *timer;
	struct waiter *next;
};

struct waiter_set {
	struct core *core;
	struct waiter *head;
	core_final_cb chain; /* waiter_set_chain() */
	void *chain_arg;
};

/* Take w out of its set (not freed). */
static void
waiter_unlink(struct waiter *w)
{
	struct waiter **pw;

	for (pw = &w->set->head; *pw != NULL; pw = &(*pw)->next)
		if (*pw == w) {
			*pw = w->next;
			break;
		}
}

/* Free a waiter out of its set. */
static void
waiter_free(struct waiter *w)
{
	event_free(w->timer);
	free(w->arg);
	free(w);
}

/* The core's on_final hook: answer every waiter of the job that ended
   (one job object for all). */
static void
waiter_on_final(const struct job *j, void *arg)
{
	struct waiter_set *ws = arg;
	struct core *c = ws->core;
	struct waiter **pw = &ws->head, *w;
	struct evbuffer *text = NULL, *copy;

	while ((w = *pw) != NULL) {
		if (w->id != j->id) {
			pw = &w->next;
			continue;
		}
		*pw = w->next;
		if (w->cb != NULL) {
			w->cb(c, w->req, j, true, w->arg);
			waiter_free(w);
			continue;
		}
		if (text == NULL)
			text = view_job_text(c, j);
		/* Each answer a copy: the reply appends to its buffer. */
		if ((copy = evbuffer_new()) != NULL &&
		    (text == NULL ||
			evbuffer_add(copy, evbuffer_pullup(text, -1),
			    evbuffer_get_length(text)) == -1)) {
			evbuffer_free(copy);
			copy = NULL;
		}
		reply_json_text(&c->metrics, w->req, w->ended, copy);
		waiter_free(w);
	}
	if (text != NULL)
		evbuffer_free(text);
	if (ws->chain != NULL)
		ws->chain(j, ws->chain_arg);
}

/* Pass every job's end on to cb as well. */
void
waiter_set_chain(struct waiter_set *ws, core_final_cb cb, void *arg)
{
	ws->chain = cb;
	ws->chain_arg = arg;
}

/* A long poll that timed out: answer with the job as it is now. */
static void
waiter_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;
	struct core *c = w->set->core;
	struct error e;
	struct job j;

	(void)fd;
	(void)what;
	/* Out of the set first: an answer may cancel the job, whose end
	   would answer the set's waiters. */
	waiter_unlink(w);
	if (w->cb != NULL) {
		if (view_job_get(c, w->id, &j, &e) == 0)
			w->cb(c, w->req, &j, job_state_final(j.state), w->arg);
		else
			w->cb(c, w->req, NULL, false, w->arg);
	} else if (view_job_get(c, w->id, &j, &e) == 0)
		reply_json_text(&c->metrics, w->req,
		    job_state_final(j.state) ? w->ended : w->pending,
		    view_job_text(c, &j));
	else
		reply_error(&c->metrics, w->req, 404, "no such job", NULL);
	waiter_free(w);
}

/* Create the set and hook it to the core. */
struct waiter_set *
waiter_set_new(struct core *c)
{
	struct waiter_set *ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return NULL;
	ws->core = c;
	core_on_final(c, waiter_on_final, ws);
	return ws;
}

/* Unhook and free the set. */
void
waiter_set_free(struct waiter_set *ws)
{
	struct waiter *w, *next;

	if (ws == NULL)
		return;
	core_on_final(ws->core, NULL, NULL);
	for (w = ws->head; w != NULL; w = next) {
		next = w->next;
		waiter_free(w);
	}
	free(ws);
}

/* Hold req until job j ends or the timeout passes. */
static void
waiter_hold(struct waiter_set *ws, struct evhttp_request *req,
    const struct job *j, double timeout_seconds, int ended, int pending,
    waiter_answer_cb cb, void *arg)
{
	struct core *c = ws->core;
	struct waiter *w;
	struct timeval tv;

	if (job_state_final(j->state) || timeout_seconds <= 0) {
		if (cb != NULL) {
			cb(c, req, j, job_state_final(j->state), arg);
			free(arg);
		} else
			reply_json_text(&c->metrics, req,
			    job_state_final(j->state) ? ended : pending,
			    view_job_text(c, j));
		return;
	}
	if (timeout_seconds > c->set.wait_max_seconds)
		timeout_seconds = c->set.wait_max_seconds;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("out of memory");
	w->set = ws;
	w->req = req;
	w->id = j->id;
	w->ended = ended;
	w->pending = pending;
	w->cb = cb;
	w->arg = arg;
	w->timer = evtimer_new(c->base, waiter_timeout, w);
	if (w->timer == NULL)
		fatal("out of memory");
	tv.tv_sec = (time_t)timeout_seconds;
	tv.tv_usec = (suseconds_t)((timeout_seconds - (double)tv.tv_sec) * 1e6);
	evtimer_add(w->timer, &tv);
	w->next = ws->head;
	ws->head = w;
}

/* Answer once the job has ended, or after the timeout. */
void
waiter_add(struct waiter_set *ws, struct evhttp_request *req,
    const struct job *j, double timeout_seconds, int ended, int pending)
{
	waiter_hold(ws, req, j, timeout_seconds, ended, pending, NULL, NULL);
}

/* The same, answered by cb. */
void
waiter_add_answer(struct waiter_set *ws, struct evhttp_request *req,
    const struct job *j, double timeout_seconds, waiter_answer_cb cb, void *arg)
{
	waiter_hold(ws, req, j, timeout_seconds, 0, 0, cb, arg);
}
