/*
 * Logging to standard error: one line per message, lowercase, prefixed with
 * the time, the program name and the level, written at once.  A message's
 * control characters are written as \n, \t or \xHH, so that a message is
 * always one line whatever it quotes; one past LOG_MESSAGE_MAX bytes is
 * cut.  The agent's supervisor has no terminal, so it logs nothing here
 * and puts what went wrong into the job's result instead.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#define LOG_MESSAGE_MAX 4096

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Set the program name and the most verbose level that is printed. */
void log_open(const char *progname, enum log_level level);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log and exit(1): only at start-up or for a broken invariant. */
void
fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
