/* test_shard.c — K/N parsing and which shard a record falls in (lib/records/shard.c). */
#include <jansson.h>

#include "shard.h"
#include "unit.h"

static json_t *rec(const char *text)
{
	json_error_t e;

	return json_loads(text, 0, &e);
}

int main(void)
{
	struct shard s = {0};
	aderr err = {0};
	const char *bad[] = { "", "1", "4/4", "5/4", "1/0", "-1/2", "1/-2", "x/2", "1/2x", " 1/2",
	    "1/ 2", "1//2", "99999999999999999999/2", "0/1000001", NULL };
	unsigned count[4] = {0}, k, i;
	json_t *r, *g;
	char buf[128];

	CHECK_EQ_INT(shard_parse("0/1", &s, &err), 0);
	CHECK(s.k == 0 && s.n == 1);
	CHECK_EQ_INT(shard_parse("3/4", &s, &err), 0);
	CHECK(s.k == 3 && s.n == 4);
	CHECK_EQ_INT(shard_parse("999999/1000000", &s, &err), 0);
	for (i = 0; bad[i] != NULL; i++) {
		err.code = 0;
		CHECK_EQ_INT(shard_parse(bad[i], &s, &err), AD_EUSAGE);
		CHECK(strstr(err.msg, "expected K/N") != NULL);
	}

	/* FNV-1a with the offset basis azls --shard has always used (1469598103934665603,
	 * not the published 14695981039346656037): listings made by either agree */
	CHECK(shard_name_hash("") == 0x14650fb0739d0383ULL);
	CHECK(shard_name_hash("a") == 0x44bd8ad473cd9906ULL);
	CHECK(shard_name_hash("foobar") == 0x88fad7c0a8ff07f2ULL);

	/* a group's keeper, duplicate and group record land together; names spread */
	for (i = 0; i < 400; i++) {
		snprintf(buf, sizeof buf, "{\"name\":\"k%u\",\"dup\":{\"role\":\"keeper\",\"group\":%u}}", i, i);
		r = rec(buf);
		k = shard_of_record(r, 4);
		json_decref(r);
		snprintf(buf, sizeof buf, "{\"name\":\"d%u\",\"dup\":{\"role\":\"duplicate\",\"group\":%u}}", i, i);
		r = rec(buf);
		snprintf(buf, sizeof buf, "{\"type\":\"group\",\"group\":%u,\"keeper\":\"k%u\"}", i, i);
		g = rec(buf);
		CHECK_EQ_INT(shard_of_record(r, 4), k);
		CHECK_EQ_INT(shard_of_record(g, 4), k);
		json_decref(r);
		json_decref(g);
		count[k]++;
		snprintf(buf, sizeof buf, "{\"name\":\"u%u.jpg\",\"dup\":{\"role\":\"unique\"}}", i);
		r = rec(buf);
		snprintf(buf, sizeof buf, "u%u.jpg", i);
		CHECK_EQ_INT(shard_of_record(r, 4), shard_name_hash(buf) % 4);
		json_decref(r);
	}
	for (k = 0; k < 4; k++)
		CHECK(count[k] > 60);   /* 100 each on average */

	r = rec("{\"type\":\"summary\",\"images\":3}");
	CHECK_EQ_INT(shard_of_record(r, 4), 0);
	s.k = 1;
	s.n = 4;
	CHECK(!shard_has(&s, r));
	s.n = 0;
	CHECK(shard_has(&s, r));    /* unset: every record */
	json_decref(r);
	return unit_done();
}
