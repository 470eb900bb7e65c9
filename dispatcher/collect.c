/* Collecting a finished job's results into the spool: see collect.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "collect.h"
#include "judge.h"
#include "util.h"

#define COLLECT_TREE_DEPTH 16

/* Fetch one level of a job's out/ into the spool. */
static int
collect_tree(struct remote *r, const struct settings *set, const char *rdir,
    int dstfd, const char *prefix, int depth, struct result *res,
    struct error *e)
{
	struct remote_entry *ents = NULL;
	char rpath[1536], rel[UTIL_PATH_MAX + 1];
	uint64_t bytes;
	size_t n, i;
	int sub, rc = -1;

	if (remote_sftp_list(r, rdir, set->max_out_files + 64, &ents, &n, e) ==
	    -1)
		return -1;
	for (i = 0; i < n; i++) {
		/* A path too long to name here is skipped, not cut short: a
		   shorter one would be another file. */
		if (snprintf(rpath, sizeof(rpath), "%s/%s", rdir,
			ents[i].name) >= (int)sizeof(rpath) ||
		    snprintf(rel, sizeof(rel), "%s%s", prefix, ents[i].name) >=
			(int)sizeof(rel)) {
			res->out_files_truncated = true;
			continue;
		}
		if (ents[i].type == REMOTE_REG) {
			/* Too many, or one too large to keep: skip it and say
			   so, rather than fail the whole job. */
			if (res->n_out_files >= set->max_out_files ||
			    ents[i].size > set->max_result_file_bytes) {
				res->out_files_truncated = true;
				continue;
			}
			if (remote_sftp_get(r, rpath, dstfd, ents[i].name,
				set->max_result_file_bytes, &bytes, e) == -1)
				goto out;
			if (result_add_file(res, rel, bytes) == -1) {
				error_set(e, ERR_NOMEM, "out of memory");
				goto out;
			}
		} else if (ents[i].type == REMOTE_DIR &&
		    depth < COLLECT_TREE_DEPTH) {
			/* Its entries' paths need room for a '/' as well. */
			if (strlen(rel) + 1 >= sizeof(rel)) {
				res->out_files_truncated = true;
				continue;
			}
			if (mkdirat(dstfd, ents[i].name, 0755) == -1 ||
			    (sub = openat(dstfd, ents[i].name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				     O_CLOEXEC)) == -1) {
				error_set(e, ERR_IO, "cannot create '%s': %s",
				    rel, strerror(errno));
				goto out;
			}
			strcat(rel, "/");
			rc = collect_tree(r, set, rpath, sub, rel, depth + 1,
			    res, e);
			close(sub);
			if (rc == -1)
				goto out;
			rc = -1;
		}
		/* Links and special files: never fetched. */
	}
	rc = 0;
out:
	free(ents);
	return rc;
}

/*
 * Fetch one captured stream into the spool as name.  A stream the node says
 * is empty is not asked for (three SFTP round trips fewer for most jobs'
 * stderr): the spool gets an empty file.  Trusting that claim can only
 * lose the node's own output, never add to it.
 */
static int
collect_output(struct remote *r, const struct settings *set, int dfd,
    const char *path, const char *rname, const char *name, uint64_t claimed,
    struct error *e)
{
	char rpath[700];
	uint64_t bytes;
	int fd;

	if (claimed == 0) {
		fd = openat(dfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1)
			return error_set(e, ERR_IO, "cannot create %s: %s",
			    name, strerror(errno));
		close(fd);
		return 0;
	}
	snprintf(rpath, sizeof(rpath), "%s/%s", path, rname);
	return remote_sftp_get(r, rpath, dfd, name, set->max_result_file_bytes,
	    &bytes, e);
}

/*
 * A job with an expected output (in/expected) whose program ended ok: its
 * stdout, as collected into dfd, compared with it (judge.h), and the
 * judgement written beside the result.  Nothing for any other job.
 */
static int
collect_judge(const struct spool *sp, const struct settings *set, int64_t id,
    int dfd, const struct result *res, struct error *e)
{
	char *exp = NULL, *out = NULL, *mark = NULL;
	size_t elen, olen, mlen;
	const char *word;
	int fd, rc = -1;

	if (res->verdict != VERDICT_OK)
		return 0;
	if (spool_read_input(sp, id, SPOOL_EXPECTED, set->caps.max_file_bytes,
		&exp, &elen, e) == -1)
		return e->code == ERR_NOTFOUND ? (error_init(e), 0) : -1;
	/* An honest node never says ok of output it cut (that is an
	   output_limit); cut output is no answer. */
	if (res->stdout_truncated) {
		word = "wrong_answer";
		goto write;
	}
	if (util_read_file_at(dfd, SPOOL_STDOUT, set->max_result_file_bytes,
		&out, &olen, e) == -1)
		goto out;
	if (spool_read_input(sp, id, SPOOL_EXPECTED_EXACT, 1, &mark, &mlen,
		e) == -1) {
		if (e->code != ERR_NOTFOUND)
			goto out;
		error_init(e);
	}
	word = judge_same((const unsigned char *)out, olen,
		   (const unsigned char *)exp, elen, mark != NULL)
	    ? "accepted"
	    : "wrong_answer";
write:
	if ((fd = openat(dfd, SPOOL_JUDGEMENT,
		 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) ==
	    -1) {
		error_set(e, ERR_IO, "cannot write the judgement: %s",
		    strerror(errno));
		goto out;
	}
	rc = util_write_all(fd, word, strlen(word));
	if (close(fd) == -1 || rc == -1) {
		rc = -1;
		error_set(e, ERR_IO, "cannot write the judgement");
	}
out:
	free(exp);
	free(out);
	free(mark);
	return rc;
}

/*
 * The node's account of the run from its finished event line: its
 * "result" is the object result.json holds (INTERFACES.md, "Events"), so it is
 * checked as that file is (no more than RESULT_MAX_BYTES, no duplicate
 * keys, result_from_json()).  Returns 0, or -1 (nothing set) if the line
 * cannot stand in for the file.
 */
static int
collect_from_event(const char *line, size_t len, struct result *claimed)
{
	struct error e;
	json_t *root;
	int rc = -1;

	if (line == NULL || len > RESULT_MAX_BYTES)
		return -1;
	if ((root = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL)
		return -1;
	rc = result_from_json(json_object_get(root, "result"), claimed, &e);
	json_decref(root);
	return rc;
}

/*
 * The node's account of the run: from the finished event line if it
 * passes, else from result.json, fetched into the spool as SPOOL_RESULT
 * (one SFTP round trip per step: lstat, open, fstat, read, close).
 */
static int
collect_claimed(struct remote *r, const char *path, int dfd,
    const char *finished, size_t finished_len, struct result *claimed,
    struct error *e)
{
	char rpath[700], *text = NULL;
	uint64_t bytes;
	json_t *root = NULL;
	size_t len;
	int rc = -1;

	if (collect_from_event(finished, finished_len, claimed) == 0)
		return 0;
	snprintf(rpath, sizeof(rpath), "%s/" AGENTPROTO_RESULT, path);
	if (remote_sftp_get(r, rpath, dfd, SPOOL_RESULT, RESULT_MAX_BYTES,
		&bytes, e) == -1)
		goto out;
	if (util_read_file_at(dfd, SPOOL_RESULT, RESULT_MAX_BYTES, &text, &len,
		e) == -1)
		goto out;
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL) {
		error_set(e, ERR_INVALID, "result.json is not JSON");
		goto out;
	}
	if (result_from_json(root, claimed, e) == -1) {
		error_wrap(e, "malformed result.json");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	free(text);
	return rc;
}

/* Fetch a finished job's result and outputs into the spool. */
int
collect_job(struct remote *r, const struct spool *sp,
    const struct settings *set, int64_t id, const char *path,
    const char *finished, size_t finished_len, struct result *out,
    struct error *e)
{
	char tmp[640], rpath[700];
	struct result res, claimed;
	int dfd = -1, filesfd = -1, rc = -1;

	result_init(&res);
	result_init(&claimed);
	if (spool_results_begin(sp, id, tmp, sizeof(tmp), e) == -1)
		return -1;
	if ((dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		error_set(e, ERR_IO, "cannot open '%s': %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (collect_claimed(r, path, dfd, finished, finished_len, &claimed,
		e) == -1)
		goto out;
	if (collect_output(r, set, dfd, path, AGENTPROTO_STDOUT, SPOOL_STDOUT,
		claimed.stdout_bytes, e) == -1 ||
	    collect_output(r, set, dfd, path, AGENTPROTO_STDERR, SPOOL_STDERR,
		claimed.stderr_bytes, e) == -1)
		goto out;
	if (claimed.has_compile &&
	    (collect_output(r, set, dfd, path, AGENTPROTO_COMPILE_STDOUT,
		 SPOOL_COMPILE_STDOUT, claimed.compile.stdout_bytes, e) == -1 ||
		collect_output(r, set, dfd, path, AGENTPROTO_COMPILE_STDERR,
		    SPOOL_COMPILE_STDERR, claimed.compile.stderr_bytes,
		    e) == -1))
		goto out;
	/* Keep the node's account of the run, but list the out files from
	   what really came back, not from what the node claims. */
	res = claimed;
	res.out_files = NULL; /* claimed keeps (and frees) its own list */
	res.n_out_files = 0;
	if (mkdirat(dfd, SPOOL_FILES, 0755) == -1 ||
	    (filesfd = openat(dfd, SPOOL_FILES,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		error_set(e, ERR_IO, "cannot create files/: %s",
		    strerror(errno));
		goto out;
	}
	/* A node that says its job left no file in out/ is not asked for the
	   listing (four SFTP round trips fewer for most jobs): as with an
	   empty stream, trusting that can only lose the node's own files
	   (and empty directories, which the result does not list). */
	snprintf(rpath, sizeof(rpath), "%s/" AGENTPROTO_OUT, path);
	if (((claimed.n_out_files > 0 || claimed.out_files_truncated) &&
		collect_tree(r, set, rpath, filesfd, "", 0, &res, e) == -1) ||
	    collect_judge(sp, set, id, dfd, &res, e) == -1)
		goto out;
	/* What the spool keeps is the checked result, re-encoded: nothing
	   of the node's own file is passed on. */
	if (spool_result_put(dfd, &res, e) == -1 ||
	    spool_results_commit(sp, id, e) == -1)
		goto out;
	*out = res;
	res.out_files = NULL;
	res.n_out_files = 0;
	rc = 0;
out:
	if (filesfd != -1)
		close(filesfd);
	if (dfd != -1)
		close(dfd);
	result_release(&res);
	result_release(&claimed);
	return rc;
}
