# Finds what the switchboard target needs. Every dependency is a Debian package:
# libboost1.81-dev, nlohmann-json3-dev, (optional) libssl-dev.
include(GNUInstallDirs)
find_package(Boost 1.81 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(Threads REQUIRED)
if(SWITCHBOARD_WITH_OPENSSL)
  find_package(OpenSSL REQUIRED)
endif()
