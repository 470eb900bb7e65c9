/* Caller-owned error records: see error.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* Clear an error record. */
void
error_init(struct error *e)
{
	e->code = ERR_NONE;
	e->field[0] = '\0';
	e->msg[0] = '\0';
}

/* Fill e with a code and a formatted message. */
int
error_set(struct error *e, enum error_code code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	e->field[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Fill e with a code, the field at fault and a formatted message. */
int
error_set_field(struct error *e, enum error_code code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Put a formatted context in front of the message already in e. */
int
error_wrap(struct error *e, const char *fmt, ...)
{
	char prefix[256], old[sizeof(e->msg)];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
	return -1;
}

/* A short, stable name for an error code. */
const char *
error_code_name(enum error_code code)
{
	switch (code) {
	case ERR_NONE:
		return "none";
	case ERR_USAGE:
		return "usage";
	case ERR_INVALID:
		return "invalid";
	case ERR_REFUSED:
		return "refused";
	case ERR_STATE:
		return "state";
	case ERR_BUSY:
		return "busy";
	case ERR_NOTFOUND:
		return "not_found";
	case ERR_IO:
		return "io";
	case ERR_SYS:
		return "system";
	case ERR_NOMEM:
		return "no_memory";
	case ERR_INTERNAL:
		return "internal";
	}
	return "unknown";
}
