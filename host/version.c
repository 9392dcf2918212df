/* The build's name for `exo --version` (version.h: cmake/version.cmake). */
#include "cli.h"

#include "version.h"

const char *
exo_version(void)
{
	return EXO_VERSION_STRING;
}
