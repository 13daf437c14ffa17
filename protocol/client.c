#include "protocol/client.h"

#include <stdio.h>
#include <string.h>

static const char *string_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

const char *pm_message_type(const cJSON *msg)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, "type");

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum pm_lookup pm_device_lookup(const cJSON *devices, const char *name, const cJSON **found,
                                char *candidates, size_t cap)
{
	const cJSON *dev, *match = NULL;
	size_t used = 0;
	int by_serial = 0;

	*found = NULL;
	if (cap)
		candidates[0] = '\0';
	cJSON_ArrayForEach(dev, devices) {
		if (strcmp(string_of(dev, "id"), name) == 0) {
			*found = dev;
			return PM_LOOKUP_FOUND;
		}
	}
	cJSON_ArrayForEach(dev, devices) {
		const cJSON *serial = cJSON_GetObjectItemCaseSensitive(dev, "serial");

		if (!cJSON_IsString(serial) || strcmp(serial->valuestring, name) != 0)
			continue;   /* a unit without a serial number is named by its id only */
		match = dev;
		by_serial++;
		if (used < cap)
			used += (size_t)snprintf(candidates + used, cap - used, "%s%s",
			                         used ? ", " : "", string_of(dev, "id"));
	}
	if (by_serial == 1) {
		*found = match;
		return PM_LOOKUP_FOUND;
	}
	return by_serial ? PM_LOOKUP_AMBIGUOUS : PM_LOOKUP_NONE;
}
