/* test_tool.c — the tools' strict option values (lib/records/tool.c): whole numbers in
 * decimal digits only, within their range, counts with a power of ten, sizes; anything
 * else is refused without touching the value, and says so on stderr (sent to a file
 * here, and read back: one line naming the option and the value, then the try line). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "tool.h"
#include "unit.h"

static void test_int(void)
{
	static const char *bad[] = { "8x", "", "-1", "+8", " 8", "8 ", "0x10", "1e1", "1.0", "65",
	    "99999999999999999999", "18446744073709551617" };
	int v = 7;

	CHECK_EQ_INT(tool_int("--threads", "8", 1, 64, &v), 0);
	CHECK_EQ_INT(v, 8);
	CHECK_EQ_INT(tool_int("--threads", "064", 1, 64, &v), 0);
	CHECK_EQ_INT(v, 64);
	CHECK_EQ_INT(tool_int("--kp-cache", "0", 0, 1 << 20, &v), 0);
	CHECK_EQ_INT(v, 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		CHECK_EQ_INT(tool_int("--threads", bad[i], 1, 64, &v), TOOL_ERROR);
		CHECK_EQ_INT(v, 7);
	}
	CHECK_EQ_INT(tool_int("--threads", "0", 1, 64, &v), TOOL_ERROR);
}

static void test_count(void)
{
	static const char *bad[] = { "8x", "", "-1", "1e", "e8", "1.5", "1e8x", "0", "1e20",
	    "18446744073709551616", "1E-2" };
	unsigned long long v = 7;

	CHECK_EQ_INT(tool_count("--max-pixels", "1e8", 1, ULLONG_MAX, &v), 0);
	CHECK_EQ_INT(v, 100000000);
	CHECK_EQ_INT(tool_count("--max-pixels", "25E2", 1, ULLONG_MAX, &v), 0);
	CHECK_EQ_INT(v, 2500);
	CHECK_EQ_INT(tool_count("--max-bytes", "536870912", 1, LLONG_MAX, &v), 0);
	CHECK_EQ_INT(v, 536870912);
	CHECK_EQ_INT(tool_count("--max-bytes", "9223372036854775807", 1, LLONG_MAX, &v), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		CHECK_EQ_INT(tool_count("--max-pixels", bad[i], 1, 1000000000000000000ULL, &v),
		    TOOL_ERROR);
		CHECK_EQ_INT(v, 7);
	}
	CHECK_EQ_INT(tool_count("--max-bytes", "9223372036854775808", 1, LLONG_MAX, &v), TOOL_ERROR);
}

static void test_size(void)
{
	size_t v = 7;

	CHECK_EQ_INT(tool_size("--max-memory", "512M", &v), 0);
	CHECK_EQ_INT(v, (size_t)512 << 20);
	v = 7;
	CHECK_EQ_INT(tool_size("--max-memory", "8x", &v), TOOL_ERROR);
	CHECK_EQ_INT(tool_size("--max-memory", "-1", &v), TOOL_ERROR);
	CHECK_EQ_INT(tool_size("--max-memory", "0", &v), TOOL_ERROR);
	CHECK_EQ_INT(v, 7);
}

/* What a refusal says: read back from the file stderr went to. */
static void test_message(void)
{
	char path[] = "/tmp/azd-test-tool.XXXXXX", buf[512] = "";
	int fd = mkstemp(path), saved = dup(2), v;
	FILE *fp;
	size_t n;

	CHECK(fd >= 0 && saved >= 0);
	if (fd < 0 || saved < 0)
		return;
	fflush(stderr);
	dup2(fd, 2);
	tool_int("--threads", "8x", 1, 64, &v);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fp = fdopen(fd, "r");
	rewind(fp);
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	unlink(path);
	CHECK_STR(buf, "test_tool: --threads: expected a whole number from 1 to 64, got '8x'\n"
	    "try 'test_tool --help'\n");
}

int main(int argc, char **argv)
{
	(void)argc;
	tool_init(argv);
	CHECK_STR(log_prog(), "test_tool");
	CHECK_STR(argv[0], "test_tool");
	test_int();
	test_count();
	test_size();
	test_message();
	return unit_done();
}
