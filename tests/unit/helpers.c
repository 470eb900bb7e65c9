/* Fixture helpers shared by the unit tests: see helpers.h. */
#include "config.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

int
helpers_mkdtemp(char *buf, size_t len, const char *name)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	n = snprintf(buf, len, "%s/sluice-test-%s.XXXXXX", base, name);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return mkdtemp(buf) == NULL ? -1 : 0;
}

/* Remove one entry of a tree (nftw callback). */
static int
helpers_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void
helpers_rmtree(const char *path)
{
	nftw(path, helpers_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
helpers_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}
