/*
 * Job arrays for `sluice submit --array SPEC`: the SPEC, as SLURM's
 * `sbatch --array` writes it, taken apart into the task indices to submit
 * and the number that may run at once; and what each task is told of its
 * place in the array (SLUICE_ARRAY_* environment variables).  Pure: no
 * I/O, so the unit tests cover all of it.
 *
 * SPEC is a comma-separated list of items, then optionally %N:
 *   7        the index 7
 *   0-15     the indices 0 to 15
 *   0-15:4   0, 4, 8, 12 (a step, only after a range)
 *   1,3,5-7  several items; one that repeats an index adds nothing
 *   0-99%10  at most 10 of the array's tasks not ended at once
 * Indices are decimal, 0 to ARRAY_INDEX_MAX, digits only (no sign, space
 * or other base); the list names at most ARRAY_TASKS_MAX indices, repeats
 * counted.  The tasks run in ascending index order.
 */
#ifndef SLUICE_DISPATCHER_ARRAY_H
#define SLUICE_DISPATCHER_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define ARRAY_INDEX_MAX 2147483647U /* the largest index, step or %N */
#define ARRAY_TASKS_MAX 10000 /* indices a SPEC may name, repeats counted */
#define ARRAY_SPEC_MAX 4096 /* bytes of a SPEC */
#define ARRAY_ID_LEN 16 /* hex digits of an array id */

/* A parsed SPEC (embedded; see array_release). */
struct array_spec {
	uint32_t *index; /* ascending, no repeats; owned */
	size_t n; /* at least 1 */
	size_t throttle; /* %N, at most n; n when not given */
};

/*
 * Parse text into a (written only on success; release it with
 * array_release).  A bad SPEC is ERR_USAGE with a message that names
 * what is wrong; out of memory is ERR_NOMEM.
 */
int array_parse(const char *text, struct array_spec *a, struct error *e);

/* Free what array_parse() allocated; a zeroed struct is fine too. */
void array_release(struct array_spec *a);

/* The names of the variables each task gets, NULL-terminated. */
extern const char *const array_env_names[];

/*
 * The value of each of array_env_names[] for the task of index i of a
 * (0 <= i < a->n) in the array of id array_id: the array's id, the task's
 * index, the number of tasks, the smallest and the largest index.  vals
 * holds ARRAY_ENV_N buffers of ARRAY_ENV_VALUE_MAX bytes.
 */
#define ARRAY_ENV_N 5
#define ARRAY_ENV_VALUE_MAX 24
void array_env(const struct array_spec *a, size_t i, const char *array_id,
    char vals[ARRAY_ENV_N][ARRAY_ENV_VALUE_MAX]);

/*
 * Write an array id: ARRAY_ID_LEN lowercase hex digits of random (the
 * 8 bytes in rnd) and a NUL into id (ARRAY_ID_LEN + 1 bytes).
 */
void array_id_format(const unsigned char rnd[ARRAY_ID_LEN / 2], char *id);

#endif
