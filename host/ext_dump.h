/*
 * `exo ext dump`: each eBPF instruction of a program with the x86-64 the
 * compiler makes of it.
 */
#ifndef HOST_EXT_DUMP_H
#define HOST_EXT_DUMP_H

#include <stdio.h>

#include "ext_code.h"
#include "ext_obj.h"

/* The dump of p (of the object at path) compiled as c: a line per instruction. */
void ext_dump(FILE *f, const char *path, const struct ext_obj_prog *p,
	      const struct ext_code *c);

/* Compile p and dump it to f: 0, or a negative errno with a message on stderr. */
int ext_dump_prog(FILE *f, const char *path, const struct ext_obj_prog *p);

#endif
