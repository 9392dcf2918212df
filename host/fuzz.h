/* exo fuzz: the system-call fuzzer's driver (fuzz.c). */
#ifndef HOST_FUZZ_H
#define HOST_FUZZ_H

int fuzz_cmd(int argc, char **argv);

#endif
