/*
 * The dashboard's static files (sluice.conf's ui_dir): a fixed list of
 * files (index.html, app.js, style.css) read once at start-up and served
 * under /ui/ to anyone, without a token, since they hold nothing secret:
 * the page asks the API for everything it shows, with the token the user
 * types.  No other name is served, so no request reaches any other file.
 * Each answer carries headers that keep a browser strict about the files
 * (nosniff, a Content-Security-Policy that allows no inline script, no
 * framing) and an ETag.  Used on the main thread by the server.
 */
#ifndef SLUICE_DISPATCHER_UI_H
#define SLUICE_DISPATCHER_UI_H

#include <stdbool.h>

#include <event2/http.h>

#include "error.h"
#include "metrics.h"

/* Bytes of one file at most. */
#define UI_FILE_MAX (1024 * 1024)

struct ui;

/*
 * Read the files from dir.  dir "" turns the dashboard off (an empty
 * struct ui that serves nothing).  A missing or unreadable file, a
 * symbolic link or one larger than UI_FILE_MAX is an error naming it; the
 * caller decides whether that stops the daemon.  The result is the
 * caller's, for ui_free().
 */
struct ui *ui_new(const char *dir, struct error *e);

/*
 * A dashboard that is off: "/ui..." answers 404 with why (at most 159
 * bytes).  NULL if out of memory.
 */
struct ui *ui_new_off(const char *why);

/* Free what ui_new() or ui_new_off() made.  NULL is a no-op. */
void ui_free(struct ui *u);

/*
 * Answer req if its path (decoded) is the dashboard's: "/" and "/ui" are
 * redirected to "/ui/", and "/ui/NAME" answers a file of the list (GET and
 * HEAD; other methods 405), anything else under /ui/ 404.  u may be NULL
 * or turned off: then "/ui..." answers 404 saying so and "/" is not
 * answered.  True if the request was answered.
 */
bool ui_route(struct ui *u, struct metrics *m, struct evhttp_request *req,
    const char *path);

#endif
