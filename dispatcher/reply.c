/* Answers to HTTP requests: see reply.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "reply.h"

/* The reason phrase of a status. */
static const char *
reply_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	default:
		return status >= 500 ? "Internal Server Error" : "Error";
	}
}

/* A reply sent: counted by status, timed, and logged (access.h). */
static void
reply_done(struct metrics *m, struct evhttp_request *req, int status,
    size_t bytes)
{
	metrics_count_response(m, status);
	access_end(m, req, status, bytes);
}

/* Reply with a status and no body. */
void
reply_empty(struct metrics *m, struct evhttp_request *req, int status)
{
	evhttp_send_reply(req, status, reply_phrase(status), NULL);
	reply_done(m, req, status, 0);
}

/* Reply with JSON text already written. */
void
reply_json_text(struct metrics *m, struct evhttp_request *req, int status,
    struct evbuffer *buf)
{
	size_t len;

	if (buf == NULL || evbuffer_add(buf, "\n", 1) == -1) {
		if (buf != NULL)
			evbuffer_free(buf);
		evhttp_send_error(req, 500, "Internal Server Error");
		reply_done(m, req, 500, 0);
		return;
	}
	len = evbuffer_get_length(buf);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, status, reply_phrase(status), buf);
	evbuffer_free(buf);
	reply_done(m, req, status, len);
}

/* Reply with a JSON document. */
void
reply_json(struct metrics *m, struct evhttp_request *req, int status,
    json_t *obj)
{
	struct evbuffer *buf = obj != NULL ? evbuffer_new() : NULL;
	char *text = NULL;

	if (buf != NULL &&
	    ((text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(10))) ==
		    NULL ||
		evbuffer_add(buf, text, strlen(text)) == -1)) {
		evbuffer_free(buf);
		buf = NULL;
	}
	free(text);
	json_decref(obj);
	reply_json_text(m, req, status, buf);
}

/* Reply with an error document. */
void
reply_error(struct metrics *m, struct evhttp_request *req, int status,
    const char *msg, const char *field)
{
	json_t *obj = json_pack("{s:s}", "error", msg);

	if (obj != NULL && field != NULL && field[0] != '\0')
		json_object_set_new(obj, "field", json_string(field));
	reply_json(m, req, status, obj);
}

/* See reply.h. */
void
reply_foreign_error(struct metrics *m, struct evhttp_request *req, int status,
    const char *key, const char *msg)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	if (status == 429 || status == 503 || status == 507)
		evhttp_add_header(h, "Retry-After", "5");
	reply_json(m, req, status, json_pack("{s:s}", key, msg));
}

/* Reply with raw bytes. */
void
reply_raw(struct metrics *m, struct evhttp_request *req,
    const char *content_type, const char *data, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (buf == NULL) {
		evhttp_send_error(req, 500, "Internal Server Error");
		reply_done(m, req, 500, 0);
		return;
	}
	evbuffer_add(buf, data, len);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", content_type);
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
	reply_done(m, req, 200, len);
}

/* See reply.h. */
bool
reply_query(struct evhttp_request *req, struct evkeyvalq *params)
{
	const char *q = evhttp_uri_get_query(
	    evhttp_request_get_evhttp_uri(req));

	TAILQ_INIT(params);
	if (q == NULL)
		return true;
	if (evhttp_parse_query_str(q, params) == -1 ||
	    strstr(q, "%00") != NULL) {
		evhttp_clear_headers(params);
		return false;
	}
	return true;
}
