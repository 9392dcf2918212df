# Writes OUT (a C header) with EXO_VERSION_STRING: "exo VERSION", plus
# " (git DESCRIBE)" when SRC is a git work tree and git is there. Run at
# every build (host/CMakeLists.txt), it rewrites OUT only when the text
# changes, so an unchanged tree rebuilds nothing.
set(text "exo ${VERSION}")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SRC} describe --tags --always --dirty
    OUTPUT_VARIABLE describe ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND describe)
    set(text "${text} (git ${describe})")
  endif()
endif()
set(content "/* Written by cmake/version.cmake at build time. */\n#define EXO_VERSION_STRING \"${text}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE ${OUT} "${content}")
endif()
