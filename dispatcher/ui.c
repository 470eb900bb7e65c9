/* The dashboard's static files: see ui.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "digest.h"
#include "reply.h"
#include "ui.h"
#include "util.h"

/*
 * What the browser may do with the page: its own script and style only
 * (no inline script, no eval, no inline style), requests to this origin
 * only (the API), no plugins, no <base>, no form posted anywhere (the
 * login form is handled by the script), never inside another site's frame.
 * data: images are the page's empty favicon.
 */
#define UI_CSP \
	"default-src 'none'; script-src 'self'; style-src 'self'; " \
	"connect-src 'self'; img-src 'self' data:; base-uri 'none'; " \
	"form-action 'none'; frame-ancestors 'none'"

/* The files, by the name in the URL and on disk, and their types. */
static const struct {
	const char *name;
	const char *type;
} ui_files[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "app.js", "text/javascript; charset=utf-8" },
	{ "style.css", "text/css; charset=utf-8" },
};
#define UI_NFILES (sizeof(ui_files) / sizeof(ui_files[0]))

struct ui {
	bool on; /* false: nothing is served, and /ui says why_off */
	char why_off[160];
	struct {
		char *data;
		size_t len;
		char etag[20]; /* "..." around 16 hex digits of the SHA-256 */
	} f[UI_NFILES];
};

/* A dashboard that is off and says why. */
struct ui *
ui_new_off(const char *why)
{
	struct ui *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	snprintf(u->why_off, sizeof(u->why_off), "%s", why);
	return u;
}

/* Read the files from dir. */
struct ui *
ui_new(const char *dir, struct error *e)
{
	unsigned char sum[32];
	struct ui *u = NULL;
	struct error fe;
	size_t i, k;
	int dfd = -1;

	if (dir[0] == '\0') {
		if ((u = ui_new_off(
			 "the dashboard is turned off (sluice.conf's "
			 "ui_dir is \"\")")) == NULL)
			error_set(e, ERR_NOMEM, "out of memory");
		return u;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		error_set_field(e, ERR_IO, "ui_dir",
		    "cannot open the dashboard's directory '%s' (ui_dir): %s",
		    dir, strerror(errno));
		return NULL;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		error_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	u->on = true;
	for (i = 0; i < UI_NFILES; i++) {
		error_init(&fe);
		if (util_read_file_at(dfd, ui_files[i].name, UI_FILE_MAX,
			&u->f[i].data, &u->f[i].len, &fe) == -1) {
			error_set_field(e, fe.code, "ui_dir",
			    "cannot read the dashboard's file '%s/%s' "
			    "(ui_dir): "
			    "%s",
			    dir, ui_files[i].name, fe.msg);
			goto fail;
		}
		digest_sha256(u->f[i].data, u->f[i].len, sum);
		u->f[i].etag[0] = '"';
		for (k = 0; k < 8; k++)
			snprintf(u->f[i].etag + 1 + 2 * k, 3, "%02x", sum[k]);
		u->f[i].etag[17] = '"';
		u->f[i].etag[18] = '\0';
	}
	close(dfd);
	return u;
fail:
	close(dfd);
	ui_free(u);
	return NULL;
}

/* Free what ui_new() made. */
void
ui_free(struct ui *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < UI_NFILES; i++)
		free(u->f[i].data);
	free(u);
}

/* Answer with a status and no body, as reply.h does for the API. */
static void
ui_reply_empty(struct metrics *m, struct evhttp_request *req, int status,
    const char *phrase)
{
	evhttp_send_reply(req, status, phrase, NULL);
	metrics_count_response(m, status);
}

/* The headers that keep a browser strict about every file of the page. */
static void
ui_strict_headers(struct evkeyvalq *h)
{
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", UI_CSP);
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	/* Kept, but asked for again each time: an upgrade shows at once. */
	evhttp_add_header(h, "Cache-Control", "no-cache");
}

/* Whether the request's If-None-Match names etag (or is "*"). */
static bool
ui_not_modified(struct evhttp_request *req, const char *etag)
{
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(
						 req),
	    "If-None-Match");

	return inm != NULL &&
	    (strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL);
}

/* Answer file i of the list. */
static void
ui_send(struct ui *u, struct metrics *m, struct evhttp_request *req, size_t i)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *buf;
	char len[24];

	ui_strict_headers(h);
	evhttp_add_header(h, "ETag", u->f[i].etag);
	if (ui_not_modified(req, u->f[i].etag)) {
		ui_reply_empty(m, req, 304, "Not Modified");
		return;
	}
	evhttp_add_header(h, "Content-Type", ui_files[i].type);
	/* libevent 2.1 would send a body after HEAD, and no length. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof(len), "%zu", u->f[i].len);
		evhttp_add_header(h, "Content-Length", len);
		ui_reply_empty(m, req, 200, "OK");
		return;
	}
	if ((buf = evbuffer_new()) == NULL ||
	    evbuffer_add(buf, u->f[i].data, u->f[i].len) == -1) {
		if (buf != NULL)
			evbuffer_free(buf);
		reply_error(m, req, 500, "out of memory", NULL);
		return;
	}
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
	metrics_count_response(m, 200);
}

/*
 * Send the browser to location: a 302 whose short body names it as text
 * (without a type of its own, the API's default, JSON, would be claimed).
 */
static void
ui_redirect(struct metrics *m, struct evhttp_request *req, const char *location)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	bool head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
	struct evbuffer *buf;
	char len[24];

	if ((buf = evbuffer_new()) == NULL ||
	    evbuffer_add_printf(buf, "%s\n", location) == -1) {
		if (buf != NULL)
			evbuffer_free(buf);
		reply_error(m, req, 500, "out of memory", NULL);
		return;
	}
	evhttp_add_header(h, "Location", location);
	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	/* libevent 2.1 would send a body after HEAD, and no length. */
	snprintf(len, sizeof(len), "%zu", evbuffer_get_length(buf));
	evhttp_add_header(h, "Content-Length", len);
	evhttp_send_reply(req, 302, "Found", head ? NULL : buf);
	evbuffer_free(buf);
	metrics_count_response(m, 302);
}

/* Answer a method other than GET and HEAD. */
static bool
ui_method_ok(struct metrics *m, struct evhttp_request *req)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, HEAD");
	reply_error(m, req, 405, "method not allowed", NULL);
	return false;
}

/* Route the dashboard's paths. */
bool
ui_route(struct ui *u, struct metrics *m, struct evhttp_request *req,
    const char *path)
{
	const char *name;
	size_t i;

	if (strcmp(path, "/") == 0 && (u == NULL || !u->on))
		return false;
	if (strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0) {
		if (u == NULL || !u->on)
			goto off;
		if (ui_method_ok(m, req))
			ui_redirect(m, req, "/ui/");
		return true;
	}
	if (strncmp(path, "/ui/", 4) != 0)
		return false;
	if (u == NULL || !u->on)
		goto off;
	name = path[4] == '\0' ? "index.html" : path + 4;
	/* Names of the list only, compared whole: nothing else is a file. */
	for (i = 0; i < UI_NFILES; i++)
		if (strcmp(name, ui_files[i].name) == 0)
			break;
	if (i == UI_NFILES) {
		reply_error(m, req, 404, "no such file of the dashboard", NULL);
		return true;
	}
	if (ui_method_ok(m, req))
		ui_send(u, m, req, i);
	return true;
off:
	reply_error(m, req, 404,
	    u != NULL ? u->why_off : "the dashboard is not available", NULL);
	return true;
}
