/* forker: for every byte on its input, fork a child that exits at once,
 * wait for it, and answer the byte (1 if the child's status was not 0).
 * bench-vm times fork+exit+wait with it. */
#include "exos.h"
#include "libos.h"

int
main(void)
{
	char c;

	while (exos_read(0, &c, 1) == 1) {
		u32 status = ~0u;
		long pid = exos_fork();

		if (pid == 0)
			exos_exit(0);
		if (pid < 0 || exos_waitpid((u32)pid, &status) != pid || status)
			c = 1;
		if (exos_write(1, &c, 1) != 1)
			return 1;
	}
	return 0;
}
