/* dictabridge record: audio capture arrives with the audio support; until then the
 * command says so instead of pretending. */
#include "cli/cli.h"

int cmd_record(const struct cli_opts *o)
{
	return cli_fail(o, EXIT_USAGE, "not_available",
	                "audio capture is not available in this version (it arrives with the "
	                "audio support)");
}
