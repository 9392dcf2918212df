/*
 * bench-vm's communication operations (vm_ipc.c): ExOS's LRPC round trip
 * and a shared-memory ping-pong between two environments, the host's
 * Linux equivalents beside them (host/bench_vm_linux.c).
 */
#ifndef BENCH_VM_IPC_H
#define BENCH_VM_IPC_H

long vm_lrpc_setup(void);
long vm_lrpc(void);
long vm_shmpp_setup(void);
long vm_shmpp(void);

#endif
