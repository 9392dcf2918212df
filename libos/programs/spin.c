/* spin: runs forever in user mode, for the host's --timeout. */
int
main(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}
