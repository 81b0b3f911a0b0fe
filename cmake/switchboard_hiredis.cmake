# hiredis (Debian libhiredis-dev) for the backplane (SWITCHBOARD_WITH_REDIS), as the
# imported target switchboard::hiredis. Found by hand, not through its pkg-config file:
# that one defines _FILE_OFFSET_BITS, which would keep a precompiled header from being
# used by code that includes switchboard.
if(NOT TARGET switchboard::hiredis)
  find_path(SWITCHBOARD_HIREDIS_INCLUDE hiredis/hiredis.h)
  find_library(SWITCHBOARD_HIREDIS_LIBRARY hiredis)
  if(SWITCHBOARD_HIREDIS_INCLUDE AND SWITCHBOARD_HIREDIS_LIBRARY)
    add_library(switchboard::hiredis UNKNOWN IMPORTED)
    set_target_properties(switchboard::hiredis PROPERTIES
      IMPORTED_LOCATION "${SWITCHBOARD_HIREDIS_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${SWITCHBOARD_HIREDIS_INCLUDE}")
  endif()
endif()
