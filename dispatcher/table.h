/*
 * A table of text cells for the CLI's listings, printed aligned
 * (squeue-like) or parsable ('|'-separated).
 */
#ifndef SLUICE_DISPATCHER_TABLE_H
#define SLUICE_DISPATCHER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TABLE_COLS_MAX 16

enum table_mode {
	TABLE_ALIGNED, /* padded columns; an empty cell shows "-" */
	TABLE_PARSABLE /* '|' between cells, none at the end */
};

/*
 * A table of text cells, printed aligned (squeue-like) or parsable.
 * Cells are copied in; control characters become '?', and in parsable
 * output so does '|'.
 */
struct table {
	size_t ncols;
	const char *const *headers;
	const bool *right; /* right-justify column i; NULL: none */
	const size_t *widths; /* aligned: column i at least this wide; NULL */
	char **cells; /* nrows * ncols */
	size_t nrows;
	size_t cap;
};

/* Start an empty table; headers and right must outlive it. */
void table_init(struct table *t, size_t ncols, const char *const *headers,
    const bool *right);

/* Make aligned columns at least widths[i] wide (widths must outlive t). */
void table_set_widths(struct table *t, const size_t *widths);

/* Add a row of ncols cells (NULL is empty); -1 without memory. */
int table_add(struct table *t, const char *const *row);

/* Print the table, with its header line unless header is false. */
void
table_print(const struct table *t, FILE *f, enum table_mode mode, bool header);

/* Free the table's cells. */
void table_release(struct table *t);

#endif
