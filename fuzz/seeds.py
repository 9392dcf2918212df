#!/usr/bin/env python3
"""Write the seed corpora of fuzz/corpus from a built tree (build/ by default).

Run once after a change to a format; the seeds are committed. Each seed is a
real input or one laid out exactly as the guest or exo writes it:
  elf/          the kernels and programs (stripped copies: the loader reads
                program headers, not symbols)
  layout/       framed as fuzz/layout.c reads: the kernel, hello (and sigma0)
  bench_result/ a boot's four marks and a valid result record
                (<exo/bench.h>), framed as fuzz/bench_result.c reads
  trace/        a ring of records of every kind and a short record
                (<exo/trace.h>), framed as fuzz/trace.c reads
  baseline/     bench/baseline-pvm.json
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "build")
corpus = os.path.join(top, "fuzz", "corpus")


def stripped(path):
    with tempfile.NamedTemporaryFile() as t:
        subprocess.run(["objcopy", "--strip-all", path, t.name], check=True)
        return open(t.name, "rb").read()


def put(kind, name, data):
    os.makedirs(os.path.join(corpus, kind), exist_ok=True)
    with open(os.path.join(corpus, kind, name), "wb") as f:
        f.write(data)


def layout_seed(kernel, progs, cmdline, args, mem_sel, sigma0):
    out = bytes([mem_sel, len(progs) - 1, sigma0, len(cmdline)]) + cmdline
    out += bytes([len(args) - 1])
    for a in args:
        out += bytes([len(a)]) + a
    for p in progs:
        out += struct.pack("<I", len(p)) + p
    return out + kernel


def bench_seed():
    base, marks = 4, b""
    for phase, insns in enumerate([1000, 1196, 2000, 20700]):
        marks += b"\x01" + struct.pack("<IB5I", base | phase, 0, insns, 4, 0, 0, 0)
    samples = [181652, 178506, 206084, 183000]
    rec = struct.pack("<II32sQQQII", 0x48434e42, base, b"null_syscall",
                      100, 10, 18324177, len(samples), 0)
    rec += struct.pack("<%dI" % len(samples), *samples)
    return marks + b"\x00" + struct.pack("<I", len(rec)) + rec


def trace_seed():
    def rec(tsc, kind, a16=0, a32=0, a0=0, a1=0):
        return struct.pack("<IIHHIQQ", tsc, 0, kind, a16, a32, a0, a1)
    tid_a, tid_b = (1 << 32) | 5, (1 << 32) | 6     # EXO_TID(5, 1), EXO_TID(6, 1)
    recs = rec(1000, 1, a16=3, a0=tid_a)             # syscall nr 3
    recs += rec(1400, 6, a0=tid_b, a1=tid_a)         # ipc to b from a
    recs += rec(1500, 9, a0=tid_b)                   # thread_switch
    recs += rec(1800, 4, a0=tid_b)                   # kernel_exit
    recs += rec(2000, 7, a16=1, a0=0x400000, a1=0x401000)   # page fault
    recs += rec(2300, 4, a0=tid_b)
    recs += struct.pack("<IIIIQQ", 0, 6, 2600, 0, 0, 0)     # short record: no 6
    for kind in range(2, 22):
        recs += rec(3000 + 100 * kind, kind, a16=kind, a32=kind, a0=tid_a, a1=kind)
    head = len(recs)
    return struct.pack("<QQB", 0, head, 0) + recs


def main():
    kernel = stripped(os.path.join(build, "exo-kernel"))
    smp = stripped(os.path.join(build, "exo-kernel-smp"))
    hello = stripped(os.path.join(build, "programs", "hello"))
    sigma0 = stripped(os.path.join(build, "programs", "sigma0"))
    put("elf", "exo-kernel", kernel)
    put("elf", "exo-kernel-smp", smp)
    put("elf", "hello", hello)
    put("elf", "sigma0", sigma0)
    put("layout", "kernel-hello", layout_seed(kernel, [hello], b"", [b"hello"], 0, 0))
    put("layout", "kernel-sigma0-hello",
        layout_seed(kernel, [sigma0, hello], b"trace timer=oneshot",
                    [b"hello", b"world"], 1, 1))
    put("bench_result", "null_syscall", bench_seed())
    put("trace", "kinds", trace_seed())
    shutil.copy(os.path.join(top, "bench", "baseline-pvm.json"),
                os.path.join(corpus, "baseline", "baseline-pvm.json"))


main()
