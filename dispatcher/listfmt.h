/*
 * The columns of `sluice list`, as -o/--format or SLUICE_FORMAT choose
 * them, in either of squeue's two ways:
 *
 *   squeue -o:  "%i %j %T %M %R": each column a '%', an optional '.'
 *               (right-justified), an optional width, and a letter;
 *               white space only between them.
 *   squeue -O:  "id,name,state,time,reason" (commas or white space
 *               between them, any case): each a name, or squeue's own
 *               (jobid, partition, timeused, ...), with an optional
 *               ":[.]width".
 *
 * A width is a minimum: a cell is never cut, so that what a script reads
 * is whole.  The cells are made from the API's job object.  Pure (no I/O
 * but listfmt_help()), so tests/unit/test_listfmt.c covers it directly.
 */
#ifndef SLUICE_DISPATCHER_LISTFMT_H
#define SLUICE_DISPATCHER_LISTFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "error.h"
#include "table.h"

/* squeue's default columns, with the job's name: JOBID NAME TENANT
   RUNTIME ST TIME NODE(REASON). */
#define LISTFMT_DEFAULT "%i %j %u %P %t %M %R"
#define LISTFMT_COLS_MAX TABLE_COLS_MAX
#define LISTFMT_WIDTH_MAX 200
#define LISTFMT_SPEC_MAX 1024 /* bytes of a format */
#define LISTFMT_CELL_MAX 2048 /* bytes of a cell, with its NUL */

enum listfmt_field {
	LISTFMT_ID,
	LISTFMT_NAME,
	LISTFMT_TENANT,
	LISTFMT_RUNTIME,
	LISTFMT_ST,
	LISTFMT_STATE,
	LISTFMT_TIME,
	LISTFMT_WHERE, /* squeue's NODELIST(REASON) */
	LISTFMT_NODE,
	LISTFMT_REASON,
	LISTFMT_SUBMITTED,
	LISTFMT_STARTED,
	LISTFMT_FINISHED,
	LISTFMT_TIME_LIMIT,
	LISTFMT_MEMORY,
	LISTFMT_LABELS,
	LISTFMT_ATTEMPTS,
	LISTFMT_VERDICT,
	LISTFMT_EXIT_CODE,
	LISTFMT_SIGNAL,
	LISTFMT_CPU_SECONDS,
	LISTFMT_WALL_SECONDS,
	LISTFMT_MAX_RSS
};

/* The columns a format chose, ready for table_init() and
   table_set_widths() (the arrays are the struct's own). */
struct listfmt {
	size_t ncols;
	enum listfmt_field fields[LISTFMT_COLS_MAX];
	const char *headers[LISTFMT_COLS_MAX];
	bool right[LISTFMT_COLS_MAX];
	size_t widths[LISTFMT_COLS_MAX]; /* minimum widths; 0: none */
};

/*
 * Parse a format (either way above) into out, written only on success.
 * ERR_INVALID, with a message that names the fault, for an empty format,
 * an unknown letter or name, text other than white space between '%'
 * columns, a width past LISTFMT_WIDTH_MAX, more than LISTFMT_COLS_MAX
 * columns, or a format longer than LISTFMT_SPEC_MAX.
 */
int listfmt_parse(const char *spec, struct listfmt *out, struct error *e);

/*
 * The cell of field for job (an API job object) into buf (size bytes,
 * cut to fit), "" where the job has no value.  TIME counts to now (Unix
 * seconds) for a job that runs, as fmt_job_elapsed() does.
 */
void listfmt_cell(enum listfmt_field field, const json_t *job, double now,
    char *buf, size_t size);

/* Print the fields, one line each (letter, name, header, meaning). */
void listfmt_help(FILE *f);

#endif
