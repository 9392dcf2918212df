# cmake -DIN=section.bin -DOUT=file.h -DNAME=ident -P ext_embed.cmake:
# an eBPF section's bytes (llvm-objcopy --dump-section) as a C array of
# 64-bit instructions for a guest program to hand to ext_load.
#
# With -DSYM=name -DOBJ=file.o -DREADELF=llvm-readelf: only function name's
# instructions (its symbol's value and size in the section), for a section
# that holds more than one program.
file(READ ${IN} hex HEX)
if(SYM)
  execute_process(COMMAND ${READELF} -s ${OBJ} OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
  string(REGEX MATCH "[0-9]+: ([0-9a-f]+) +([0-9]+) FUNC +[A-Z]+ +[A-Z]+ +[0-9]+ ${SYM}\n"
         line "${syms}")
  if(NOT rc EQUAL 0 OR NOT line)
    message(FATAL_ERROR "${OBJ}: no function ${SYM} in its symbol table (${READELF} -s)")
  endif()
  math(EXPR off "0x${CMAKE_MATCH_1} * 2")
  math(EXPR size "${CMAKE_MATCH_2} * 2")
  string(SUBSTRING "${hex}" ${off} ${size} hex)
endif()
string(LENGTH "${hex}" len)
math(EXPR rem "${len} % 16")
if(len EQUAL 0 OR NOT rem EQUAL 0)
  message(FATAL_ERROR "${IN}: not whole eBPF instructions (${len} hex digits)")
endif()
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from ${IN} by libos/ext_embed.cmake. */\n"
  "static const unsigned char ${NAME}[] __attribute__((aligned(8))) = {${bytes}};\n")
