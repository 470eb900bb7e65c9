/*
 * Unit tests for dispatcher/agentproto.c's parsers of what an agent says:
 * its info and the event lines of run and wait, both untrusted.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "agentproto.h"

#define LIMITS_JSON \
	"{\"cpu_seconds\": 5, \"wall_seconds\": 10, " \
	"\"memory_bytes\": 268435456, \"processes\": 16, " \
	"\"output_bytes\": 1048576, \"disk_bytes\": 16777216, " \
	"\"open_files\": 64}"

/* An info with what the agent sends, and one field replaced. */
static int
parse_with(const char *field, const char *value, struct agentproto_info *out,
    struct error *e)
{
	const char *fields[][2] = { { "agent_version", "\"0.1\"" },
		{ "base_dir", "\"/var/lib/sluice\"" }, { "slots", "2" },
		{ "slots_busy", "1" }, { "cgroup", "\"v2\"" },
		{ "defaults", LIMITS_JSON }, { "ceilings", LIMITS_JSON },
		{ "runtimes",
		    "[{\"name\": \"python3\", \"version\": \"Python 3.11\"},"
		    " {\"name\": \"sh\", \"version\": null}]" } };
	char text[4096];
	size_t i, n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "{");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "%s\"%s\": %s", i > 0 ? ", " : "", fields[i][0],
		    field != NULL && strcmp(field, fields[i][0]) == 0
			? value
			: fields[i][1]);
	snprintf(text + n, sizeof(text) - n, "}");
	return agentproto_info_parse(text, strlen(text), out, e);
}

/* What a well-formed agent says is taken as it is. */
static void
agentproto_info_parse__agent_info__fields_set(void **state)
{
	struct agentproto_info info;
	struct error e;

	assert_int_equal(parse_with(NULL, NULL, &info, &e), 0);
	assert_string_equal(info.base_dir, "/var/lib/sluice");
	assert_int_equal(info.slots, 2);
	assert_int_equal(info.slots_busy, 1);
	assert_int_equal(info.nruntimes, 2);
	assert_string_equal(info.runtimes[0], "python3");
	assert_string_equal(info.versions[0], "Python 3.11");
	assert_string_equal(info.versions[1], "");
	assert_true(info.ceilings.memory_bytes == 268435456);
}

/* A lying or broken agent is refused, and nothing of it is kept. */
static void
agentproto_info_parse__bad_fields__refused(void **state)
{
	static const char *bad[][2] = { { "base_dir", "\"relative\"" },
		{ "base_dir", "\"/a/../etc\"" }, { "slots", "0" },
		{ "slots", "1025" }, { "slots", "\"2\"" },
		{ "slots_busy", "3" }, { "slots_busy", "-1" },
		{ "slots_busy", "\"1\"" }, { "agent_version", "\"0.1\\n\"" },
		{ "defaults", "{\"cpu_seconds\": 5}" },
		{ "runtimes", "[{\"name\": \"py thon\"}]" },
		{ "runtimes", "{}" } };
	struct agentproto_info info;
	struct error e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&info, 0x5a, sizeof(info));
		assert_int_equal(parse_with(bad[i][0], bad[i][1], &info, &e),
		    -1);
		assert_int_equal(e.code, ERR_INVALID);
		assert_int_equal(info.slots, 0x5a5a5a5a);
	}
	assert_int_equal(agentproto_info_parse("[]", 2, &info, &e), -1);
}

/* A runtime whose check failed is not offered; it is listed with why. */
static void
agentproto_info_parse__failed_check__not_offered(void **state)
{
	struct agentproto_info info;
	struct error e;

	(void)state;
	assert_int_equal(parse_with("runtimes",
			     "[{\"name\": \"a\", \"version\": null, "
			     "\"check\": \"failed\", \"check_error\": \"no\"},"
			     " {\"name\": \"b\", \"version\": \"1\", "
			     "\"compile\": true, \"check\": \"ok\"},"
			     " {\"name\": \"c\", \"version\": null, "
			     "\"check\": \"unchecked\"}]",
			     &info, &e),
	    0);
	assert_int_equal(info.nruntimes, 2);
	assert_string_equal(info.runtimes[0], "b");
	assert_string_equal(info.versions[0], "1");
	assert_true(info.compiled[0]);
	assert_string_equal(info.runtimes[1], "c");
	assert_false(info.compiled[1]);
	assert_int_equal(info.nfailing, 1);
	assert_string_equal(info.failing[0], "a");
	assert_string_equal(info.failing_errors[0], "no");
}

/* A check that says anything else is a malformed info. */
static void
agentproto_info_parse__bad_check__refused(void **state)
{
	static const char *bad[] = {
		"[{\"name\": \"a\", \"version\": null, \"check\": \"fine\"}]",
		"[{\"name\": \"a\", \"version\": null, \"check\": true}]",
		"[{\"name\": \"a\", \"version\": null, \"check\": \"failed\"}]",
		"[{\"name\": \"a\", \"version\": null, \"check\": \"failed\", "
		"\"check_error\": \"a\\nb\"}]",
		"[{\"name\": \"a\", \"version\": null, \"compile\": 1}]",
	};
	struct agentproto_info info;
	struct error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&info, 0x5a, sizeof(info));
		if (parse_with("runtimes", bad[i], &info, &e) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(info.slots, 0x5a5a5a5a);
	}
}

/* Event lines set what they say; anything else is ignored. */
static void
agentproto_event_line__events__recorded(void **state)
{
	static const char *lines[] = { "not json", "{\"event\": \"accepted\"}",
		"{\"event\": \"started\", \"at\": \"2024-01-02T03:04:05Z\"}",
		"{\"event\": \"started\", \"at\": \"2024-01-02; rm -rf\"}",
		"{\"error\": \"no such runtime\"}",
		"{\"event\": \"finished\"}" };
	struct agentproto_events ev;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < 3; i++)
		assert_int_equal(agentproto_event_line(lines[i],
				     strlen(lines[i]), &ev),
		    0);
	assert_true(ev.accepted);
	assert_false(ev.finished);
	assert_string_equal(ev.started_at, "2024-01-02T03:04:05Z");
	ev.started_at[0] = '\0';
	for (; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(agentproto_event_line(lines[i],
				     strlen(lines[i]), &ev),
		    0);
	assert_string_equal(ev.started_at, "");
	assert_string_equal(ev.error, "no such runtime");
	assert_true(ev.finished);
	/* The finished line is kept as sent, for collect_job(); only the
	   first one. */
	assert_non_null(ev.finished_line);
	assert_string_equal(ev.finished_line, "{\"event\": \"finished\"}");
	assert_int_equal(ev.finished_len, strlen(ev.finished_line));
	assert_int_equal(agentproto_event_line("{\"event\":\"finished\"}", 20,
			     &ev),
	    0);
	assert_string_equal(ev.finished_line, "{\"event\": \"finished\"}");
	agentproto_events_release(&ev);
	assert_null(ev.finished_line);
	assert_false(ev.finished);
}

/* An agent that refused its config: its message and setting, no JSON. */
static void
agentproto_info_error__agent_error__message_and_setting(void **state)
{
	const char *out = "{\"error\":\"'slots' must be an integer\","
			  "\"code\":\"invalid\",\"field\":\"slots\"}\n";
	struct error e;

	(void)state;
	error_init(&e);
	agentproto_info_error(2, out, strlen(out), &e);
	assert_string_equal(e.msg,
	    "agent info: 'slots' must be an integer (setting 'slots')");
	out = "{\"error\":\"no such file\",\"code\":\"io\"}\n";
	agentproto_info_error(1, out, strlen(out), &e);
	assert_string_equal(e.msg, "agent info: no such file");
}

/* Anything else: the text without its newline, cut at 200 bytes. */
static void
agentproto_info_error__other_text__trimmed(void **state)
{
	char big[400];
	struct error e;

	(void)state;
	error_init(&e);
	agentproto_info_error(127, "sh: sluice-agent: not found\r\n", 29, &e);
	assert_string_equal(e.msg,
	    "agent info exited with status 127: sh: sluice-agent: not found");
	agentproto_info_error(1, "{\"error\": 5}\n", 13, &e);
	assert_string_equal(e.msg,
	    "agent info exited with status 1: {\"error\": 5}");
	memset(big, 'x', sizeof(big));
	agentproto_info_error(1, big, sizeof(big), &e);
	assert_int_equal(strlen(e.msg),
	    strlen("agent info exited with status 1: ") + 200);
	agentproto_info_error(1, NULL, 0, &e);
	assert_string_equal(e.msg, "agent info exited with status 1: ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    agentproto_info_error__agent_error__message_and_setting),
		cmocka_unit_test(agentproto_info_error__other_text__trimmed),
		cmocka_unit_test(agentproto_info_parse__agent_info__fields_set),
		cmocka_unit_test(
		    agentproto_info_parse__failed_check__not_offered),
		cmocka_unit_test(agentproto_info_parse__bad_check__refused),
		cmocka_unit_test(agentproto_info_parse__bad_fields__refused),
		cmocka_unit_test(agentproto_event_line__events__recorded),
	};

	return cmocka_run_group_tests_name("agentproto", tests, NULL, NULL);
}
