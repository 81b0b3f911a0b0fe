# Runs PROGRAM; fails on a non-zero exit or, when EXPECTED names a file, on output
# that differs from it.
execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit ${rc}")
endif()
if(EXPECTED)
  file(READ ${EXPECTED} expected)
  if(NOT out STREQUAL expected)
    message(FATAL_ERROR "output differs from the README:\n--- README\n${expected}--- program\n${out}")
  endif()
endif()
