/*
 * Fixture helpers shared by the unit tests that work on real files: a
 * fresh temporary directory, its removal, and a count of the open
 * descriptors (a teardown compares it with the count before the test, to
 * catch leaks).
 */
#ifndef SLUICE_TESTS_HELPERS_H
#define SLUICE_TESTS_HELPERS_H

#include <stddef.h>

/*
 * Make a new directory $TMPDIR/sluice-test-NAME.XXXXXX (under /tmp if
 * TMPDIR is unset or empty) and leave its path in buf.  Returns 0, or -1 if
 * the path does not fit in len bytes or the directory cannot be made.
 */
int helpers_mkdtemp(char *buf, size_t len, const char *name);

/* Remove path and everything under it; links are removed, not followed. */
void helpers_rmtree(const char *path);

/* How many descriptors the process has open, or -1. */
int helpers_count_fds(void);

#endif
