/* protocol/client: the message type, and finding a device by id or serial number (an
 * ambiguous serial number is never guessed between). */
#include <stdlib.h>

#include "check.h"
#include "protocol/client.h"

static const char devices_json[] =
	"[{\"id\":\"a\",\"serial\":\"S1\"},{\"id\":\"b\",\"serial\":\"TWIN\"},"
	"{\"id\":\"S1\",\"serial\":null},{\"id\":\"c\",\"serial\":\"TWIN\"},"
	"{\"id\":\"d\",\"serial\":\"b\"},{\"id\":\"e\"}]";

static void expect(const cJSON *devs, const char *name, enum pm_lookup want,
                   const char *want_id, const char *want_candidates)
{
	const cJSON *found = (const cJSON *)1;
	char cand[64];
	enum pm_lookup got = pm_device_lookup(devs, name, &found, cand, sizeof cand);

	CHECK(got == want, "'%s': %d, not %d", name, got, want);
	if (want_id)
		CHECK(found && check_str_eq(cJSON_GetObjectItem(found, "id")->valuestring, want_id),
		      "'%s' found the wrong device", name);
	else
		CHECK(found == NULL, "'%s' found a device", name);
	CHECK_STR(cand, want_candidates);
}

static void test_lookup(void)
{
	cJSON *devs = cJSON_Parse(devices_json);
	const cJSON *found;
	char small[4];

	expect(devs, "a", PM_LOOKUP_FOUND, "a", "");
	/* an id wins over another unit's serial number, wherever it is in the list */
	expect(devs, "S1", PM_LOOKUP_FOUND, "S1", "");
	expect(devs, "b", PM_LOOKUP_FOUND, "b", "");
	expect(devs, "TWIN", PM_LOOKUP_AMBIGUOUS, NULL, "b, c");
	expect(devs, "nothing", PM_LOOKUP_NONE, NULL, "");
	/* a unit without a serial number is not named by "" */
	expect(devs, "", PM_LOOKUP_NONE, NULL, "");
	CHECK(pm_device_lookup(devs, "TWIN", &found, small, sizeof small) ==
	      PM_LOOKUP_AMBIGUOUS, "ambiguous with a small buffer");
	CHECK_STR(small, "b, ");
	CHECK(pm_device_lookup(NULL, "a", &found, small, sizeof small) == PM_LOOKUP_NONE,
	      "no list");
	cJSON_Delete(devs);
}

static void test_type(void)
{
	cJSON *m = cJSON_Parse("{\"type\":\"hello\"}"), *n = cJSON_Parse("{\"type\":1}");

	CHECK_STR(pm_message_type(m), "hello");
	CHECK(pm_message_type(n) == NULL, "a number is no type");
	CHECK(pm_message_type(NULL) == NULL, "no message");
	cJSON_Delete(m);
	cJSON_Delete(n);
}

int main(void)
{
	test_lookup();
	test_type();
	return CHECK_DONE();
}
