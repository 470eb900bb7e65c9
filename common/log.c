/* Logging to standard error: see log.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static const char *log_progname = "sluice";
static enum log_level log_max = LOG_LEVEL_INFO;

/* Set the program name and the most verbose level that is printed. */
void
log_open(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_max = level;
}

/*
 * Print one line at a level, if that level is enabled: written at once
 * (lines of the dispatcher's threads never mix), and always one line.  A
 * message carries what others wrote (a node's reason, a compiler's
 * output, a client's path), so its control characters are written as \n,
 * \t or \xHH: nothing in it can start a line that looks like one of ours.
 * A message past LOG_MESSAGE_MAX bytes is cut, and ends with "...".
 */
static void
log_vprint(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	static const char hex[] = "0123456789abcdef";
	char msg[LOG_MESSAGE_MAX], line[LOG_MESSAGE_MAX * 4 + 128];
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	bool c1_next = false;
	size_t n, i;
	int len;

	if (level > log_max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (len < 0)
		snprintf(msg, sizeof(msg),
		    "(a message that cannot be written)");
	else if ((size_t)len >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	len = snprintf(line, sizeof(line), "%s.%03ldZ %s %s: ", stamp,
	    ts.tv_nsec / 1000000, log_progname, names[level]);
	n = len > 0 && (size_t)len < sizeof(line) ? (size_t)len : 0;
	for (i = 0; msg[i] != '\0' && n + 5 < sizeof(line); i++) {
		unsigned char c = (unsigned char)msg[i];

		/* The byte after a C1 control's 0xc2 is escaped too. */
		if (c1_next) {
			c1_next = false;
		} else if (util_c1_at(msg + i, strlen(msg + i)))
			c1_next = true;
		else if (c >= 0x20 && c != 0x7f) {
			line[n++] = (char)c;
			continue;
		}
		line[n++] = '\\';
		if (c == '\n')
			line[n++] = 'n';
		else if (c == '\t')
			line[n++] = 't';
		else {
			line[n++] = 'x';
			line[n++] = hex[c >> 4];
			line[n++] = hex[c & 15];
		}
	}
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
