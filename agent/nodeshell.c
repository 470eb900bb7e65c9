/*
 * sluice-node-shell: the forced command of a node's SSH account.  sshd runs
 * it for every session of the dispatcher's key (ForceCommand, or command=
 * in authorized_keys) with the client's command in SSH_ORIGINAL_COMMAND.
 * It lets through only what the dispatcher sends: one of the agent's verbs
 * on job directories directly under the jobs directory, a session of them
 * (serve, whose requests the agent checks itself), or the SFTP subsystem; it runs the agent command it was given for them, and nothing
 * the client chose beyond the checked verb and paths.  It runs as the
 * account and needs no privilege.
 *
 *   sluice-node-shell --jobs /var/lib/sluice/jobs -- \
 *       /usr/bin/sudo -n /usr/local/sbin/sluice-agent
 *
 * The dispatcher quotes every word in single quotes (dispatcher/remote.c,
 * remote_quote()); bare words of safe characters are accepted too, for an
 * operator typing `ssh node sluice-agent info`.  Exit status 2 with a JSON
 * error on stdout, as the agent's own refusals, for anything else.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODESHELL_COMMAND_MAX 65536
#define NODESHELL_WORDS_MAX 1003 /* sluice-agent clean and 1000 dirs */
#define NODESHELL_AGENT_MAX 32
#define NODESHELL_NAME_MAX 255

/* Refuse: one JSON line on stdout (as the agent's errors), status 2. */
static void
nodeshell_refuse(const char *why)
{
	const char *c;

	printf("{\"error\":\"sluice-node-shell: ");
	for (c = why; *c != '\0'; c++)
		if (*c >= 0x20 && *c != '"' && *c != '\\' && *c < 0x7f)
			putchar(*c);
	printf("\",\"code\":\"refused\"}\n");
	fflush(stdout);
	fprintf(stderr, "sluice-node-shell: %s\n", why);
	exit(2);
}

/* Whether c may stand in a bare (unquoted) word. */
static bool
nodeshell_bare(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '_' ||
	    c == '-' || c == '+';
}

/*
 * Split cmd (modified in place) into words: 'single quoted' (with '\''
 * for a quote, as remote_quote() writes it) or bare words of safe
 * characters, separated by single blanks.  Anything else is refused.
 */
static size_t
nodeshell_split(char *cmd, char **words, size_t max)
{
	char *r = cmd, *w;
	size_t n = 0;

	while (*r != '\0') {
		if (n == max)
			nodeshell_refuse("too many words");
		words[n++] = w = r;
		while (*r != '\0' && *r != ' ') {
			if (*r == '\'') {
				for (r++; *r != '\'' && *r != '\0'; r++)
					*w++ = *r;
				if (*r == '\0')
					nodeshell_refuse("an unclosed quote");
				r++;
			} else if (r[0] == '\\' && r[1] == '\'') {
				*w++ = '\'';
				r += 2;
			} else if (nodeshell_bare(*r))
				*w++ = *r++;
			else
				nodeshell_refuse("a character that is not "
						 "allowed outside quotes");
		}
		if (*r == ' ') {
			r++;
			if (*r == ' ' || *r == '\0')
				nodeshell_refuse("a stray blank");
		}
		*w = '\0';
	}
	return n;
}

/* Whether path is <jobs>/<name>, name a job directory's name. */
static bool
nodeshell_jobdir(const char *jobs, const char *path)
{
	size_t n = strlen(jobs), i;
	const char *name;

	if (strncmp(path, jobs, n) != 0 || path[n] != '/')
		return false;
	name = path + n + 1;
	if (name[0] == '\0' || name[0] == '.' ||
	    strlen(name) > NODESHELL_NAME_MAX)
		return false;
	for (i = 0; name[i] != '\0'; i++)
		if (!nodeshell_bare(name[i]) || name[i] == '/')
			return false;
	return true;
}

/* The last component of path. */
static const char *
nodeshell_base(const char *path)
{
	const char *base = strrchr(path, '/');

	return base != NULL ? base + 1 : path;
}

int
main(int argc, char **argv)
{
	static const char *const verbs[] = { "run", "wait", "status", "cancel",
		"clean", "info", "serve" };
	char *words[NODESHELL_WORDS_MAX], *cmd,
	    *out[NODESHELL_AGENT_MAX + NODESHELL_WORDS_MAX];
	const char *jobs = NULL, *orig;
	size_t n, i, k, nagent, nout = 0;
	int a;

	for (a = 1; a < argc && strcmp(argv[a], "--") != 0; a++) {
		if (strcmp(argv[a], "--jobs") == 0 && a + 1 < argc)
			jobs = argv[++a];
		else
			nodeshell_refuse("usage: sluice-node-shell --jobs DIR "
					 "-- AGENT-COMMAND...");
	}
	if (jobs == NULL || jobs[0] != '/' || a + 1 >= argc ||
	    argv[a + 1][0] != '/' || argc - a - 1 > NODESHELL_AGENT_MAX)
		nodeshell_refuse("usage: sluice-node-shell --jobs DIR -- "
				 "AGENT-COMMAND... (absolute paths)");
	nagent = (size_t)(argc - a - 1);
	if ((orig = getenv("SSH_ORIGINAL_COMMAND")) == NULL)
		nodeshell_refuse("this key runs sluice-agent verbs only; "
				 "no shell");
	if (strlen(orig) > NODESHELL_COMMAND_MAX ||
	    (cmd = strdup(orig)) == NULL)
		nodeshell_refuse("the command is too long");
	n = nodeshell_split(cmd, words, NODESHELL_WORDS_MAX);
	for (i = 0; i < nagent; i++)
		out[nout++] = argv[a + 1 + i];
	/* sshd's command for the SFTP subsystem. */
	if (n == 1 &&
	    (strcmp(words[0], "internal-sftp") == 0 ||
		strcmp(nodeshell_base(words[0]), "sftp-server") == 0)) {
		out[nout++] = (char *)"sftp";
		out[nout] = NULL;
		execv(out[0], out);
		nodeshell_refuse("cannot run the agent");
	}
	if (n < 2)
		nodeshell_refuse("not a sluice-agent command");
	if (strcmp(nodeshell_base(words[0]), "sluice-agent") != 0)
		nodeshell_refuse("not a sluice-agent command");
	for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
		if (strcmp(words[1], verbs[k]) == 0)
			break;
	if (k == sizeof(verbs) / sizeof(verbs[0]))
		nodeshell_refuse("not one of the agent's verbs (options such "
				 "as --config are refused)");
	if (strcmp(words[1], "info") == 0 || strcmp(words[1], "serve") == 0
		? n != 2
		: strcmp(words[1], "clean") == 0 ? n < 3
						 : n != 3)
		nodeshell_refuse("wrong number of job directories");
	for (i = 2; i < n; i++)
		if (!nodeshell_jobdir(jobs, words[i]))
			nodeshell_refuse("a job directory must lie directly "
					 "under the jobs directory");
	for (i = 1; i < n; i++)
		out[nout++] = words[i];
	out[nout] = NULL;
	execv(out[0], out);
	nodeshell_refuse("cannot run the agent");
	return 2;
}
