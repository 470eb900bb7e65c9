/*
 * Unit tests for the CLI's client side: dispatcher/client.c (URLs, CA files
 * and sockets, response heads, requests through libcurl over a real socket
 * to a forked canned server) and
 * the pure parts of dispatcher/cli.c (sizes, states, times, exit
 * statuses, rows and tables).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "client.h"
#include "error.h"

/* --- URLs ------------------------------------------------------------ */

static void
client_url_parse__good__taken_apart(void **state)
{
	struct client_url u;
	struct error e;

	(void)state;
	assert_int_equal(client_url_parse("http://127.0.0.1:8750", &u, &e), 0);
	assert_string_equal(u.scheme, "http");
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "8750");
	assert_string_equal(u.prefix, "");
	assert_string_equal(u.origin, "http://127.0.0.1:8750");
	assert_int_equal(client_url_parse("HTTP://example.org/", &u, &e), 0);
	assert_string_equal(u.scheme, "http");
	assert_string_equal(u.host, "example.org");
	assert_string_equal(u.port, "80");
	assert_string_equal(u.prefix, "");
	assert_int_equal(client_url_parse("https://Example.ORG", &u, &e), 0);
	assert_string_equal(u.scheme, "https");
	assert_string_equal(u.port, "443");
	assert_string_equal(u.origin, "https://Example.ORG:443");
	assert_int_equal(client_url_parse("http://[::1]:9/sluice/api//", &u,
			     &e),
	    0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "9");
	assert_string_equal(u.prefix, "/sluice/api");
	assert_string_equal(u.origin, "http://[::1]:9");
	assert_int_equal(client_url_parse("http://h-1.b_c:65535", &u, &e), 0);
	assert_string_equal(u.port, "65535");
	/* An empty port is the scheme's, as libcurl reads it. */
	assert_int_equal(client_url_parse("https://h:/x/", &u, &e), 0);
	assert_string_equal(u.port, "443");
	assert_string_equal(u.prefix, "/x");
}

static void
client_url_parse__bad__refused_and_u_untouched(void **state)
{
	static const char *bad[] = {
		"",
		"127.0.0.1:8750",
		"ftp://h",
		"file:///etc/passwd",
		"gopher://h",
		"http://",
		"https://",
		"http://:8750",
		"http://h:0",
		"http://h:65536",
		"http://h:123456",
		"http://h:80x",
		"http://h:-1",
		"http://user:pw@h",
		"https://user@h",
		"http://h/?q=1",
		"http://h?",
		"http://h/#f",
		"http://h#",
		"http://h /",
		"http://h\r\nX: y",
		"http://h\x7f",
		"http://[::1",
		"http://[]:80",
		"http://[::1]x",
		"http://[g::1]",
		"http://h%20",
	};
	struct client_url u;
	struct error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&u, 'x', sizeof(u));
		error_init(&e);
		if (client_url_parse(bad[i], &u, &e) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(e.code, ERR_USAGE);
		assert_int_equal(u.host[0], 'x');
	}
}

static void
client_init__token__checked(void **state)
{
	char big[CLIENT_TOKEN_MAX + 2];
	struct client c;
	struct error e;

	(void)state;
	assert_int_equal(client_init(&c, "http://h:1", "abc.DEF-123", &e), 0);
	assert_string_equal(c.token, "abc.DEF-123");
	assert_string_equal(c.ca_file, "");
	assert_string_equal(c.unix_socket, "");
	assert_int_equal(client_init(&c, "http://h:1", NULL, &e), 0);
	assert_string_equal(c.token, "");
	assert_int_equal(client_init(&c, "http://h:1", "a b", &e), -1);
	assert_int_equal(client_init(&c, "http://h:1", "a\r\nX: y", &e), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(client_init(&c, "http://h:1", big, &e), -1);
	big[sizeof(big) - 2] = '\0';
	assert_int_equal(client_init(&c, "http://h:1", big, &e), 0);
}

/* Write text to path. */
static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void
client_set_ca_file__files__checked(void **state)
{
	char dir[] = "/tmp/sluice-test-client.XXXXXX", path[256];
	struct client c;
	struct error e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(client_init(&c, "https://h", NULL, &e), 0);
	/* Cannot be read: ERR_IO (the CLI's 66). */
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	error_init(&e);
	assert_int_equal(client_set_ca_file(&c, path, &e), -1);
	assert_int_equal(e.code, ERR_IO);
	assert_non_null(strstr(e.msg, path));
	/* Not a certificate, or not a file: ERR_INVALID (65). */
	snprintf(path, sizeof(path), "%s/text.pem", dir);
	write_file(path, "root:x:0:0:root:/root:/bin/bash\n");
	error_init(&e);
	assert_int_equal(client_set_ca_file(&c, path, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	error_init(&e);
	assert_int_equal(client_set_ca_file(&c, dir, &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	error_init(&e);
	assert_int_equal(client_set_ca_file(&c, "", &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	assert_string_equal(c.ca_file, "");
	/* A PEM certificate (libcurl judges its contents when it is used). */
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	write_file(path,
	    "# my CA\n-----BEGIN CERTIFICATE-----\nMIIB\n"
	    "-----END CERTIFICATE-----\n");
	assert_int_equal(client_set_ca_file(&c, path, &e), 0);
	assert_string_equal(c.ca_file, path);
	unlink(path);
	snprintf(path, sizeof(path), "%s/text.pem", dir);
	unlink(path);
	rmdir(dir);
}

static void
client_set_unix_socket__paths__checked(void **state)
{
	char big[CLIENT_SOCKET_MAX + 2];
	struct client c;
	struct error e;

	(void)state;
	assert_int_equal(client_init(&c, "http://h", NULL, &e), 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(client_set_unix_socket(&c, big, &e), -1);
	assert_int_equal(e.code, ERR_USAGE);
	assert_int_equal(client_set_unix_socket(&c, "", &e), -1);
	assert_string_equal(c.unix_socket, "");
	big[sizeof(big) - 2] = '\0';
	assert_int_equal(client_set_unix_socket(&c, big, &e), 0);
	assert_string_equal(c.unix_socket, big);
}

static void
client_escape__reserved__percent_encoded(void **state)
{
	char out[64] = "/v1/x/";

	(void)state;
	assert_int_equal(client_escape("sub/a b%.txt", true, out, sizeof(out)),
	    0);
	assert_string_equal(out, "/v1/x/sub/a%20b%25.txt");
	out[0] = '\0';
	assert_int_equal(client_escape("a/b?c#\xc3\xa9", false, out,
			     sizeof(out)),
	    0);
	assert_string_equal(out, "a%2Fb%3Fc%23%C3%A9");
	out[0] = '\0';
	assert_int_equal(client_escape("/a//b/", true, out, sizeof(out)), 0);
	assert_string_equal(out, "/a//b/");
	out[0] = '\0';
	assert_int_equal(client_escape("..", false, out, sizeof(out)), 0);
	assert_string_equal(out, "..");
	out[0] = '\0';
	assert_int_equal(client_escape("abc", false, out, 4), 0);
	out[0] = '\0';
	assert_int_equal(client_escape("abcd", false, out, 4), -1);
	out[0] = '\0';
	assert_int_equal(client_escape(" ", false, out, 3), -1);
	out[0] = '\0';
	assert_int_equal(client_escape("ab/", true, out, 3), -1);
}

/* --- Response heads ---------------------------------------------------- */

/* Feed each line of a head to client_header_parse(); its last result. */
static int
head(struct client_response *r, struct error *e, const char *const *lines)
{
	int rc = 0;

	client_response_release(r);
	error_init(e);
	for (; *lines != NULL && rc == 0; lines++)
		rc = client_header_parse(*lines, strlen(*lines), r, e);
	return rc;
}

static void
client_header_parse__status_and_headers__read(void **state)
{
	static const char *const h1[] = { "HTTP/1.1 429 Too Many Requests\r\n",
		"content-type:  application/json \r\n", "Retry-After: 5\r\n",
		"X-Other: \x01ignored\r\n", "Content-Length: 12\r\n", "\r\n",
		NULL };
	static const char *const h2[] = { "HTTP/2 404\r\n",
		"content-length: 0\r\n", "\r\n", NULL };
	static const char *const bare[] = { "HTTP/1.0 200\n",
		"Content-Type: text/plain\x01\n", "\n", NULL };
	struct client_response r;
	struct error e;

	(void)state;
	client_response_init(&r);
	assert_int_equal(head(&r, &e, h1), 0);
	assert_int_equal(r.status, 429);
	assert_string_equal(r.reason, "Too Many Requests");
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.retry_after, "5");
	assert_int_equal(r.content_length, 12);
	assert_int_equal(head(&r, &e, h2), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.reason, "");
	assert_int_equal(r.content_length, 0);
	assert_int_equal(head(&r, &e, bare), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.content_length, -1);
	/* Nothing unprintable is kept. */
	assert_string_equal(r.content_type, "text/plain?");
	client_response_release(&r);
}

static void
client_header_parse__new_status__starts_afresh(void **state)
{
	static const char *const lines[] = { "HTTP/1.1 100 Continue\r\n",
		"Content-Type: text/x-interim\r\n", "Retry-After: 9\r\n",
		"\r\n", "HTTP/1.1 201 Created\r\n", "Content-Length: 2\r\n",
		"\r\n", NULL };
	struct client_response r;
	struct error e;

	(void)state;
	client_response_init(&r);
	assert_int_equal(head(&r, &e, lines), 0);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.reason, "Created");
	assert_string_equal(r.content_type, "");
	assert_string_equal(r.retry_after, "");
	assert_int_equal(r.content_length, 2);
	client_response_release(&r);
}

static void
client_header_parse__malformed__refused(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.1 2000 OK\r\n",
		"HTTP/1.1 OK\r\n",
		"HTTP/1.1 600 Nope\r\n",
		"HTTP/1.1 20\r\n",
		"HTTP/1.1\r\n",
		"Content-Length: -1\r\n",
		"Content-Length: 1x\r\n",
		"Content-Length: \r\n",
		"Content-Length: 99999999999999999999\r\n",
	};
	struct client_response r;
	struct error e;
	size_t i;

	(void)state;
	client_response_init(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_init(&e);
		if (client_header_parse(bad[i], strlen(bad[i]), &r, &e) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(e.code, ERR_INVALID);
	}
	client_response_release(&r);
}

/* --- Requests over a socket -------------------------------------------- */

/*
 * A canned server: fork a child that accepts one connection on ls (then
 * closes ls: a second connection is refused), and answers nreq requests
 * on it, each once its head (and a body of Content-Length) is in, with
 * reply, or with the request itself after a reply head when echo is set.
 * With nreq 0, it sends reply at once, whatever comes.  Then it waits
 * linger_ms and closes.  Returns the child's pid.
 */
static pid_t
canned_serve(int ls, const char *reply, size_t reply_len, bool echo,
    int linger_ms, int nreq)
{
	char req[65536], hdr[128], *end;
	size_t len = 0, used;
	ssize_t n;
	long clen;
	pid_t pid;
	int fd, i;

	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0) {
		close(ls);
		return pid;
	}
	if ((fd = accept(ls, NULL, NULL)) == -1)
		_exit(1);
	close(ls);
	if (nreq == 0 && reply != NULL)
		(void)!write(fd, reply, reply_len);
	for (i = 0; i < nreq; i++) {
		for (;;) {
			req[len] = '\0';
			if ((end = strstr(req, "\r\n\r\n")) != NULL) {
				clen = 0;
				if (strcasestr(req, "Content-Length: ") != NULL)
					clen = atol(strcasestr(req,
							"Content-Length: ") +
					    16);
				used = (size_t)(end + 4 - req) + (size_t)clen;
				if (used <= len)
					break;
			}
			n = read(fd, req + len, sizeof(req) - 1 - len);
			if (n <= 0)
				_exit(0);
			len += (size_t)n;
		}
		if (echo) {
			snprintf(hdr, sizeof(hdr),
			    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
			    used);
			(void)!write(fd, hdr, strlen(hdr));
			(void)!write(fd, req, used);
		} else if (reply != NULL)
			(void)!write(fd, reply, reply_len);
		memmove(req, req + used, len - used);
		len -= used;
	}
	if (linger_ms > 0)
		usleep((useconds_t)linger_ms * 1000);
	close(fd);
	_exit(0);
}

/* A listening socket on 127.0.0.1 and the URL of it. */
static int
canned_listen(char *url, size_t url_size)
{
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	int ls;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(ls >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &slen), 0);
	snprintf(url, url_size, "http://127.0.0.1:%u", ntohs(sa.sin_port));
	return ls;
}

/* A canned server of one request on 127.0.0.1; returns the child's pid. */
static pid_t
canned_server(const char *reply, size_t reply_len, bool echo, int linger_ms,
    char *url, size_t url_size)
{
	return canned_serve(canned_listen(url, url_size), reply, reply_len,
	    echo, linger_ms, 1);
}

/* Reap the canned server. */
static void
canned_wait(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* Every test of requests starts and ends without a connection. */
static int
client_teardown(void **state)
{
	(void)state;
	client_cleanup();
	return 0;
}

static void
client_request__request__has_token_and_body(void **state)
{
	struct client_response r;
	struct client c;
	struct error e;
	char url[64];
	pid_t pid;

	(void)state;
	pid = canned_server(NULL, 0, true, 0, url, sizeof(url));
	assert_int_equal(client_init(&c, url, "tok-123", &e), 0);
	client_response_init(&r);
	assert_int_equal(client_request(&c, "POST", "/v1/jobs",
			     "application/json", "{\"a\":1}", 7, 2000, 65536,
			     -1, &r, &e),
	    0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "POST /v1/jobs HTTP/1.1\r\n"));
	assert_non_null(
	    strstr(r.body, "\r\nAuthorization: Bearer tok-123\r\n"));
	assert_non_null(strstr(r.body, "\r\nContent-Length: 7\r\n"));
	assert_non_null(
	    strstr(r.body, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(r.body, "\r\nHost: 127.0.0.1:"));
	assert_non_null(strstr(r.body, "\r\nUser-Agent: sluice/"));
	assert_non_null(strstr(r.body, "\r\n\r\n{\"a\":1}"));
	/* The connection is kept, and the body goes with the head. */
	assert_null(strcasestr(r.body, "Connection: close"));
	assert_null(strcasestr(r.body, "Expect:"));
	client_response_release(&r);
	canned_wait(pid);
	client_cleanup();
	/* Without a token there is no Authorization header at all; a POST
	   without a body says Content-Length: 0. */
	pid = canned_server(NULL, 0, true, 0, url, sizeof(url));
	assert_int_equal(client_init(&c, url, NULL, &e), 0);
	assert_int_equal(client_request(&c, "POST", "/v1/nodes/n1/drain", NULL,
			     NULL, 0, 2000, 65536, -1, &r, &e),
	    0);
	assert_null(strstr(r.body, "Authorization"));
	assert_non_null(strstr(r.body, "\r\nContent-Length: 0\r\n"));
	client_response_release(&r);
	canned_wait(pid);
}

static void
client_request__longest_token__sent_whole(void **state)
{
	char token[CLIENT_TOKEN_MAX + 1], want[CLIENT_TOKEN_MAX + 64];
	struct client_response r;
	struct client c;
	struct error e;
	char url[64];
	pid_t pid;

	(void)state;
	memset(token, 'T', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	snprintf(want, sizeof(want), "\r\nAuthorization: Bearer %s\r\n", token);
	pid = canned_server(NULL, 0, true, 0, url, sizeof(url));
	assert_int_equal(client_init(&c, url, token, &e), 0);
	client_response_init(&r);
	assert_int_equal(client_request(&c, "POST", "/v1/jobs",
			     "application/json", "{}", 2, 2000, 65536, -1, &r,
			     &e),
	    0);
	assert_non_null(strstr(r.body, want));
	assert_non_null(
	    strstr(r.body, "\r\nContent-Type: application/json\r\n"));
	client_response_release(&r);
	canned_wait(pid);
}

static void
client_request__keep_alive__one_connection_for_all(void **state)
{
	struct client_response r;
	struct client c;
	struct error e;
	char url[64];
	pid_t pid;

	(void)state;
	/* The server takes one connection and then no other. */
	pid = canned_serve(canned_listen(url, sizeof(url)), NULL, 0, true, 0,
	    3);
	assert_int_equal(client_init(&c, url, "t", &e), 0);
	client_response_init(&r);
	assert_int_equal(client_request(&c, "GET", "/v1/jobs/1", NULL, NULL, 0,
			     2000, 65536, -1, &r, &e),
	    0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "GET /v1/jobs/1 HTTP/1.1\r\n"));
	assert_int_equal(client_request(&c, "POST", "/v1/jobs", NULL, "{}", 2,
			     2000, 65536, -1, &r, &e),
	    0);
	assert_non_null(strstr(r.body, "POST /v1/jobs HTTP/1.1\r\n"));
	assert_int_equal(client_request(&c, "DELETE", "/v1/jobs/1", NULL, NULL,
			     0, 2000, 65536, -1, &r, &e),
	    0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "DELETE /v1/jobs/1 HTTP/1.1\r\n"));
	client_response_release(&r);
	canned_wait(pid);
}

static void
client_request__close_delimited__body_read(void **state)
{
	static const char reply[] = "HTTP/1.1 404 Not Found\r\n"
				    "Content-Type: application/json\r\n\r\n"
				    "{\"error\": \"no such job\"}";
	struct client_response r;
	struct client c;
	struct error e;
	char url[64];
	pid_t pid;

	(void)state;
	pid = canned_server(reply, sizeof(reply) - 1, false, 0, url,
	    sizeof(url));
	assert_int_equal(client_init(&c, url, "t", &e), 0);
	client_response_init(&r);
	assert_int_equal(client_request(&c, "GET", "/v1/jobs/1", NULL, NULL, 0,
			     2000, 65536, -1, &r, &e),
	    0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.reason, "Not Found");
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.body, "{\"error\": \"no such job\"}");
	client_response_release(&r);
	canned_wait(pid);
}

static void
client_request__redirect__not_followed(void **state)
{
	static const char reply[] = "HTTP/1.1 302 Found\r\n"
				    "Location: http://127.0.0.1:1/elsewhere\r\n"
				    "Content-Length: 0\r\n\r\n";
	struct client_response r;
	struct client c;
	struct error e;
	char url[64];
	pid_t pid;

	(void)state;
	pid = canned_server(reply, sizeof(reply) - 1, false, 0, url,
	    sizeof(url));
	assert_int_equal(client_init(&c, url, "t", &e), 0);
	client_response_init(&r);
	assert_int_equal(client_request(&c, "GET", "/v1/jobs", NULL, NULL, 0,
			     2000, 65536, -1, &r, &e),
	    0);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.body, "");
	client_response_release(&r);
	canned_wait(pid);
}

static void
client_request__sink__streams_2xx_bodies_only(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
				 "a\0\xff\n";
	static const char bad[] = "HTTP/1.1 409 Conflict\r\nContent-Length: "
				  "13\r\n\r\n{\"error\":\"x\"}";
	struct client_response r;
	struct client c;
	struct error e;
	char url[64], got[16];
	int p[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = canned_server(ok, sizeof(ok) - 1, false, 0, url, sizeof(url));
	assert_int_equal(client_init(&c, url, "t", &e), 0);
	client_response_init(&r);
	assert_int_equal(client_request(&c, "GET", "/x", NULL, NULL, 0, 2000,
			     16, p[1], &r, &e),
	    0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.streamed, 4);
	assert_null(r.body);
	assert_int_equal(read(p[0], got, sizeof(got)), 4);
	assert_memory_equal(got, "a\0\xff\n", 4);
	canned_wait(pid);
	client_cleanup();
	/* An error's body is kept for its message, not streamed. */
	pid = canned_server(bad, sizeof(bad) - 1, false, 0, url, sizeof(url));
	assert_int_equal(client_init(&c, url, "t", &e), 0);
	assert_int_equal(client_request(&c, "GET", "/x", NULL, NULL, 0, 2000,
			     64, p[1], &r, &e),
	    0);
	assert_int_equal(r.status, 409);
	assert_int_equal(r.streamed, 0);
	assert_string_equal(r.body, "{\"error\":\"x\"}");
	client_response_release(&r);
	canned_wait(pid);
	close(p[0]);
	close(p[1]);
}

static void
client_request__sink__streams_past_the_cap(void **state)
{
	enum {
		BIG = 4 * 1024 * 1024
	};
	char path[] = "/tmp/sluice-test-client-sink.XXXXXX", url[64];
	static const char head_[] = "HTTP/1.1 200 OK\r\n\r\n";
	struct client_response r;
	struct client c;
	struct error e;
	struct stat st;
	char *reply;
	pid_t pid;
	int fd;

	(void)state;
	/* 4 MiB, delimited by the close, through a cap of 16 bytes: the
	   sink gets all of it and nothing is kept. */
	reply = malloc(sizeof(head_) - 1 + BIG);
	assert_non_null(reply);
	memcpy(reply, head_, sizeof(head_) - 1);
	memset(reply + sizeof(head_) - 1, 'x', BIG);
	assert_true((fd = mkstemp(path)) >= 0);
	unlink(path);
	pid = canned_server(reply, sizeof(head_) - 1 + BIG, false, 0, url,
	    sizeof(url));
	assert_int_equal(client_init(&c, url, "t", &e), 0);
	client_response_init(&r);
	assert_int_equal(client_request(&c, "GET", "/v1/jobs/1/stdout", NULL,
			     NULL, 0, 5000, 16, fd, &r, &e),
	    0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.streamed, BIG);
	assert_null(r.body);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, BIG);
	canned_wait(pid);
	close(fd);
	free(reply);
}

static void
client_request__refused__err_io(void **state)
{
	struct sockaddr_in sa;
	socklen_t slen = sizeof(sa);
	struct client_response r;
	struct client c;
	struct error e;
	char url[64];
	int s;

	(void)state;
	/* A port that was just free: bound, then closed. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &slen), 0);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(sa.sin_port));
	assert_int_equal(client_init(&c, url, "t", &e), 0);
	client_response_init(&r);
	error_init(&e);
	assert_int_equal(client_request(&c, "GET", "/v1/nodes", NULL, NULL, 0,
			     1000, 100, -1, &r, &e),
	    -1);
	assert_int_equal(e.code, ERR_IO);
	assert_non_null(strstr(e.msg, "Connection refused"));
	assert_non_null(strstr(e.msg, url));
	/* The same through a UNIX socket that is not there. */
	assert_int_equal(client_set_unix_socket(&c, "/nonexistent/s", &e), 0);
	error_init(&e);
	assert_int_equal(client_request(&c, "GET", "/v1/nodes", NULL, NULL, 0,
			     1000, 100, -1, &r, &e),
	    -1);
	assert_int_equal(e.code, ERR_IO);
	assert_non_null(strstr(e.msg, "'/nonexistent/s'"));
}

static void
client_request__silent_server__times_out(void **state)
{
	struct client_response r;
	struct client c;
	struct error e;
	char url[64];
	pid_t pid;

	(void)state;
	pid = canned_server(NULL, 0, false, 5000, url, sizeof(url));
	assert_int_equal(client_init(&c, url, "t", &e), 0);
	client_response_init(&r);
	error_init(&e);
	assert_int_equal(client_request(&c, "GET", "/v1/nodes", NULL, NULL, 0,
			     200, 100, -1, &r, &e),
	    -1);
	assert_int_equal(e.code, ERR_SYS);
	assert_non_null(strstr(e.msg, "did not answer"));
	canned_wait(pid);
}

/* One request to a canned server that answers reply; its error code. */
static enum error_code
canned_error(const char *reply, size_t reply_len, int linger_ms,
    size_t body_cap, struct error *e)
{
	struct client_response r;
	struct client c;
	char url[64];
	pid_t pid;
	int rc;

	client_cleanup();
	pid = canned_server(reply, reply_len, false, linger_ms, url,
	    sizeof(url));
	assert_int_equal(client_init(&c, url, "t", e), 0);
	client_response_init(&r);
	error_init(e);
	rc = client_request(&c, "GET", "/", NULL, NULL, 0, 1000, body_cap, -1,
	    &r, e);
	canned_wait(pid);
	if (rc == 0)
		fail_msg("accepted '%.40s'", reply);
	assert_null(r.body);
	return e->code;
}

static void
client_request__garbage_or_too_big__err_invalid(void **state)
{
	static const char garbage[] = "SSH-2.0-OpenSSH_9.2\r\n";
	static const char big[] = "HTTP/1.1 200 OK\r\n\r\n0123456789abcdef";
	static const char big_cl[] = "HTTP/1.1 200 OK\r\nContent-Length: "
				     "16\r\n\r\n0123456789abcdef";
	static const char short_[] = "HTTP/1.1 200 OK\r\nContent-Length: "
				     "10\r\n\r\n012";
	static const char bad_cl[] = "HTTP/1.1 200 OK\r\nContent-Length: "
				     "1x\r\n\r\n0";
	char *huge;
	struct error e;
	size_t n;

	(void)state;
	/* Refused as soon as it is seen, not after the server closes. */
	assert_int_equal(canned_error(garbage, sizeof(garbage) - 1, 2000, 100,
			     &e),
	    ERR_INVALID);
	assert_int_equal(canned_error(big, sizeof(big) - 1, 0, 10, &e),
	    ERR_INVALID);
	assert_non_null(strstr(e.msg, "larger than 10 bytes"));
	assert_int_equal(canned_error(big_cl, sizeof(big_cl) - 1, 0, 10, &e),
	    ERR_INVALID);
	assert_non_null(strstr(e.msg, "(16 bytes)"));
	assert_int_equal(canned_error(short_, sizeof(short_) - 1, 0, 100, &e),
	    ERR_INVALID);
	assert_int_equal(canned_error(bad_cl, sizeof(bad_cl) - 1, 0, 100, &e),
	    ERR_INVALID);
	/* Headers past CLIENT_HEAD_MAX. */
	huge = malloc(CLIENT_HEAD_MAX + 4096);
	assert_non_null(huge);
	n = (size_t)sprintf(huge, "HTTP/1.1 200 OK\r\n");
	while (n < CLIENT_HEAD_MAX + 1024)
		n += (size_t)sprintf(huge + n, "X-Filler: %0100d\r\n", 0);
	n += (size_t)sprintf(huge + n, "\r\n");
	assert_int_equal(canned_error(huge, n, 0, 100, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "headers"));
	free(huge);
}

static void
client_request__closed_without_answer__err_sys(void **state)
{
	struct error e;

	(void)state;
	/* A dispatcher that went away mid-request is unavailable (69), not
	   another version (76). */
	assert_int_equal(canned_error("", 0, 0, 100, &e), ERR_SYS);
	assert_non_null(strstr(e.msg, "lost the connection"));
}

static void
client_request__unix_socket__used_instead_of_tcp(void **state)
{
	char dir[] = "/tmp/sluice-test-client.XXXXXX", path[128];
	struct sockaddr_un sa;
	struct client_response r;
	struct client c;
	struct error e;
	pid_t pid;
	int ls;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d.sock", dir);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(ls >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	pid = canned_serve(ls, NULL, 0, true, 0, 1);
	/* The URL still names the dispatcher (Host) but is not dialled. */
	assert_int_equal(client_init(&c, "http://sluice.invalid:1/api", "t",
			     &e),
	    0);
	assert_int_equal(client_set_unix_socket(&c, path, &e), 0);
	client_response_init(&r);
	assert_int_equal(client_request(&c, "GET", "/v1/health", NULL, NULL, 0,
			     2000, 65536, -1, &r, &e),
	    0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "GET /api/v1/health HTTP/1.1\r\n"));
	assert_non_null(strstr(r.body, "\r\nHost: sluice.invalid:1\r\n"));
	client_response_release(&r);
	canned_wait(pid);
	unlink(path);
	rmdir(dir);
}

static void
client_request__https_to_plain_http__err_refused(void **state)
{
	static const char reply[] = "HTTP/1.1 400 Bad Request\r\n"
				    "Content-Length: 0\r\n\r\n";
	struct client_response r;
	struct client c;
	struct error e;
	char url[64], surl[80];
	pid_t pid;

	(void)state;
	pid = canned_serve(canned_listen(url, sizeof(url)), reply,
	    sizeof(reply) - 1, false, 1000, 0);
	/* https:// to a server that speaks plain HTTP: no handshake. */
	snprintf(surl, sizeof(surl), "https://%s", url + 7);
	assert_int_equal(client_init(&c, surl, "t", &e), 0);
	client_response_init(&r);
	error_init(&e);
	assert_int_equal(client_request(&c, "GET", "/v1/nodes", NULL, NULL, 0,
			     2000, 100, -1, &r, &e),
	    -1);
	assert_int_equal(e.code, ERR_REFUSED);
	assert_non_null(strstr(e.msg, surl));
	canned_wait(pid);
}

/* --- cli.c: sizes, states, times ---------------------------------------- */

static void
cli_size_parse__forms__bytes(void **state)
{
	static const struct {
		const char *s;
		uint64_t want;
	} good[] = {
		{ "0", 0 },
		{ "100", 100 },
		{ "268435456", 268435456 },
		{ "256M", 268435456 },
		{ "256m", 268435456 },
		{ "256Mi", 268435456 },
		{ "256MiB", 268435456 },
		{ "256MB", 268435456 },
		{ "512K", 524288 },
		{ "512ki", 524288 },
		{ "1G", 1073741824 },
		{ "1Gi", 1073741824 },
		{ "2T", 2199023255552ULL },
		{ "1.5K", 1536 },
		{ "1.5G", 1610612736 },
		{ "0.5M", 524288 },
		{ "10B", 10 },
		{ "1.0", 1 },
		{ "8192T", 1ULL << 53 },
		{ "9007199254740992", 1ULL << 53 },
	};
	static const char *bad[] = { "", "M", "-1", "+1", " 1M", "1M ", "1X",
		"1e3", "1.", ".5M", "1.5", "0.3K", "1.0000001K", "1MiX", "1iM",
		"0x10", "1,5M", "8193T", "9007199254740993",
		"99999999999999999999", "18446744073709551616" };
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (fmt_size_parse(good[i].s, &v) != 0)
			fail_msg("refused '%s'", good[i].s);
		if (v != good[i].want)
			fail_msg("'%s' gave %llu, want %llu", good[i].s,
			    (unsigned long long)v,
			    (unsigned long long)good[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (fmt_size_parse(bad[i], &v) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(v, 12345);
	}
}

static void
cli_seconds_parse__forms__checked(void **state)
{
	double d;

	(void)state;
	assert_int_equal(fmt_seconds_parse("10", &d), 0);
	assert_true(d == 10.0);
	assert_int_equal(fmt_seconds_parse("0.5", &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(fmt_seconds_parse(".25", &d), 0);
	assert_true(d == 0.25);
	assert_int_equal(fmt_seconds_parse("0", &d), -1);
	assert_int_equal(fmt_seconds_parse("-1", &d), -1);
	assert_int_equal(fmt_seconds_parse("", &d), -1);
	assert_int_equal(fmt_seconds_parse("1e3", &d), -1);
	assert_int_equal(fmt_seconds_parse("inf", &d), -1);
	assert_int_equal(fmt_seconds_parse("nan", &d), -1);
	assert_int_equal(fmt_seconds_parse("5s", &d), -1);
	assert_int_equal(fmt_seconds_parse("0x10", &d), -1);
	assert_int_equal(fmt_seconds_parse("1.2.3", &d), -1);
}

static void
cli_size_format__units__short(void **state)
{
	char buf[32];

	(void)state;
	fmt_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	fmt_size(1023, buf, sizeof(buf));
	assert_string_equal(buf, "1023");
	fmt_size(1024, buf, sizeof(buf));
	assert_string_equal(buf, "1K");
	fmt_size(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1.5K");
	fmt_size(268435456, buf, sizeof(buf));
	assert_string_equal(buf, "256M");
	fmt_size(8597504, buf, sizeof(buf));
	assert_string_equal(buf, "8.2M");
}

static void
cli_state_code__every_state__squeue_codes(void **state)
{
	static const char *map[][2] = {
		{ "PENDING", "PD" },
		{ "RUNNING", "R" },
		{ "COMPLETING", "CG" },
		{ "COMPLETED", "CD" },
		{ "FAILED", "F" },
		{ "TIMEOUT", "TO" },
		{ "OUT_OF_MEMORY", "OOM" },
		{ "CANCELLED", "CA" },
		{ "NODE_FAIL", "NF" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		assert_string_equal(fmt_state_code(map[i][0]), map[i][1]);
		assert_string_equal(fmt_state_canonical(map[i][1]), map[i][0]);
	}
	assert_string_equal(fmt_state_code("SUSPENDED"), "?");
	assert_string_equal(fmt_state_code("running"), "?");
	assert_string_equal(fmt_state_code(NULL), "?");
	assert_string_equal(fmt_state_canonical("running"), "RUNNING");
	assert_string_equal(fmt_state_canonical("pd"), "PENDING");
	assert_string_equal(fmt_state_canonical("oom"), "OUT_OF_MEMORY");
	assert_null(fmt_state_canonical("RUN"));
	assert_null(fmt_state_canonical(""));
	assert_false(fmt_state_final("PENDING"));
	assert_false(fmt_state_final("RUNNING"));
	assert_false(fmt_state_final("COMPLETING"));
	assert_true(fmt_state_final("COMPLETED"));
	assert_true(fmt_state_final("NODE_FAIL"));
	assert_true(fmt_state_final("CANCELLED"));
	assert_false(fmt_state_final(NULL));
	assert_false(fmt_state_final("WHATEVER"));
}

static void
cli_time_parse__rfc3339__epoch_seconds(void **state)
{
	double t;

	(void)state;
	assert_int_equal(fmt_time_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_true(t == 0);
	assert_int_equal(fmt_time_parse("2024-02-29T12:34:56.250Z", &t), 0);
	assert_true(t == 1709210096.25);
	assert_int_equal(fmt_time_parse("2024-02-29t14:34:56+02:00", &t), 0);
	assert_true(t == 1709210096);
	assert_int_equal(fmt_time_parse("2024-02-29T10:04:56-02:30", &t), 0);
	assert_true(t == 1709210096);
	assert_int_equal(fmt_time_parse("2024-02-29T12:34:56", &t), -1);
	assert_int_equal(fmt_time_parse("2024-02-29 12:34:56Z", &t), -1);
	assert_int_equal(fmt_time_parse("2024-13-01T00:00:00Z", &t), -1);
	assert_int_equal(fmt_time_parse("2024-02-29T12:34:56.Z", &t), -1);
	assert_int_equal(fmt_time_parse("2024-02-29T12:34:56Zx", &t), -1);
	assert_int_equal(fmt_time_parse("", &t), -1);
	assert_int_equal(fmt_time_parse("2024", &t), -1);
}

static void
cli_elapsed_format__ranges__like_squeue(void **state)
{
	static const struct {
		double s;
		const char *want;
	} cases[] = {
		{ 0, "0:00" },
		{ 0.9, "0:00" },
		{ -5, "0:00" },
		{ 21, "0:21" },
		{ 61, "1:01" },
		{ 3599, "59:59" },
		{ 3600, "1:00:00" },
		{ 3723, "1:02:03" },
		{ 86399, "23:59:59" },
		{ 86400, "1-00:00:00" },
		{ 93784, "1-02:03:04" },
		{ 864000 + 3600, "10-01:00:00" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_elapsed(cases[i].s, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

/* A job object from JSON text. */
static json_t *
job_json(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	return v;
}

static void
cli_job_elapsed__start_end_now__seconds(void **state)
{
	json_t *j;

	(void)state;
	j = job_json("{\"started_at\": null, \"finished_at\": null}");
	assert_true(fmt_job_elapsed(j, 1e9) == 0);
	json_decref(j);
	j = job_json("{\"started_at\": \"2024-01-01T00:00:00Z\", "
		     "\"finished_at\": null}");
	assert_true(fmt_job_elapsed(j, 1704067200 + 75.5) == 75.5);
	/* A client clock behind the dispatcher's never shows negative. */
	assert_true(fmt_job_elapsed(j, 1704067200 - 10) == 0);
	json_decref(j);
	j = job_json("{\"started_at\": \"2024-01-01T00:00:00.000Z\", "
		     "\"finished_at\": \"2024-01-01T01:02:03.000Z\"}");
	assert_true(fmt_job_elapsed(j, 1e10) == 3723);
	json_decref(j);
}

static void
cli_job_exit_status__every_ending__documented_codes(void **state)
{
	static const struct {
		const char *job;
		int want;
	} cases[] = {
		{ "{\"state\":\"COMPLETED\",\"verdict\":\"ok\",\"exit_code\":"
		  "0}",
		    0 },
		{ "{\"state\":\"FAILED\",\"verdict\":\"exited\",\"exit_code\":"
		  "3}",
		    3 },
		{ "{\"state\":\"FAILED\",\"verdict\":\"exited\",\"exit_code\":"
		  "255}",
		    255 },
		{ "{\"state\":\"FAILED\",\"verdict\":\"signaled\",\"exit_"
		  "code\":"
		  "null,\"signal\":9}",
		    137 },
		{ "{\"state\":\"FAILED\",\"verdict\":\"signaled\",\"signal\":"
		  "11}",
		    139 },
		{ "{\"state\":\"FAILED\",\"verdict\":\"output_limit\","
		  "\"signal\":9}",
		    123 },
		{ "{\"state\":\"TIMEOUT\",\"verdict\":\"cpu_limit\",\"signal\":"
		  "9}",
		    124 },
		{ "{\"state\":\"TIMEOUT\",\"verdict\":\"wall_limit\"}", 124 },
		{ "{\"state\":\"OUT_OF_MEMORY\",\"verdict\":\"memory_limit\"}",
		    125 },
		{ "{\"state\":\"CANCELLED\",\"verdict\":null}", 130 },
		{ "{\"state\":\"CANCELLED\",\"verdict\":\"cancelled\"}", 130 },
		{ "{\"state\":\"NODE_FAIL\",\"verdict\":null}", 75 },
		{ "{\"state\":\"FAILED\",\"verdict\":\"sandbox_error\"}", 70 },
		{ "{\"state\":\"FAILED\",\"verdict\":\"exited\",\"exit_code\":"
		  "0}",
		    70 },
		{ "{\"state\":\"FAILED\",\"verdict\":\"signaled\"}", 70 },
		{ "{\"state\":\"FAILED\",\"verdict\":null}", 70 },
		{ "{\"state\":\"SOMETHING_NEW\"}", 70 },
		{ "{}", 70 },
	};
	size_t i;
	json_t *j;
	int got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = job_json(cases[i].job);
		got = cli_job_exit_status(j);
		json_decref(j);
		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].job, got,
			    cases[i].want);
	}
}

static void
cli_job_row__pending_running_ended__cells(void **state)
{
	struct fmt_job_row row;
	json_t *j;

	(void)state;
	j = job_json(
	    "{\"id\":\"42\",\"state\":\"PENDING\",\"tenant\":\"webapp\","
	    "\"runtime\":\"python3\",\"node\":null,\"reason\":"
	    "\"waiting for a free slot\",\"started_at\":null}");
	fmt_job_row(j, 1e9, &row);
	assert_string_equal(row.id, "42");
	assert_string_equal(row.tenant, "webapp");
	assert_string_equal(row.runtime, "python3");
	assert_string_equal(row.st, "PD");
	assert_string_equal(row.time, "0:00");
	assert_string_equal(row.where, "(waiting for a free slot)");
	json_decref(j);
	j = job_json(
	    "{\"id\":\"7\",\"state\":\"RUNNING\",\"tenant\":\"a\","
	    "\"runtime\":\"python3\",\"node\":\"node2\",\"reason\":\"\","
	    "\"started_at\":\"2024-01-01T00:00:00Z\","
	    "\"finished_at\":null}");
	fmt_job_row(j, 1704067200 + 3725, &row);
	assert_string_equal(row.st, "R");
	assert_string_equal(row.time, "1:02:05");
	assert_string_equal(row.where, "node2");
	json_decref(j);
	/* Cancelled before it ran: no node, so the reason. */
	j = job_json("{\"id\":\"8\",\"state\":\"CANCELLED\",\"node\":null,"
		     "\"reason\":\"\"}");
	fmt_job_row(j, 1e9, &row);
	assert_string_equal(row.st, "CA");
	assert_string_equal(row.where, "(None)");
	assert_string_equal(row.tenant, "");
	json_decref(j);
}

static void
cli_node_row__node__cells(void **state)
{
	struct fmt_node_row row;
	json_t *n;

	(void)state;
	n = job_json("{\"name\":\"node1\",\"state\":\"DRAINED\",\"reason\":"
		     "\"disk swap\",\"slots\":4,\"busy\":0,\"runtimes\":"
		     "[{\"name\":\"python3\",\"version\":\"Python 3.11\"},"
		     "{\"name\":\"node\",\"version\":\"v20\"}],\"labels\":[],"
		     "\"last_seen\":null}");
	fmt_node_row(n, &row);
	assert_string_equal(row.name, "node1");
	assert_string_equal(row.state, "DRAINED");
	assert_string_equal(row.slots, "4");
	assert_string_equal(row.busy, "0");
	assert_string_equal(row.runtimes, "python3,node");
	assert_string_equal(row.reason, "disk swap");
	json_decref(n);
	n = job_json("{\"name\":\"n2\",\"state\":\"DOWN\",\"slots\":null,"
		     "\"runtimes\":[]}");
	fmt_node_row(n, &row);
	assert_string_equal(row.slots, "");
	assert_string_equal(row.runtimes, "");
	assert_string_equal(row.reason, "");
	json_decref(n);
}

/* --- cli.c: tables ------------------------------------------------------- */

/* Print t into a string (the caller's). */
static char *
table_text(const struct table *t, enum table_mode mode, bool header)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	table_print(t, f, mode, header);
	fclose(f);
	return buf;
}

static void
cli_table_print__aligned_and_parsable__exact_text(void **state)
{
	static const char *const headers[] = { "JOBID", "ST", "TIME",
		"NODE(REASON)" };
	static const bool right[] = { true, true, true, false };
	static const char *const r1[] = { "7", "R", "1:02:05", "node2" };
	static const char *const r2[] = { "12345", "PD", "0:00",
		"(waiting for a slot)" };
	static const char *const r3[] = { "9", "OOM", "", "a|b\tc\x1b[2J" };
	struct table t;
	char *s;

	(void)state;
	table_init(&t, 4, headers, right);
	assert_int_equal(table_add(&t, r1), 0);
	assert_int_equal(table_add(&t, r2), 0);
	assert_int_equal(table_add(&t, r3), 0);
	s = table_text(&t, TABLE_ALIGNED, true);
	assert_string_equal(s,
	    "JOBID  ST    TIME NODE(REASON)\n"
	    "    7   R 1:02:05 node2\n"
	    "12345  PD    0:00 (waiting for a slot)\n"
	    "    9 OOM       - a|b?c?[2J\n");
	free(s);
	s = table_text(&t, TABLE_ALIGNED, false);
	assert_string_equal(s,
	    "    7   R 1:02:05 node2\n"
	    "12345  PD    0:00 (waiting for a slot)\n"
	    "    9 OOM       - a|b?c?[2J\n");
	free(s);
	s = table_text(&t, TABLE_PARSABLE, true);
	assert_string_equal(s,
	    "JOBID|ST|TIME|NODE(REASON)\n"
	    "7|R|1:02:05|node2\n"
	    "12345|PD|0:00|(waiting for a slot)\n"
	    "9|OOM||a?b?c?[2J\n");
	free(s);
	s = table_text(&t, TABLE_PARSABLE, false);
	assert_string_equal(s,
	    "7|R|1:02:05|node2\n"
	    "12345|PD|0:00|(waiting for a slot)\n"
	    "9|OOM||a?b?c?[2J\n");
	free(s);
	table_release(&t);
}

static void
cli_table_print__utf8_and_left_columns__padded_by_characters(void **state)
{
	static const char *const headers[] = { "NAME", "STATE", "REASON" };
	static const char *const r1[] = { "n\xc3\xa9", "UP", "" };
	static const char *const r2[] = { "node10", "DRAINED", "disk" };
	struct table t;
	char *s;

	(void)state;
	table_init(&t, 3, headers, NULL);
	assert_int_equal(table_add(&t, r1), 0);
	assert_int_equal(table_add(&t, r2), 0);
	s = table_text(&t, TABLE_ALIGNED, true);
	/* No trailing blanks after the last column. */
	assert_string_equal(s,
	    "NAME   STATE   REASON\n"
	    "n\xc3\xa9     UP      -\n"
	    "node10 DRAINED disk\n");
	free(s);
	table_release(&t);
	/* An empty table prints its header only. */
	table_init(&t, 3, headers, NULL);
	s = table_text(&t, TABLE_PARSABLE, true);
	assert_string_equal(s, "NAME|STATE|REASON\n");
	free(s);
	s = table_text(&t, TABLE_PARSABLE, false);
	assert_string_equal(s, "");
	free(s);
	table_release(&t);
}

/* --- cli.c: submission helpers -------------------------------------------- */

static void
cli_utf8_text__forms__text_or_not(void **state)
{
	(void)state;
	assert_true(fmt_utf8_text((const unsigned char *)"", 0));
	assert_true(fmt_utf8_text((const unsigned char *)"print(1)\n", 9));
	assert_true(fmt_utf8_text((const unsigned char *)"\xc3\xa9\xe2\x82\xac"
							 "\xf0\x9f\x98\x80",
	    9));
	assert_false(fmt_utf8_text((const unsigned char *)"a\0b", 3));
	assert_false(fmt_utf8_text((const unsigned char *)"\xff", 1));
	assert_false(fmt_utf8_text((const unsigned char *)"\xc3", 1));
	assert_false(fmt_utf8_text((const unsigned char *)"\xc0\xaf", 2));
	assert_false(fmt_utf8_text((const unsigned char *)"\xe0\x80\xaf", 3));
	assert_false(fmt_utf8_text((const unsigned char *)"\xed\xa0\x80", 3));
	assert_false(
	    fmt_utf8_text((const unsigned char *)"\xf4\x90\x80\x80", 4));
	assert_false(fmt_utf8_text((const unsigned char *)"\xe2\x82", 2));
	assert_false(fmt_utf8_text((const unsigned char *)"\x80", 1));
}

static void
cli_base64_encode__rfc4648_vectors__encoded(void **state)
{
	static const char *vec[][2] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	unsigned char all[256];
	char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		s = fmt_base64((const unsigned char *)vec[i][0],
		    strlen(vec[i][0]));
		assert_non_null(s);
		assert_string_equal(s, vec[i][1]);
		free(s);
	}
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	s = fmt_base64(all + 250, 6);
	assert_string_equal(s, "+vv8/f7/");
	free(s);
}

static void
cli_token_load__file__first_line_stripped(void **state)
{
	char path[] = "/tmp/sluice-test-token.XXXXXX", buf[64];
	struct error e;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "tok-abc \r\nsecond line\n", 22), 22);
	close(fd);
	error_init(&e);
	assert_int_equal(cli_token_load(path, buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "tok-abc");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	strcpy(buf, "kept");
	assert_int_equal(cli_token_load(path, buf, sizeof(buf), &e), -1);
	assert_int_equal(e.code, ERR_INVALID);
	assert_string_equal(buf, "kept");
	unlink(path);
	assert_int_equal(cli_token_load(path, buf, sizeof(buf), &e), -1);
	assert_int_equal(e.code, ERR_IO);
}

static void
cli_job_id_ok__forms__digits_only(void **state)
{
	(void)state;
	assert_true(fmt_job_id_ok("1"));
	assert_true(fmt_job_id_ok("123456789012345678"));
	assert_false(fmt_job_id_ok("1234567890123456789"));
	assert_false(fmt_job_id_ok(""));
	assert_false(fmt_job_id_ok("-1"));
	assert_false(fmt_job_id_ok("42/stdout"));
	assert_false(fmt_job_id_ok("4 2"));
}

static void
cli_http_status_exit__statuses__sysexits(void **state)
{
	(void)state;
	assert_int_equal(cli_http_status_exit(200), 0);
	assert_int_equal(cli_http_status_exit(202), 0);
	assert_int_equal(cli_http_status_exit(400), 65);
	assert_int_equal(cli_http_status_exit(422), 65);
	assert_int_equal(cli_http_status_exit(413), 65);
	assert_int_equal(cli_http_status_exit(409), 65);
	assert_int_equal(cli_http_status_exit(401), 77);
	assert_int_equal(cli_http_status_exit(403), 77);
	assert_int_equal(cli_http_status_exit(404), 66);
	assert_int_equal(cli_http_status_exit(429), 75);
	assert_int_equal(cli_http_status_exit(500), 69);
	assert_int_equal(cli_http_status_exit(503), 69);
	assert_int_equal(cli_http_status_exit(405), 76);
	assert_int_equal(cli_http_status_exit(302), 76);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_url_parse__good__taken_apart),
		cmocka_unit_test(
		    client_url_parse__bad__refused_and_u_untouched),
		cmocka_unit_test(client_init__token__checked),
		cmocka_unit_test(client_set_ca_file__files__checked),
		cmocka_unit_test(client_set_unix_socket__paths__checked),
		cmocka_unit_test(client_escape__reserved__percent_encoded),
		cmocka_unit_test(client_header_parse__status_and_headers__read),
		cmocka_unit_test(
		    client_header_parse__new_status__starts_afresh),
		cmocka_unit_test(client_header_parse__malformed__refused),
		cmocka_unit_test_teardown(
		    client_request__request__has_token_and_body,
		    client_teardown),
		cmocka_unit_test_teardown(
		    client_request__longest_token__sent_whole, client_teardown),
		cmocka_unit_test_teardown(
		    client_request__keep_alive__one_connection_for_all,
		    client_teardown),
		cmocka_unit_test_teardown(
		    client_request__close_delimited__body_read,
		    client_teardown),
		cmocka_unit_test_teardown(
		    client_request__redirect__not_followed, client_teardown),
		cmocka_unit_test_teardown(
		    client_request__sink__streams_2xx_bodies_only,
		    client_teardown),
		cmocka_unit_test_teardown(
		    client_request__sink__streams_past_the_cap,
		    client_teardown),
		cmocka_unit_test_teardown(client_request__refused__err_io,
		    client_teardown),
		cmocka_unit_test_teardown(
		    client_request__silent_server__times_out, client_teardown),
		cmocka_unit_test_teardown(
		    client_request__garbage_or_too_big__err_invalid,
		    client_teardown),
		cmocka_unit_test_teardown(
		    client_request__closed_without_answer__err_sys,
		    client_teardown),
		cmocka_unit_test_teardown(
		    client_request__unix_socket__used_instead_of_tcp,
		    client_teardown),
		cmocka_unit_test_teardown(
		    client_request__https_to_plain_http__err_refused,
		    client_teardown),
		cmocka_unit_test(cli_size_parse__forms__bytes),
		cmocka_unit_test(cli_seconds_parse__forms__checked),
		cmocka_unit_test(cli_size_format__units__short),
		cmocka_unit_test(cli_state_code__every_state__squeue_codes),
		cmocka_unit_test(cli_time_parse__rfc3339__epoch_seconds),
		cmocka_unit_test(cli_elapsed_format__ranges__like_squeue),
		cmocka_unit_test(cli_job_elapsed__start_end_now__seconds),
		cmocka_unit_test(
		    cli_job_exit_status__every_ending__documented_codes),
		cmocka_unit_test(cli_job_row__pending_running_ended__cells),
		cmocka_unit_test(cli_node_row__node__cells),
		cmocka_unit_test(
		    cli_table_print__aligned_and_parsable__exact_text),
		cmocka_unit_test(
		    cli_table_print__utf8_and_left_columns__padded_by_characters),
		cmocka_unit_test(cli_utf8_text__forms__text_or_not),
		cmocka_unit_test(cli_base64_encode__rfc4648_vectors__encoded),
		cmocka_unit_test(cli_token_load__file__first_line_stripped),
		cmocka_unit_test(cli_job_id_ok__forms__digits_only),
		cmocka_unit_test(cli_http_status_exit__statuses__sysexits),
	};

	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
