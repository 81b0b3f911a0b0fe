# install() + export of the header-only target, with a relocatable package config.
include(CMakePackageConfigHelpers)

install(TARGETS switchboard EXPORT switchboardTargets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/switchboard
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/switchboard)

set(SWITCHBOARD_CMAKE_DIR ${CMAKE_INSTALL_DATADIR}/cmake/switchboard)
install(EXPORT switchboardTargets
        NAMESPACE switchboard::
        DESTINATION ${SWITCHBOARD_CMAKE_DIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/switchboardConfig.cmake.in
  ${PROJECT_BINARY_DIR}/switchboardConfig.cmake
  INSTALL_DESTINATION ${SWITCHBOARD_CMAKE_DIR})
# Header-only: the package fits any architecture.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/switchboardConfigVersion.cmake
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)
install(FILES
  ${PROJECT_BINARY_DIR}/switchboardConfig.cmake
  ${PROJECT_BINARY_DIR}/switchboardConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/switchboard_hiredis.cmake
  DESTINATION ${SWITCHBOARD_CMAKE_DIR})
