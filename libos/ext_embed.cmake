# cmake -DIN=section.bin -DOUT=file.h -DNAME=ident -P ext_embed.cmake:
# an eBPF section's bytes (llvm-objcopy --dump-section) as a C array of
# 64-bit instructions for a guest program to hand to ext_load.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" len)
math(EXPR rem "${len} % 16")
if(len EQUAL 0 OR NOT rem EQUAL 0)
  message(FATAL_ERROR "${IN}: not whole eBPF instructions (${len} hex digits)")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN} by libos/ext_embed.cmake. */\n"
  "static const unsigned char ${NAME}[] __attribute__((aligned(8))) = {${bytes}};\n")
