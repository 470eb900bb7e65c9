/* Job callbacks, the pure half (callback.c): URLs, addresses, the
   allow-list, the signature and the back-off. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "callback.h"

/* A URL that parses, and what it parses into. */
static void
callback_url_parse__good__parsed(void **state)
{
	struct callback_url u;
	struct error e;

	(void)state;
	assert_int_equal(callback_url_parse("http://Hooks.Example.COM./x?a=1",
			     &u, &e),
	    0);
	assert_string_equal(u.host, "hooks.example.com");
	assert_int_equal(u.port, 80);
	assert_string_equal(u.target, "/x?a=1");
	assert_false(u.is_addr);

	assert_int_equal(callback_url_parse("HTTP://127.0.0.1:8080", &u, &e),
	    0);
	assert_true(u.is_addr);
	assert_int_equal(u.addr.family, AF_INET);
	assert_int_equal(u.port, 8080);
	assert_string_equal(u.target, "/");

	assert_int_equal(callback_url_parse("http://[2001:DB8::1]:9/?q", &u,
			     &e),
	    0);
	assert_true(u.is_addr);
	assert_int_equal(u.addr.family, AF_INET6);
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(u.port, 9);
	assert_string_equal(u.target, "/?q");

	assert_false(u.tls);
	assert_int_equal(callback_url_parse("https://a.example", &u, &e), 0);
	assert_true(u.tls);
	assert_int_equal(u.port, 443);
	assert_string_equal(u.target, "/");
	assert_int_equal(callback_url_parse("HTTPS://[::1]:8443/x", &u, &e), 0);
	assert_true(u.tls);
	assert_int_equal(u.port, 8443);
	assert_int_equal(callback_url_parse("https://u@a.example/", &u, &e),
	    -1);
	assert_int_equal(callback_url_parse("http://a_b-c.internal/", &u, &e),
	    0);
	assert_string_equal(u.host, "a_b-c.internal");
	/* A number as a label that is not the last is a name. */
	assert_int_equal(callback_url_parse("http://1.example/", &u, &e), 0);
	assert_false(u.is_addr);
}

/* Every URL that is refused, with the field named. */
static void
callback_url_parse__bad__refused(void **state)
{
	static const char *const bad[] = {
		"",
		"httpx://example.com/",
		"ftp://example.com/",
		"example.com/hook",
		"http://",
		"http:///x",
		"http://user:pw@example.com/",
		"http://example.com@127.0.0.1/",
		"http://example.com/#frag",
		"http://example.com\\@127.0.0.1/",
		"http://exa mple.com/",
		"http://example.com/\x01",
		"http://ex\xc3\xa4mple.com/",
		"http://example.com:/",
		"http://example.com:0/",
		"http://example.com:65536/",
		"http://example.com:80a/",
		"http://example.com:-1/",
		"http://2130706433/",
		"http://0x7f000001/",
		"http://0x7f.0.0.1/",
		"http://127.1/",
		"http://0177.0.0.1/",
		"http://127.0.0.01/",
		"http://127.0.0.1.5/",
		"http://1.2.3.4.0x5/",
		"http://[::1/",
		"http://[fe80::1%25eth0]/",
		"http://[not-v6]/",
		"http://a..b/",
		"http://.example.com/",
		"http://ex%61mple.com/",
		"http://example.com:80:80/",
	};
	struct callback_url u;
	struct error e;
	char longurl[CALLBACK_URL_MAX + 10], label[80];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_init(&e);
		if (callback_url_parse(bad[i], &u, &e) != -1)
			fail_msg("'%s' was taken", bad[i]);
		assert_string_equal(e.field, "callback_url");
	}
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = '\0';
	memcpy(longurl, "http://x/", 9);
	assert_int_equal(callback_url_parse(longurl, &u, &e), -1);
	memset(label, 'a', 64);
	snprintf(label + 64, sizeof(label) - 64, ".com");
	snprintf(longurl, sizeof(longurl), "http://%s/", label);
	assert_int_equal(callback_url_parse(longurl, &u, &e), -1);
}

/* What kind of address each is. */
static void
callback_addr_class__table__classified(void **state)
{
	static const struct {
		const char *addr;
		enum callback_class k;
	} t[] = {
		{ "93.184.216.34", CALLBACK_PUBLIC },
		{ "8.8.8.8", CALLBACK_PUBLIC },
		{ "127.0.0.1", CALLBACK_LOOPBACK },
		{ "127.255.0.9", CALLBACK_LOOPBACK },
		{ "10.1.2.3", CALLBACK_PRIVATE },
		{ "172.16.0.1", CALLBACK_PRIVATE },
		{ "172.31.255.255", CALLBACK_PRIVATE },
		{ "172.32.0.1", CALLBACK_PUBLIC },
		{ "192.168.1.1", CALLBACK_PRIVATE },
		{ "169.254.169.254", CALLBACK_LINK_LOCAL },
		{ "100.64.0.1", CALLBACK_SHARED },
		{ "100.127.255.255", CALLBACK_SHARED },
		{ "100.128.0.1", CALLBACK_PUBLIC },
		{ "0.0.0.0", CALLBACK_UNSPECIFIED },
		{ "0.1.2.3", CALLBACK_UNSPECIFIED },
		{ "224.0.0.1", CALLBACK_MULTICAST },
		{ "255.255.255.255", CALLBACK_MULTICAST },
		{ "240.0.0.1", CALLBACK_RESERVED },
		{ "192.0.2.1", CALLBACK_RESERVED },
		{ "198.18.0.1", CALLBACK_RESERVED },
		{ "::", CALLBACK_UNSPECIFIED },
		{ "::1", CALLBACK_LOOPBACK },
		{ "::ffff:127.0.0.1", CALLBACK_LOOPBACK },
		{ "::ffff:10.0.0.1", CALLBACK_PRIVATE },
		{ "::ffff:8.8.8.8", CALLBACK_PUBLIC },
		{ "::127.0.0.1", CALLBACK_LOOPBACK },
		{ "::8.8.8.8", CALLBACK_RESERVED },
		{ "64:ff9b::7f00:1", CALLBACK_LOOPBACK },
		{ "64:ff9b::808:808", CALLBACK_PUBLIC },
		{ "64:ff9b:1::1", CALLBACK_PRIVATE },
		{ "2002:a00:1::", CALLBACK_PRIVATE },
		{ "2002:808:808::", CALLBACK_PUBLIC },
		{ "fc00::1", CALLBACK_PRIVATE },
		{ "fd12:3456::1", CALLBACK_PRIVATE },
		{ "fec0::1", CALLBACK_PRIVATE },
		{ "fe80::1", CALLBACK_LINK_LOCAL },
		{ "febf::1", CALLBACK_LINK_LOCAL },
		{ "ff02::1", CALLBACK_MULTICAST },
		{ "2001:db8::1", CALLBACK_RESERVED },
		{ "2001::1", CALLBACK_RESERVED },
		{ "100::1", CALLBACK_RESERVED },
		{ "4000::1", CALLBACK_RESERVED },
		{ "2606:4700::1111", CALLBACK_PUBLIC },
		{ "2001:4860:4860::8888", CALLBACK_PUBLIC },
	};
	struct callback_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(callback_addr_parse(t[i].addr, &a), 0);
		if (callback_addr_class(&a) != t[i].k)
			fail_msg("%s: class %d, want %d", t[i].addr,
			    (int)callback_addr_class(&a), (int)t[i].k);
	}
	assert_int_equal(callback_addr_parse("127.1", &a), -1);
	assert_int_equal(callback_addr_parse("fe80::1%1", &a), -1);
}

/* An IPv4-mapped address connects to its IPv4 address. */
static void
callback_addr_unmap__mapped__ipv4(void **state)
{
	struct callback_addr a, v;
	char text[64];

	(void)state;
	assert_int_equal(callback_addr_parse("::ffff:10.0.0.1", &a), 0);
	v = callback_addr_unmap(&a);
	assert_int_equal(v.family, AF_INET);
	callback_addr_text(&v, text, sizeof(text));
	assert_string_equal(text, "10.0.0.1");
	assert_int_equal(callback_addr_parse("::1", &a), 0);
	v = callback_addr_unmap(&a);
	assert_int_equal(v.family, AF_INET6);
}

/* Entries of callback_allow. */
static void
callback_allow_parse__entries__parsed_or_refused(void **state)
{
	static const char *const bad[] = { "", "10.0.0.1/8", "10.0.0.0/33",
		"10.0.0.0/", "10.0.0.0/x", "::1/129", "fe80::1/10", "host:0",
		"host:65536", "host:", "[::1", "[::1]x", "::1:80:x",
		"2130706433", "127.1:80", "a b", "host:80/8", "x/8" };
	struct callback_allow w;
	struct error e;
	size_t i;

	(void)state;
	assert_int_equal(callback_allow_parse("10.0.0.0/8", &w, &e), 0);
	assert_true(w.is_cidr);
	assert_int_equal(w.prefix, 8);
	assert_int_equal(callback_allow_parse("127.0.0.1/32", &w, &e), 0);
	assert_int_equal(callback_allow_parse("0.0.0.0/0", &w, &e), 0);
	assert_int_equal(callback_allow_parse("fd00::/8", &w, &e), 0);
	assert_int_equal(w.net.family, AF_INET6);
	assert_int_equal(callback_allow_parse("127.0.0.1:8080", &w, &e), 0);
	assert_false(w.is_cidr);
	assert_true(w.is_addr);
	assert_int_equal(w.port, 8080);
	assert_int_equal(callback_allow_parse("[::1]:9000", &w, &e), 0);
	assert_true(w.is_addr);
	assert_int_equal(w.port, 9000);
	assert_int_equal(callback_allow_parse("::1", &w, &e), 0);
	assert_true(w.is_addr);
	assert_int_equal(w.port, 0);
	assert_int_equal(callback_allow_parse("Hooks.Internal:8443", &w, &e),
	    0);
	assert_false(w.is_addr);
	assert_string_equal(w.host, "hooks.internal");
	assert_int_equal(w.port, 8443);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_init(&e);
		if (callback_allow_parse(bad[i], &w, &e) != -1)
			fail_msg("'%s' was taken", bad[i]);
		assert_string_equal(e.field, "callback_allow");
	}
}

/* Whether url may go to address addr under a policy of entries. */
static bool
allowed(const char *const *entries, size_t n, bool public_ok, const char *url,
    const char *addr)
{
	struct callback_allow w[8];
	struct callback_policy p = { w, n, public_ok };
	struct callback_url u;
	struct callback_addr a;
	struct error e;
	char why[400];
	size_t i;

	assert_true(n <= 8);
	for (i = 0; i < n; i++)
		assert_int_equal(callback_allow_parse(entries[i], &w[i], &e),
		    0);
	assert_int_equal(callback_url_parse(url, &u, &e), 0);
	assert_int_equal(callback_addr_parse(addr, &a), 0);
	return callback_allowed(&p, &u, &a, why, sizeof(why));
}

/* The policy: public by default, the rest only if listed, some never. */
static void
callback_allowed__policy__applied(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const lo[] = { "127.0.0.1/32" };
	static const char *const lo_port[] = { "127.0.0.1:8080" };
	static const char *const name[] = { "hooks.internal:8080" };
	static const char *const all[] = { "0.0.0.0/0", "::/0" };
	static const char *const v6[] = { "[::1]:8080" };

	(void)state;
	assert_true(allowed(none, 0, true, "http://x.example/", "8.8.8.8"));
	assert_false(allowed(none, 0, false, "http://x.example/", "8.8.8.8"));
	assert_false(allowed(none, 0, true, "http://x.example/", "127.0.0.1"));
	assert_false(allowed(none, 0, true, "http://x.example/", "10.0.0.1"));
	assert_false(allowed(none, 0, true, "http://x.example/", "::1"));
	assert_false(allowed(none, 0, true, "http://x/", "::ffff:127.0.0.1"));
	assert_false(allowed(none, 0, true, "http://x/", "169.254.169.254"));
	assert_false(allowed(none, 0, true, "http://x/", "fd00:ec2::254"));
	/* A CIDR entry: any port, mapped forms too. */
	assert_true(allowed(lo, 1, true, "http://127.0.0.1:1/", "127.0.0.1"));
	assert_true(allowed(lo, 1, true, "http://x/", "::ffff:127.0.0.1"));
	assert_false(allowed(lo, 1, true, "http://x/", "127.0.0.2"));
	assert_false(allowed(lo, 1, true, "http://x/", "::1"));
	/* An address and port: that port only. */
	assert_true(
	    allowed(lo_port, 1, true, "http://127.0.0.1:8080/", "127.0.0.1"));
	assert_false(
	    allowed(lo_port, 1, true, "http://127.0.0.1:8081/", "127.0.0.1"));
	assert_true(allowed(lo_port, 1, true, "http://vm:8080/", "127.0.0.1"));
	assert_true(allowed(v6, 1, true, "http://[::1]:8080/", "::1"));
	assert_false(allowed(v6, 1, true, "http://[::1]:8081/", "::1"));
	/* A name and port: that name, whatever it resolves to. */
	assert_true(
	    allowed(name, 1, true, "http://hooks.internal:8080/", "10.1.2.3"));
	assert_true(
	    allowed(name, 1, true, "http://HOOKS.internal.:8080/", "10.1.2.3"));
	assert_false(
	    allowed(name, 1, true, "http://hooks.internal:80/", "10.1.2.3"));
	assert_false(
	    allowed(name, 1, true, "http://other.internal:8080/", "10.1.2.3"));
	assert_false(
	    allowed(name, 1, true, "http://10.1.2.3:8080/", "10.1.2.3"));
	/* Never: the unspecified address and multicast, whatever is
	   listed. */
	assert_false(allowed(all, 2, true, "http://0.0.0.0/", "0.0.0.0"));
	assert_false(allowed(all, 2, true, "http://[::]/", "::"));
	assert_false(allowed(all, 2, true, "http://x/", "224.0.0.1"));
	assert_false(allowed(all, 2, true, "http://x/", "::ffff:0.0.0.0"));
	assert_true(allowed(all, 2, false, "http://x/", "10.0.0.1"));
}

/* The check at submission: addresses and localhost, not other names. */
static void
callback_url_check__submission__refuses_what_it_can_know(void **state)
{
	struct callback_allow w;
	struct callback_policy none = { NULL, 0, true }, lo = { &w, 1, true };
	struct error e;

	(void)state;
	assert_int_equal(callback_allow_parse("127.0.0.1:8080", &w, &e), 0);
	assert_int_equal(callback_url_check(&none, "http://x.example/", &e), 0);
	assert_int_equal(callback_url_check(&none, "http://8.8.8.8/", &e), 0);
	assert_int_equal(callback_url_check(&none, "http://10.0.0.1/", &e), -1);
	assert_string_equal(e.field, "callback_url");
	assert_non_null(strstr(e.msg, "a private address"));
	assert_int_equal(callback_url_check(&none, "http://localhost/", &e),
	    -1);
	assert_non_null(strstr(e.msg, "loopback"));
	assert_int_equal(callback_url_check(&none, "http://a.localhost/", &e),
	    -1);
	assert_int_equal(callback_url_check(&none, "http://[::1]/", &e), -1);
	assert_int_equal(callback_url_check(&none, "http://[fe80::1]/", &e),
	    -1);
	assert_int_equal(callback_url_check(&lo, "http://127.0.0.1:8080/h", &e),
	    0);
	assert_int_equal(callback_url_check(&lo, "http://localhost:8080/h", &e),
	    0);
	assert_int_equal(callback_url_check(&lo, "http://127.0.0.1:8081/h", &e),
	    -1);
	assert_int_equal(callback_url_check(&lo, "https://127.0.0.1:8080/", &e),
	    0);
	assert_int_equal(callback_url_check(&lo, "https://127.0.0.1/", &e), -1);
}

/* The signature, checked against Python's hmac module. */
static void
callback_signature__known_vector__matches(void **state)
{
	char sig[CALLBACK_SIGNATURE_MAX];
	const char *body = "{\"id\":\"1\"}";

	(void)state;
	assert_int_equal(callback_signature("whsec-test-secret-0123",
			     1700000000, body, strlen(body), sig),
	    0);
	assert_string_equal(sig,
	    "t=1700000000,v1=82c45e631027b09049b755486130769575058367928e34bcc7"
	    "fbba4c41bf639b");
	assert_int_equal(callback_signature("whsec-test-secret-0123", 0, "", 0,
			     sig),
	    0);
	assert_string_equal(sig,
	    "t=0,v1=f1cd7d7385f1d8219dac12ac27da948f00668b9f4a2c22099bb1851c5e5"
	    "37775");
}

/* One second, doubled, at most ten minutes. */
static void
callback_backoff_ms__doubles__capped(void **state)
{
	(void)state;
	assert_int_equal(callback_backoff_ms(1), 1000);
	assert_int_equal(callback_backoff_ms(2), 2000);
	assert_int_equal(callback_backoff_ms(3), 4000);
	assert_int_equal(callback_backoff_ms(10), 512000);
	assert_int_equal(callback_backoff_ms(11), CALLBACK_BACKOFF_MAX_MS);
	assert_int_equal(callback_backoff_ms(1000000), CALLBACK_BACKOFF_MAX_MS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(callback_url_parse__good__parsed),
		cmocka_unit_test(callback_url_parse__bad__refused),
		cmocka_unit_test(callback_addr_class__table__classified),
		cmocka_unit_test(callback_addr_unmap__mapped__ipv4),
		cmocka_unit_test(
		    callback_allow_parse__entries__parsed_or_refused),
		cmocka_unit_test(callback_allowed__policy__applied),
		cmocka_unit_test(
		    callback_url_check__submission__refuses_what_it_can_know),
		cmocka_unit_test(callback_signature__known_vector__matches),
		cmocka_unit_test(callback_backoff_ms__doubles__capped),
	};

	return cmocka_run_group_tests_name("callback", tests, NULL, NULL);
}
