/* test_http.c — the parts of the HTTP and Azure layers that need no server: escaping of
 * blob names, dates, redaction of secrets, retry classification, and how storage URLs
 * and credentials are read (opening an Azure storage without STOR_CREATE sends nothing). */
#include <stdlib.h>

#include "http.h"
#include "storage.h"
#include "unit.h"

static void test_escape(void)
{
	char *e = http_escape("holiday 2019/café #1 100% sure?.jpg", 1);

	CHECK_STR(e, "holiday%202019/caf%C3%A9%20%231%20100%25%20sure%3F.jpg");
	free(e);
	e = http_escape("a/b+c=d&e", 0);
	CHECK_STR(e, "a%2Fb%2Bc%3Dd%26e");
	free(e);
	e = http_escape("A-Za_z.0~9", 0);
	CHECK_STR(e, "A-Za_z.0~9");
	free(e);
}

static void test_dates(void)
{
	CHECK_EQ_INT(http_parse_date("Sat, 01 Jun 2019 00:00:00 GMT"), 1559347200);
	CHECK_EQ_INT(http_parse_date("Thu, 01 Jan 1970 00:00:01 GMT"), 1);
	CHECK_EQ_INT(http_parse_date("yesterday"), -1);
	CHECK_EQ_INT(http_parse_date("Sat, 01 Jun 2019 00:00:00 GMT trailing"), -1);
}

static void test_redact(void)
{
	char *r = http_redact("https://acct.blob.core.windows.net/c/p?sv=2021&sig=SECRET%3D");

	CHECK_STR(r, "https://acct.blob.core.windows.net/c/p?...");
	free(r);
	r = http_redact("https://user:pass@host/c");
	CHECK_STR(r, "https://host/c");
	free(r);
	r = http_redact("http://127.0.0.1:10000/devstoreaccount1/c");
	CHECK_STR(r, "http://127.0.0.1:10000/devstoreaccount1/c");
	free(r);
}

static void test_retryable(void)
{
	struct http_resp r = {0};

	r.status = 503;
	CHECK_EQ_INT(http_retryable(0, &r), 1);
	r.status = 429;
	CHECK_EQ_INT(http_retryable(0, &r), 1);
	r.status = 403;
	CHECK_EQ_INT(http_retryable(0, &r), 0);
	r.status = 404;
	CHECK_EQ_INT(http_retryable(0, &r), 0);
	r.status = 0;
	r.curl_code = 56;     /* CURLE_RECV_ERROR: a reset */
	CHECK_EQ_INT(http_retryable(-1, &r), 1);
	r.curl_code = 60;     /* CURLE_PEER_FAILED_VERIFICATION: will not heal */
	CHECK_EQ_INT(http_retryable(-1, &r), 0);
}

static void test_urls(void)
{
	aderr err = {0};
	stor *s;

	unsetenv("AZURE_STORAGE_CONNECTION_STRING");
	unsetenv("AZURE_STORAGE_SAS_TOKEN");
	unsetenv("AZURE_STORAGE_TOKEN");
	unsetenv("AZURE_STORAGE_TOKEN_FILE");
	unsetenv("AZURE_STORAGE_ACCOUNT");
	unsetenv("AZURE_STORAGE_KEY");
	s = stor_open("https://acct.blob.core.windows.net/photos/2019/?sv=1&sig=SECRET", 0, &err);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_STR(stor_kind(s), "azure");
		CHECK_STR(stor_display(s), "https://acct.blob.core.windows.net/photos/2019/");
		CHECK(strstr(stor_root(s), "SECRET") == NULL);
		stor_close(s);
	}
	s = stor_open("http://127.0.0.1:10000/devstoreaccount1", 0, &err);
	CHECK(s == NULL);
	CHECK_EQ_INT(err.code, AD_EUSAGE);
	setenv("AZURE_STORAGE_ACCOUNT", "acct", 1);
	setenv("AZURE_STORAGE_KEY", "not base64!", 1);
	s = stor_open("https://acct.blob.core.windows.net/photos", 0, &err);
	CHECK(s == NULL);
	CHECK_EQ_INT(err.code, AD_EAUTH);
	CHECK(strstr(err.msg, "not base64") == NULL);   /* the key is never quoted */
	unsetenv("AZURE_STORAGE_KEY");
	s = stor_open("az://photos/x", 0, &err);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_STR(stor_display(s), "https://acct.blob.core.windows.net/photos/x");
		stor_close(s);
	}
	unsetenv("AZURE_STORAGE_ACCOUNT");
	setenv("AZURE_STORAGE_CONNECTION_STRING",
	    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
	    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;", 1);
	s = stor_open("az://ctr/d", 0, &err);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_STR(stor_display(s), "http://127.0.0.1:10000/devstoreaccount1/ctr/d");
		stor_close(s);
	}
	unsetenv("AZURE_STORAGE_CONNECTION_STRING");
	s = stor_open("az://ctr", 0, &err);
	CHECK(s == NULL);
	CHECK_EQ_INT(err.code, AD_EUSAGE);
}

int main(void)
{
	test_escape();
	test_dates();
	test_redact();
	test_retryable();
	test_urls();
	return unit_done();
}
