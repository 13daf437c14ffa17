/* Prints the udev rule file for every unit in devices/table.c, or with --list the units'
 * "vvvv:pppp" pairs, one a line. The rule is generated so it can never miss a unit the
 * daemon supports; tests/unit/check-udev-rules.sh checks the two outputs agree. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "devices/driver.h"

static const char header[] =
	"# Generated from devices/table.c by dictabridge-udev-gen: do not edit.\n"
	"#\n"
	"# Lets the user at the seat open the hidraw nodes of supported dictation devices\n"
	"# (uaccess) and starts that user's dictabridge service when one is plugged in.\n"
	"\n"
	"ACTION==\"remove\", GOTO=\"dictabridge_end\"\n"
	"\n";

static const char footer[] = "\nLABEL=\"dictabridge_end\"\n";

/* A unit has one row per collection; it gets one rule, at its first row. */
static bool first_row_of_unit(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (db_rows[j].vendor_id == db_rows[i].vendor_id &&
		    db_rows[j].product_id == db_rows[i].product_id)
			return false;
	return true;
}

int main(int argc, char **argv)
{
	bool list = argc == 2 && strcmp(argv[1], "--list") == 0;
	if (argc > 2 || (argc == 2 && !list)) {
		fprintf(stderr, "usage: %s [--list]\n", argv[0]);
		return 2;
	}

	if (!list)
		fputs(header, stdout);
	for (size_t i = 0; i < db_row_count; i++) {
		if (!first_row_of_unit(i))
			continue;
		unsigned vid = db_rows[i].vendor_id, pid = db_rows[i].product_id;
		if (list)
			printf("%04x:%04x\n", vid, pid);
		else
			printf("SUBSYSTEM==\"hidraw\", ATTRS{idVendor}==\"%04x\", "
			       "ATTRS{idProduct}==\"%04x\", TAG+=\"uaccess\", TAG+=\"systemd\", "
			       "ENV{SYSTEMD_USER_WANTS}+=\"dictabridge.service\"\n",
			       vid, pid);
	}
	if (!list)
		fputs(footer, stdout);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("dictabridge-udev-gen: stdout");
		return 1;
	}
	return 0;
}
