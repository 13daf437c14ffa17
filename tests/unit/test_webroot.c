/* The web root: which URL paths map to which files (a table of accepted and refused
 * paths, then a deterministic random sweep for invariants no input may break), the
 * Content-Type table, and webroot_open against a real temporary tree with the cases a
 * path check alone would miss (symbolic links out of the root, a FIFO, a big file). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/webroot.h"
#include "tests/unit/check.h"

#define COUNT_OF(a) (sizeof (a) / sizeof (a)[0])

/* ---- webroot_route ------------------------------------------------------------------ */

static enum webroot_route route(const char *path, char *rel)
{
	return webroot_route(path, strlen(path), rel, WEBROOT_MAX_REL + 1);
}

static void test_route_table(void)
{
	static const struct {
		const char *path;
		enum webroot_route want;
		const char *rel; /* for FILE and REDIRECT */
	} cases[] = {
		{ "/demo", WEBROOT_REDIRECT, "/demo/" },
		{ "/demo/", WEBROOT_FILE, "demo/index.html" },
		{ "/demo/index.html", WEBROOT_FILE, "demo/index.html" },
		{ "/demo/app.js", WEBROOT_FILE, "demo/app.js" },
		{ "/demo/mock/", WEBROOT_FILE, "demo/mock/index.html" },
		{ "/demo/mock/frame.html", WEBROOT_FILE, "demo/mock/frame.html" },
		{ "/web/dictabridge.js", WEBROOT_FILE, "dictabridge.js" },
		{ "/web/radpair-relay.js", WEBROOT_FILE, "radpair-relay.js" },
		{ "/web/", WEBROOT_FILE, "index.html" },
		{ "/web/demo/index.html", WEBROOT_FILE, "demo/index.html" },
		{ "/web/a.b..c~d-e_f.js", WEBROOT_FILE, "a.b..c~d-e_f.js" },
		{ "/web/x@1,2;3=4+5!$&'()*:", WEBROOT_FILE, "x@1,2;3=4+5!$&'()*:" },
		/* not ours: the caller answers /status or 404 */
		{ "/", WEBROOT_NONE, NULL },
		{ "/status", WEBROOT_NONE, NULL },
		{ "/web", WEBROOT_NONE, NULL },
		{ "/demox", WEBROOT_NONE, NULL },
		{ "/demo.html", WEBROOT_NONE, NULL },
		{ "/webx/a.js", WEBROOT_NONE, NULL },
		{ "/DEMO/", WEBROOT_NONE, NULL },
		{ "demo/", WEBROOT_NONE, NULL },
		{ "//demo/", WEBROOT_NONE, NULL },
		{ "", WEBROOT_NONE, NULL },
		/* traversal and its disguises */
		{ "/demo/..", WEBROOT_BAD_PATH, NULL },
		{ "/demo/../", WEBROOT_BAD_PATH, NULL },
		{ "/demo/../../etc/passwd", WEBROOT_BAD_PATH, NULL },
		{ "/web/../x", WEBROOT_BAD_PATH, NULL },
		{ "/web/a/../../x", WEBROOT_BAD_PATH, NULL },
		{ "/web/a/..", WEBROOT_BAD_PATH, NULL },
		{ "/web/./x", WEBROOT_BAD_PATH, NULL },
		{ "/web/.", WEBROOT_BAD_PATH, NULL },
		{ "/web/...", WEBROOT_BAD_PATH, NULL },
		{ "/web/.git/config", WEBROOT_BAD_PATH, NULL },
		{ "/web/a/.hidden", WEBROOT_BAD_PATH, NULL },
		{ "/web/%2e%2e/x", WEBROOT_BAD_PATH, NULL },
		{ "/web/..%2fx", WEBROOT_BAD_PATH, NULL },
		{ "/web/%2fetc", WEBROOT_BAD_PATH, NULL },
		{ "/web/x%5cy", WEBROOT_BAD_PATH, NULL },
		{ "/web/..\\x", WEBROOT_BAD_PATH, NULL },
		{ "/web/a\\b", WEBROOT_BAD_PATH, NULL },
		{ "/demo//etc/passwd", WEBROOT_BAD_PATH, NULL },
		{ "/web//x", WEBROOT_BAD_PATH, NULL },
		{ "/web/a//b", WEBROOT_BAD_PATH, NULL },
		{ "/web/a b", WEBROOT_BAD_PATH, NULL },
		{ "/web/a\tb", WEBROOT_BAD_PATH, NULL },
		{ "/web/a\nb", WEBROOT_BAD_PATH, NULL },
		{ "/web/a\x7f", WEBROOT_BAD_PATH, NULL },
		{ "/web/\xc3\xa9.js", WEBROOT_BAD_PATH, NULL },
		{ "/web/a?b", WEBROOT_BAD_PATH, NULL },
		{ "/web/a#b", WEBROOT_BAD_PATH, NULL },
		{ "/web/a\"b", WEBROOT_BAD_PATH, NULL },
		{ "/web/<script>", WEBROOT_BAD_PATH, NULL },
	};
	char rel[WEBROOT_MAX_REL + 1];

	for (size_t i = 0; i < COUNT_OF(cases); i++) {
		enum webroot_route got;

		strcpy(rel, "(unset)");
		got = route(cases[i].path, rel);
		CHECK(got == cases[i].want, "path \"%s\": route %d, want %d", cases[i].path,
		      (int)got, (int)cases[i].want);
		if (cases[i].rel && got == cases[i].want)
			CHECK(check_str_eq(rel, cases[i].rel), "path \"%s\": rel \"%s\", want \"%s\"",
			      cases[i].path, rel, cases[i].rel);
	}
}

static void test_route_nul_and_length(void)
{
	static const char with_nul[] = "/web/a.js\0/../../etc/passwd";
	char rel[WEBROOT_MAX_REL + 1], path[WEBROOT_MAX_REL + 64];

	/* A NUL inside the delivered length is refused, not silently cut. */
	CHECK(webroot_route(with_nul, sizeof with_nul - 1, rel, sizeof rel) == WEBROOT_BAD_PATH,
	      "embedded NUL accepted");
	/* Only len bytes count: the same buffer cut before the NUL is a fine path. */
	CHECK(webroot_route(with_nul, strlen(with_nul), rel, sizeof rel) == WEBROOT_FILE,
	      "prefix before the NUL refused");
	CHECK_STR(rel, "a.js");

	/* The longest accepted name, and one byte more. */
	strcpy(path, "/web/");
	memset(path + 5, 'a', WEBROOT_MAX_REL);
	path[5 + WEBROOT_MAX_REL] = '\0';
	CHECK(route(path, rel) == WEBROOT_FILE, "a name of WEBROOT_MAX_REL bytes refused");
	CHECK(strlen(rel) == WEBROOT_MAX_REL, "rel is %zu bytes", strlen(rel));
	path[5 + WEBROOT_MAX_REL] = 'a';
	path[6 + WEBROOT_MAX_REL] = '\0';
	CHECK(route(path, rel) == WEBROOT_BAD_PATH, "a name over WEBROOT_MAX_REL accepted");
	/* index.html counts towards the bound too */
	memset(path + 5, 'a', WEBROOT_MAX_REL);
	path[5 + WEBROOT_MAX_REL - 5] = '/';
	path[5 + WEBROOT_MAX_REL - 4] = '\0';
	CHECK(route(path, rel) == WEBROOT_BAD_PATH, "a directory name + index.html over the bound");

	/* A buffer too small for any name is refused, never overrun. */
	CHECK(webroot_route("/web/a.js", 9, rel, 8) == WEBROOT_NONE, "small rel buffer used");
	CHECK(webroot_route(NULL, 0, rel, sizeof rel) == WEBROOT_NONE, "NULL path");
}

/* Whatever the input: a FILE's rel is relative, has no empty, "." or ".." segment, no
 * backslash, '%' or control byte, and lies under demo/ when the URL was /demo/. */
static void test_route_sweep(void)
{
	static const char alphabet[] = "/./../%2e\\\0ab.jsdemoweb\x01\x7f\xff:";
	uint32_t seed = 12345;
	char path[64], rel[WEBROOT_MAX_REL + 1];
	int files = 0, bad = 0;

	for (int round = 0; round < 200000; round++) {
		size_t len = 1 + (size_t)(round % 40);
		bool under_demo;

		path[0] = '/';
		for (size_t i = 1; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			path[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		/* most rounds start with a real prefix, so the validation is what is tested */
		if (round % 3 == 0 && len > 6)
			memcpy(path, "/demo/", 6);
		else if (round % 3 == 1 && len > 5)
			memcpy(path, "/web/", 5);
		under_demo = len >= 6 && memcmp(path, "/demo/", 6) == 0;
		switch (webroot_route(path, len, rel, sizeof rel)) {
		case WEBROOT_FILE: {
			size_t n = strlen(rel);
			bool ok = n > 0 && rel[0] != '/' && rel[n - 1] != '/' &&
			          !strstr(rel, "//") && strncmp(rel, ".", 1) != 0 &&
			          !strstr(rel, "/.") && !strchr(rel, '\\') && !strchr(rel, '%') &&
			          (!under_demo || strncmp(rel, "demo/", 5) == 0);

			for (size_t i = 0; i < n; i++)
				ok = ok && (unsigned char)rel[i] > 0x20 && (unsigned char)rel[i] < 0x7f;
			CHECK(ok, "round %d: path \"%.*s\" gave rel \"%s\"", round, (int)len, path, rel);
			files++;
			break;
		}
		case WEBROOT_BAD_PATH:
			bad++;
			break;
		default:
			break;
		}
	}
	/* the sweep must exercise both outcomes, or it proves nothing */
	CHECK(files > 100 && bad > 100, "sweep: %d files, %d refused", files, bad);
}

/* ---- webroot_content_type ----------------------------------------------------------- */

static void test_content_type(void)
{
	static const struct {
		const char *name, *type;
	} cases[] = {
		{ "demo/index.html", "text/html; charset=utf-8" },
		{ "dictabridge.js", "text/javascript; charset=utf-8" },
		{ "x.mjs", "text/javascript; charset=utf-8" },
		{ "X.JS", "text/javascript; charset=utf-8" },
		{ "a/style.css", "text/css; charset=utf-8" },
		{ "data.json", "application/json" },
		{ "dictabridge.js.map", "application/json" },
		{ "logo.svg", "image/svg+xml" },
		{ "logo.png", "image/png" },
		{ "favicon.ico", "image/x-icon" },
		{ "README.txt", "text/plain; charset=utf-8" },
		{ "archive.tar.gz", "application/octet-stream" },
		{ "Makefile", "application/octet-stream" },
		{ "js", "application/octet-stream" },
		{ "dir.js/file", "application/octet-stream" },
		{ "x.", "application/octet-stream" },
		{ "x.jsx", "application/octet-stream" },
	};

	for (size_t i = 0; i < COUNT_OF(cases); i++)
		CHECK_STR(webroot_content_type(cases[i].name), cases[i].type);
}

/* ---- webroot_open on a real tree ------------------------------------------------------ */

static char tmp[64];

static void put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void at(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", tmp, rel);
}

static enum webroot_open_result open_rel(const char *root, const char *rel, char *content,
                                         size_t len)
{
	int fd;
	off_t size;
	enum webroot_open_result r = webroot_open(root, rel, &fd, &size);

	content[0] = '\0';
	if (r == WEBROOT_OPENED) {
		ssize_t n = read(fd, content, len - 1);

		content[n > 0 ? n : 0] = '\0';
		CHECK(n == size, "%s: read %zd of %lld bytes", rel, n, (long long)size);
		close(fd);
	} else {
		CHECK(fd == -1, "%s: a descriptor with result %d", rel, (int)r);
	}
	return r;
}

static void test_open(void)
{
	char root[128], p[256], q[256], content[256];
	int fd;

	strcpy(tmp, "/tmp/test-webroot-XXXXXX");
	if (!mkdtemp(tmp)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	at(root, sizeof root, "root");
	at(p, sizeof p, "root");
	mkdir(p, 0755);
	at(p, sizeof p, "root/demo");
	mkdir(p, 0755);
	at(p, sizeof p, "root/demo/nodex");
	mkdir(p, 0755);
	put("root/demo/index.html", "<p>demo</p>");
	put("root/lib.js", "export {};");
	put("outside.txt", "SECRET");
	put("root-sibling.txt", "SIBLING");
	/* links: out of the root (relative and absolute), to a sibling whose name shares the
	 * root's prefix, and one that stays inside */
	at(p, sizeof p, "root/demo/out.txt");
	CHECK(symlink("../../outside.txt", p) == 0, "symlink: %s", strerror(errno));
	at(p, sizeof p, "root/abs.txt");
	at(q, sizeof q, "outside.txt");
	CHECK(symlink(q, p) == 0, "symlink: %s", strerror(errno));
	at(p, sizeof p, "root/sib.txt");
	CHECK(symlink("../root-sibling.txt", p) == 0, "symlink: %s", strerror(errno));
	at(p, sizeof p, "root/demo/lib-link.js");
	CHECK(symlink("../lib.js", p) == 0, "symlink: %s", strerror(errno));
	at(p, sizeof p, "root/up");
	CHECK(symlink("..", p) == 0, "symlink: %s", strerror(errno));
	at(p, sizeof p, "root/demo/fifo");
	CHECK(mkfifo(p, 0644) == 0, "mkfifo: %s", strerror(errno));
	/* sparse: the bound is on the size, the disk holds nothing */
	at(p, sizeof p, "root/big.bin");
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0 && ftruncate(fd, WEBROOT_MAX_FILE_BYTES + 1) == 0, "big file");
	if (fd >= 0)
		close(fd);
	at(p, sizeof p, "root/max.bin");
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0 && ftruncate(fd, WEBROOT_MAX_FILE_BYTES) == 0, "max file");
	if (fd >= 0)
		close(fd);

	CHECK(webroot_exists(root), "root does not exist");
	CHECK(open_rel(root, "demo/index.html", content, sizeof content) == WEBROOT_OPENED,
	      "index");
	CHECK_STR(content, "<p>demo</p>");
	CHECK(open_rel(root, "lib.js", content, sizeof content) == WEBROOT_OPENED, "lib.js");
	CHECK_STR(content, "export {};");
	CHECK(open_rel(root, "demo/lib-link.js", content, sizeof content) == WEBROOT_OPENED,
	      "a link inside the root is followed");
	CHECK_STR(content, "export {};");
	CHECK(open_rel(root, "demo/out.txt", content, sizeof content) == WEBROOT_ESCAPES,
	      "relative link out of the root");
	CHECK(open_rel(root, "abs.txt", content, sizeof content) == WEBROOT_ESCAPES,
	      "absolute link out of the root");
	CHECK(open_rel(root, "sib.txt", content, sizeof content) == WEBROOT_ESCAPES,
	      "link to root-sibling.txt (same prefix as the root)");
	CHECK(open_rel(root, "up/outside.txt", content, sizeof content) == WEBROOT_ESCAPES,
	      "directory link out of the root");
	CHECK(strstr(content, "SECRET") == NULL, "outside content read");
	CHECK(open_rel(root, "demo/fifo", content, sizeof content) == WEBROOT_NOT_FOUND, "FIFO");
	CHECK(open_rel(root, "demo", content, sizeof content) == WEBROOT_NOT_FOUND, "directory");
	CHECK(open_rel(root, "demo/nodex/index.html", content, sizeof content) ==
	      WEBROOT_NOT_FOUND, "directory without index.html");
	CHECK(open_rel(root, "missing.js", content, sizeof content) == WEBROOT_NOT_FOUND,
	      "missing");
	CHECK(open_rel(root, "big.bin", content, sizeof content) == WEBROOT_TOO_BIG, "big");
	{
		off_t size;

		CHECK(webroot_open(root, "max.bin", &fd, &size) == WEBROOT_OPENED &&
		      size == WEBROOT_MAX_FILE_BYTES, "a file of exactly the bound");
		if (fd >= 0)
			close(fd);
	}
	/* the root given through a link, or with a trailing slash, is the same root */
	at(p, sizeof p, "root-link");
	CHECK(symlink("root", p) == 0, "symlink: %s", strerror(errno));
	CHECK(open_rel(p, "lib.js", content, sizeof content) == WEBROOT_OPENED, "root via link");
	snprintf(q, sizeof q, "%s/", root);
	CHECK(open_rel(q, "lib.js", content, sizeof content) == WEBROOT_OPENED, "root with /");
	/* no root */
	at(p, sizeof p, "nowhere");
	CHECK(!webroot_exists(p), "missing root exists");
	CHECK(open_rel(p, "lib.js", content, sizeof content) == WEBROOT_NO_ROOT, "missing root");
	at(p, sizeof p, "outside.txt");
	CHECK(open_rel(p, "lib.js", content, sizeof content) == WEBROOT_NO_ROOT, "file as root");
	CHECK(open_rel(NULL, "lib.js", content, sizeof content) == WEBROOT_NO_ROOT, "NULL root");

	snprintf(p, sizeof p, "rm -rf '%s'", tmp);
	CHECK(system(p) == 0, "cleanup");
}

int main(void)
{
	test_route_table();
	test_route_nul_and_length();
	test_route_sweep();
	test_content_type();
	test_open();
	return CHECK_DONE();
}
