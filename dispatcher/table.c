/* The CLI's tables: see table.h. */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "table.h"

/* Start an empty table. */
void
table_init(struct table *t, size_t ncols, const char *const *headers,
    const bool *right)
{
	assert(ncols > 0 && ncols <= TABLE_COLS_MAX);
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->headers = headers;
	t->right = right;
}

/* Set minimum widths. */
void
table_set_widths(struct table *t, const size_t *widths)
{
	t->widths = widths;
}

/* Add a row. */
int
table_add(struct table *t, const char *const *row)
{
	char **ncells, *p;
	size_t i, ncap;

	if (t->nrows == t->cap) {
		ncap = t->cap == 0 ? 16 : t->cap * 2;
		ncells = realloc(t->cells, ncap * t->ncols * sizeof(*ncells));
		if (ncells == NULL)
			return -1;
		t->cells = ncells;
		t->cap = ncap;
	}
	for (i = 0; i < t->ncols; i++) {
		p = strdup(row[i] != NULL ? row[i] : "");
		if (p == NULL) {
			while (i > 0)
				free(t->cells[t->nrows * t->ncols + --i]);
			return -1;
		}
		t->cells[t->nrows * t->ncols + i] = p;
		fmt_printable(p);
	}
	t->nrows++;
	return 0;
}

/* The width of s on a terminal: its UTF-8 code points. */
static size_t
table_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Print one cell of a parsable row, '|' made '?'. */
static void
table_parsable_cell(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s == '|' ? '?' : *s, f);
}

/* Print one row (cells: ncols strings). */
static void
table_row(const struct table *t, FILE *f, enum table_mode mode,
    const char *const *cells, const size_t *width)
{
	size_t i, w, pad;
	const char *s;

	for (i = 0; i < t->ncols; i++) {
		s = cells[i];
		if (mode == TABLE_PARSABLE) {
			if (i > 0)
				fputc('|', f);
			table_parsable_cell(f, s);
			continue;
		}
		if (s[0] == '\0')
			s = "-";
		if (i > 0)
			fputc(' ', f);
		w = table_width(s);
		pad = width[i] > w ? width[i] - w : 0;
		if (t->right != NULL && t->right[i])
			fprintf(f, "%*s%s", (int)pad, "", s);
		else if (i + 1 < t->ncols)
			fprintf(f, "%s%*s", s, (int)pad, "");
		else
			fputs(s, f);
	}
	fputc('\n', f);
}

/* Print the table. */
void
table_print(const struct table *t, FILE *f, enum table_mode mode, bool header)
{
	size_t width[TABLE_COLS_MAX], i, r, w;

	assert(t->ncols <= TABLE_COLS_MAX);
	for (i = 0; i < t->ncols; i++) {
		width[i] = header ? table_width(t->headers[i]) : 0;
		for (r = 0; r < t->nrows; r++) {
			w = table_width(t->cells[r * t->ncols + i]);
			if (w == 0)
				w = 1; /* "-" */
			if (w > width[i])
				width[i] = w;
		}
		if (t->widths != NULL && t->widths[i] > width[i])
			width[i] = t->widths[i];
	}
	if (header)
		table_row(t, f, mode, t->headers, width);
	for (r = 0; r < t->nrows; r++)
		table_row(t, f, mode,
		    (const char *const *)(t->cells + r * t->ncols), width);
}

/* Free the table's cells. */
void
table_release(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}
