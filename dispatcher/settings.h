/*
 * sluice.conf: the dispatcher's configuration (INTERFACES.md section 4).
 * Loaded once at start-up; everything here is checked before the daemon
 * binds its port, so a typo stops it with a message instead of running
 * with a default.
 */
#ifndef SLUICE_DISPATCHER_SETTINGS_H
#define SLUICE_DISPATCHER_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callback.h"
#include "error.h"
#include "request.h"

#define SETTINGS_DEFAULT_PATH SYSCONFDIR "/sluice/sluice.conf"
#define SETTINGS_NAME_MAX 64

enum settings_role {
	ROLE_SUBMIT,
	ROLE_ADMIN
};

/* A listen's address, as written (IPv6's without its brackets). */
#define SETTINGS_HOST_MAX 128
/* A listen as settings_listen_str() writes it: "[address]:port". */
#define SETTINGS_LISTEN_STR_MAX (SETTINGS_HOST_MAX + 8)

struct settings_token {
	char name[SETTINGS_NAME_MAX]; /* the tenant */
	unsigned char sha256[32];
	enum settings_role role;
	int64_t max_pending; /* queued jobs at most; -1: no quota */
	int64_t max_running; /* placed jobs at most; -1: no quota */
	/* The key of the tenant's callbacks' signatures ("": the tenant's
	   jobs may not have callbacks), and the callback of its jobs that
	   name none ("": none). */
	char callback_secret[CALLBACK_SECRET_MAX + 1];
	char callback_url[CALLBACK_URL_MAX + 1];
	bool path_token; /* may be given in the path (/t/TOKEN/...) to the
			    Piston and Judge0 APIs; role submit only */
	/* An address of the tenant's own (listen_port 0: none): the API
	   listens there too, and a request there that gives no token is
	   this token's, for the Piston and Judge0 APIs; role submit only. */
	char listen_host[SETTINGS_HOST_MAX];
	unsigned listen_port;
};

#define SETTINGS_LANGUAGES_MAX 64
#define SETTINGS_ALIASES_MAX 16
#define SETTINGS_LANG_NAME_MAX 32 /* bytes of a Piston name or alias */
#define SETTINGS_JUDGE0_NAME_MAX 96 /* bytes of a Judge0 name template */

/*
 * One language of the Piston and Judge0 APIs (sluice.conf's languages):
 * the runtime it runs in, and how each API names it.  langmap.h reads it.
 */
struct settings_language {
	char runtime[MANIFEST_RUNTIME_MAX + 1];
	char piston[SETTINGS_LANG_NAME_MAX + 1]; /* Piston's language; "":
						    not in the Piston API */
	char aliases[SETTINGS_ALIASES_MAX][SETTINGS_LANG_NAME_MAX + 1];
	size_t naliases;
	int judge0_id; /* Judge0's language_id; 0: not in the Judge0 API */
	char judge0_name[SETTINGS_JUDGE0_NAME_MAX + 1]; /* "{version}" is
							   the runtime's */
	char source_file[SETTINGS_NAME_MAX]; /* the one file's name */
	bool compile; /* the runtime has a compile stage: compile limits
			 are sent */
};

enum settings_node_kind {
	NODE_KIND_AGENT, /* a pool node: the agent runs the jobs there */
	NODE_KIND_SLURM /* a cluster's login node: jobs go through sbatch */
};

/*
 * A SLURM node's settings (its "slurm" group; docs/slurm.md): what sbatch
 * is given besides the job's own limits, and how the cluster is followed.
 */
#define SETTINGS_SLURM_OPTIONS_MAX 32
#define SETTINGS_SLURM_WORD_MAX 128
struct settings_slurm {
	char partition[SETTINGS_NAME_MAX]; /* "": not given to sbatch */
	char account[SETTINGS_NAME_MAX];
	char qos[SETTINGS_NAME_MAX];
	char **options; /* more sbatch options, one word each ("--x=y") */
	size_t noptions;
	unsigned max_jobs; /* in the cluster at once: the node's slots */
	double time_margin_seconds; /* added to --time */
	uint64_t memory_margin_bytes; /* added to --mem */
	double poll_seconds; /* squeue every so often */
	char bin_dir[512]; /* sbatch, squeue, scancel, sacct; "": PATH */
};

struct settings_node {
	char name[SETTINGS_NAME_MAX];
	enum settings_node_kind kind;
	struct settings_slurm slurm; /* kind NODE_KIND_SLURM only */
	char host[256];
	unsigned port;
	char user[SETTINGS_NAME_MAX];
	char identity[512];
	char known_hosts[512];
	char **agent; /* argv of the agent command on the node */
	size_t nagent;
	char **labels;
	size_t nlabels;
};

struct settings {
	char listen_host[SETTINGS_HOST_MAX];
	unsigned listen_port;
	char state_dir[400];
	unsigned max_attempts; /* tries before NODE_FAIL */
	struct settings_token *tokens;
	/* Callbacks (callback.h): where they may go, how long a delivery is
	   tried for, one attempt's time, and deliveries at once. */
	struct callback_policy callback;
	double callback_retry_seconds;
	double callback_timeout_seconds;
	size_t callback_max_concurrent;
	char callback_ca_file[512]; /* CAs for https callbacks; "": the
				       system's */
	size_t ntokens;
	char ui_dir[512]; /* the dashboard's files (ui.h); "": none */
	bool ui_dir_given; /* false: UIDIR, the default, which may be absent */
	struct settings_node *nodes;
	size_t nnodes;
	double connect_timeout_seconds; /* TCP and SSH handshake */
	double io_timeout_seconds; /* one blocking SSH/SFTP call; the
					   watchdog breaks longer ones */
	double keepalive_seconds; /* keepalive interval */
	double dead_after_seconds; /* no packet for this long: DOWN */
	double reconnect_min_seconds; /* back-off, doubled per failure */
	double reconnect_max_seconds;
	uint64_t max_body_bytes; /* HTTP request bodies */
	int64_t max_pending_total; /* queued jobs of all tenants */
	size_t max_batch_jobs; /* submissions in one POST /v1/jobs/batch */
	double wait_max_seconds; /* longest long poll */
	size_t max_connections; /* API clients at once (conns.h) */
	double header_timeout_seconds; /* to send a request's headers */
	double idle_timeout_seconds; /* a connection with nothing going on */
	uint64_t min_free_bytes; /* under state_dir, below which 507 */
	double attempt_margin_seconds; /* over the wall limit, per attempt */
	uint64_t max_result_file_bytes; /* one file fetched from a node */
	unsigned max_out_files; /* files fetched from a job's out/ */
	char **cors_origins; /* origins whose pages may call the API ("*":
				any); none by default */
	size_t ncors_origins;
	bool access_log; /* a log line per API request (access.h) */
	struct request_caps caps;
	struct settings_language *languages; /* the default map unless the
						file has "languages" */
	size_t nlanguages;
	/* How long ended jobs are kept, by final state (index enum
	   job_state): removed once older than max_age_seconds (0: kept
	   whatever their age), and the oldest beyond max_jobs (0: no cap). */
	struct {
		double max_age_seconds;
		int64_t max_jobs;
	} retention[9];
};

/* Load and check the file.  s is filled only on success. */
int settings_load(const char *path, struct settings *s, struct error *e);

/* Free what s owns. */
void settings_release(struct settings *s);

/* The token whose SHA-256 is digest, or NULL. */
const struct settings_token *
settings_token_find(const struct settings *s, const unsigned char digest[32]);

/*
 * Whether o may be one of a slurm node's extra sbatch options: "--name" or
 * "--name=value", one printable word without shell characters, and not an
 * option sluice sets itself (--time, --mem, --job-name, ...).
 */
bool settings_slurm_option_ok(const char *o);

/*
 * A listen's address and port as a user writes them, into buf (of size
 * SETTINGS_LISTEN_STR_MAX): "127.0.0.1:8750", and an IPv6 address in
 * brackets, "[::1]:8750", so that its last colon is not read as the
 * port's.  Returns buf.
 */
const char *settings_listen_str(const char *host, unsigned port, char *buf);

/* The node called name, or NULL. */
const struct settings_node *
settings_node_find(const struct settings *s, const char *name);

#endif
