/*
 * `exo ext`: extensions on the host. `verify` runs the kernel's checker on
 * the programs of an object; `dump` shows each eBPF instruction with the
 * x86-64 the compiler makes of it; `run` checks one program as the kernel
 * would, then runs it compiled on a context read from a file.
 */
#ifndef HOST_EXT_CMD_H
#define HOST_EXT_CMD_H

int ext_cmd(int argc, char **argv);

#endif
