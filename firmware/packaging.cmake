# .deb packaging (CPack): `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr
# (tools/run-tests.sh, variant "packages", builds amd64, arm64 and armhf).
#
# One package, roomwatch: the daemon, the device simulator (roomwatch-devsim in /usr/bin:
# small, and the way to try a config or an RS-485 wiring on the gateway before the real
# devices are connected), the shipped profiles, an example config as a conffile, the systemd
# unit, an example udev rule and the docs. The system user and /var/lib/roomwatch come from
# the maintainer scripts in firmware/debian/.

# Where the shipped profiles go; roomwatchd has the same path compiled in (profile_dir's
# default), so a package built for another prefix would not find its own profiles.
set(RW_PKG_PROFILES share/roomwatch/profiles)
if(NOT ROOMWATCH_PROFILE_DIR STREQUAL "${CMAKE_INSTALL_PREFIX}/${RW_PKG_PROFILES}")
    message(WARNING "ROOMWATCH_PROFILE_DIR (${ROOMWATCH_PROFILE_DIR}) is not where the "
            "package puts the profiles (${CMAKE_INSTALL_PREFIX}/${RW_PKG_PROFILES})")
endif()

set(RW_FW ${CMAKE_SOURCE_DIR}/firmware)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/config/profiles/ DESTINATION ${RW_PKG_PROFILES}
        FILES_MATCHING PATTERN "*.cfg")
install(FILES ${RW_FW}/roomwatch.cfg DESTINATION /etc/roomwatch)
install(FILES ${RW_FW}/roomwatch.service DESTINATION /lib/systemd/system)
install(FILES ${RW_FW}/60-roomwatch-rs485.rules DESTINATION share/roomwatch/udev)
install(FILES ${RW_FW}/README.md DESTINATION share/doc/roomwatch)
install(FILES ${CMAKE_SOURCE_DIR}/config/README.md DESTINATION share/doc/roomwatch
        RENAME config-reference.md)

set(RW_DEB_DIR ${CMAKE_BINARY_DIR}/debs CACHE PATH "Where cpack writes the .deb packages")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME roomwatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "roomwatch maintainers <roomwatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "server-room monitoring agent (Modbus to MQTT)")
set(CPACK_PACKAGE_DESCRIPTION
    "roomwatchd polls the power meters, UPS units and temperature/humidity sensors of a server\n room over Modbus RTU (RS-485) and TCP and publishes their readings over MQTT.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # roomwatch_0.1.0_arm64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${RW_FW}/debian/conffiles ${RW_FW}/debian/postinst ${RW_FW}/debian/prerm
    ${RW_FW}/debian/postrm)
# adduser: postinst creates the system user.
set(RW_DEB_DEPENDS "adduser")
if(NOT CMAKE_CROSSCOMPILING)
    # dpkg-shlibdeps reads the installed libraries' symbols files: native builds only.
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
    set(CPACK_DEBIAN_PACKAGE_DEPENDS ${RW_DEB_DEPENDS})
else()
    # dpkg-shlibdeps cannot work here: the arm64/armhf libraries are unpacked into a sysroot,
    # not installed, so dpkg knows neither their packages nor their symbols files. These are
    # the Depends it computes for the amd64 build of the same sources against the same
    # bookworm packages (firmware/tests/test_deb.py checks they still agree).
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "${RW_DEB_DEPENDS}, libc-ares2 (>= 1.16.0), libc6 (>= 2.34), \
libconfig9, libcurl4 (>= 7.66.0), libjansson4 (>= 2.14), libmodbus5 (>= 3.1.4), \
libpaho-mqtt1.3 (>= 1.3.0), libsnmp40 (>= 5.9.3+dfsg), libsqlite3-0 (>= 3.8.7), \
libxlsxwriter4 (>= 1.1.4), zlib1g (>= 1:1.2.6)")
endif()
# Debug info stays in the build tree; a gateway's flash gets stripped binaries.
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX ${RW_DEB_DIR})
include(CPack)

# The package test (label "package"): builds the .deb with cpack, then inspects it and the
# arm64/armhf ones beside it if present (tests/firmware/test_deb.py). Only in a native build
# for /usr, the prefix the package is made for.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND NOT CMAKE_CROSSCOMPILING)
    enable_testing()
    add_test(NAME package-deb-build COMMAND ${CMAKE_CPACK_COMMAND} -G DEB
             --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
             WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    set_tests_properties(package-deb-build PROPERTIES LABELS package FIXTURES_SETUP deb
                         TIMEOUT 300)
    add_test(NAME package-deb COMMAND /usr/bin/python3
             ${CMAKE_SOURCE_DIR}/tests/firmware/test_deb.py ${RW_DEB_DIR} ${PROJECT_VERSION})
    set_tests_properties(package-deb PROPERTIES LABELS package FIXTURES_REQUIRED deb
                         TIMEOUT 120 ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endif()
