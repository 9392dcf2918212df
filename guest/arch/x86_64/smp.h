#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <exo/bootinfo.h>

/* Number the CPUs the boot info offers and point their stacks at them. */
void smp_init(const struct exo_bootinfo *bi);

#endif
