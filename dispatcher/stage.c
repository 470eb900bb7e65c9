/* Staging a job on its node: see stage.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "manifest.h"
#include "stage.h"
#include "util.h"

#define STAGE_TREE_DEPTH 16

/* Upload one spool directory level (files and subdirectories). */
static int
stage_put_tree(struct remote *r, int dirfd, const char *rpath, int depth,
    uint64_t max_bytes, struct error *e)
{
	char child[1536], *data;
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *d;
	int fd, sub, rc = 0;

	if (depth > STAGE_TREE_DEPTH)
		return error_set(e, ERR_INVALID, "submission nested too deep");
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		-1 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return error_set(e, ERR_IO, "cannot read the spool: %s",
		    strerror(errno));
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", rpath, de->d_name);
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1) {
			rc = error_set(e, ERR_IO, "cannot stat spool file: %s",
			    strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd, de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1)
				rc = error_set(e, ERR_IO,
				    "cannot open spool directory: %s",
				    strerror(errno));
			else {
				rc = remote_sftp_mkdir(r, child, 0755, e);
				if (rc == 0)
					rc = stage_put_tree(r, sub, child,
					    depth + 1, max_bytes, e);
				close(sub);
			}
		} else if (S_ISREG(st.st_mode)) {
			rc = util_read_file_at(dirfd, de->d_name,
			    (size_t)max_bytes, &data, &len, e);
			if (rc == 0) {
				rc = remote_sftp_put(r, child, data, len, 0644,
				    e);
				free(data);
			}
		}
	}
	closedir(d);
	return rc;
}

/* Upload a job's spool in/ to its directory at path. */
static int
stage_files(struct remote *r, const struct spool *sp, uint64_t max_bytes,
    int64_t id, const char *path, struct error *e)
{
	char sub[700], *data;
	size_t len;
	int filesfd, rc;

	if (spool_read_input(sp, id, SPOOL_MANIFEST, MANIFEST_MAX_BYTES, &data,
		&len, e) == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%s/" AGENTPROTO_MANIFEST, path);
	rc = remote_sftp_put(r, sub, data, len, 0644, e);
	free(data);
	if (rc == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%s/" AGENTPROTO_FILES, path);
	if (remote_sftp_mkdir(r, sub, 0755, e) == -1)
		return -1;
	if (spool_open_files(sp, id, &filesfd, e) == -1)
		return error_set(e, ERR_IO, "spool of job %lld has no files",
		    (long long)id);
	rc = stage_put_tree(r, filesfd, sub, 0, max_bytes, e);
	close(filesfd);
	if (rc == -1)
		return -1;
	if (spool_read_input(sp, id, SPOOL_STDIN, (size_t)max_bytes, &data,
		&len, e) == 0) {
		snprintf(sub, sizeof(sub), "%s/" AGENTPROTO_STDIN, path);
		rc = remote_sftp_put(r, sub, data, len, 0644, e);
		free(data);
		if (rc == -1)
			return -1;
	} else if (e->code != ERR_NOTFOUND)
		return -1;
	return 0;
}

/* Upload a job's spool in/ to its directory at path and start the agent. */
static int
stage_upload(struct agentproto *ap, struct remote *r, const struct spool *sp,
    uint64_t max_bytes, int64_t id, const char *path,
    struct remote_channel **proc, struct error *e)
{
	if (stage_files(r, sp, max_bytes, id, path, e) == -1)
		return -1;
	return agentproto_start(ap, r, path, false, proc, e);
}

/* Stage an attempt without starting it. */
int
stage_put(struct agentproto *ap, struct remote *r, const struct spool *sp,
    uint64_t max_bytes, int64_t id, const char *path, struct error *e)
{
	if (remote_sftp_mkdir(r, path, 0755, e) == -1) {
		if (e->code != ERR_STATE ||
		    agentproto_clean_now(ap, r, path, e) == -1 ||
		    remote_sftp_mkdir(r, path, 0755, e) == -1)
			return -1;
	}
	return stage_files(r, sp, max_bytes, id, path, e);
}

/* Stage an attempt in a new directory, or recover one that exists. */
int
stage_start(struct agentproto *ap, struct remote *r, const struct spool *sp,
    uint64_t max_bytes, int64_t id, const char *path,
    struct remote_channel **proc, struct error *e)
{
	int64_t t0 = util_now_ms();

	if (remote_sftp_mkdir(r, path, 0755, e) == -1) {
		if (e->code != ERR_STATE)
			return -1;
		return stage_recover(ap, r, sp, max_bytes, id, path, proc, e);
	}
	if (stage_upload(ap, r, sp, max_bytes, id, path, proc, e) == -1)
		return -1;
	log_debug("%s: job %lld staged and started in %lld ms", ap->conf->name,
	    (long long)id, (long long)(util_now_ms() - t0));
	return 0;
}

/* Find out how far an attempt got on the node and go on from there. */
int
stage_recover(struct agentproto *ap, struct remote *r, const struct spool *sp,
    uint64_t max_bytes, int64_t id, const char *path,
    struct remote_channel **proc, struct error *e)
{
	enum agentproto_state st;

	if (agentproto_status(ap, r, path, &st, e) == -1)
		return -1;
	switch (st) {
	case AGENTPROTO_ABSENT:
		/* Stage it afresh. */
		break;
	case AGENTPROTO_STAGED:
		/* A partial upload: remove it and start over. */
		if (agentproto_clean_now(ap, r, path, e) == -1)
			return -1;
		break;
	case AGENTPROTO_STARTED:
		return agentproto_start(ap, r, path, true, proc, e);
	}
	if (remote_sftp_mkdir(r, path, 0755, e) == -1)
		return -1;
	return stage_upload(ap, r, sp, max_bytes, id, path, proc, e);
}
