/*
 * Expected output: what a judge or course platform checks a program's
 * stdout against (a submission's "expected_output").  Pure: no I/O.
 */
#ifndef SLUICE_DISPATCHER_JUDGE_H
#define SLUICE_DISPATCHER_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether out (the program's stdout) is the expected output exp.  Exact:
 * byte for byte.  Otherwise trailing whitespace is not compared: spaces,
 * tabs, carriage returns, vertical tabs and form feeds at the end of each
 * line, and empty lines at the end (so "1 2 \r\n3\n\n" is "1 2\n3").
 */
bool judge_same(const unsigned char *out, size_t out_len,
    const unsigned char *exp, size_t exp_len, bool exact);

#endif
