/*
 * exo: the command. One table of subcommands; each parses its own options.
 *
 * Exit status of `exo run`:
 *   0..255  the status of the last program (a program killed by a fault
 *           ends with 128 + the exception vector, as a shell reports signals)
 *   124     the guest ran past --timeout and was stopped
 *   125     the guest crashed: kernel panic, triple fault, KVM error
 *   126     host error: bad arguments or files, no usable /dev/kvm
 *   130     interrupted (SIGINT, SIGTERM, SIGHUP)
 */
#include "cli.h"

int
main(int argc, char **argv)
{
	cli_find_exe_dir();
	return exo_main(argc, argv);
}
