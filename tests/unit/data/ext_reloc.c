/* An extension with a global variable: its load is a relocation, which
 * extensions cannot have (exo ext must refuse it, naming the symbol). */
#define SEC(name) __attribute__((section(name), used))

unsigned long long hits;

SEC("event/count")
unsigned long long
count(void *ctx)
{
	(void)ctx;
	return ++hits;
}
