# .deb packaging (CPack): `cpack -G DEB` in any native or cross build (tools/run-tests.sh,
# variant "packages", builds amd64, arm64 and armhf).
#
# One package, roomwatch: the daemon, the device simulator (roomwatch-devsim in /usr/bin:
# small, and the way to try a config or an RS-485 wiring on the gateway before the real
# devices are connected), the shipped profiles, an example config as a conffile, the systemd
# unit, an example udev rule and the docs. The system user and /var/lib/roomwatch come from
# the maintainer scripts in firmware/debian/.
#
# The package installs under /usr whatever CMAKE_INSTALL_PREFIX the build has (the CMake
# default is /usr/local, where `cmake --install` still puts things): the unit runs
# /usr/sbin/roomwatchd, and a Debian package owns nothing under /usr/local. The binaries find
# the profiles relative to their own location (share/roomwatch/profiles beside the bin/sbin
# folder, agent/cfg/cfg_load.c), so the compiled-in ROOMWATCH_PROFILE_DIR need not match.
set(RW_PKG_PROFILES share/roomwatch/profiles)

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
# Maintainer: who answers for the package. The default is the identity the project's commits
# carry; a distributor sets their own (-DROOMWATCH_DEB_MAINTAINER="Name <address>").
set(ROOMWATCH_DEB_MAINTAINER
    "roomwatch maintainers <maintainers@users.noreply.b-seed-21f18d3b.example>"
    CACHE STRING "Maintainer field of the .deb: Name <address>")
set(CPACK_PACKAGE_CONTACT "${ROOMWATCH_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${ROOMWATCH_DEB_MAINTAINER}")
# Homepage: only if the build names one; the project has no public page (yet).
set(ROOMWATCH_HOMEPAGE "" CACHE STRING "Homepage field of the .deb (empty: none)")
if(ROOMWATCH_HOMEPAGE)
    set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${ROOMWATCH_HOMEPAGE}")
endif()
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "server-room monitoring agent: Modbus and SNMP to MQTT, with performance indicators")
# Continuation lines of a control field start with a space (deb-control(5)).
set(CPACK_PACKAGE_DESCRIPTION "roomwatchd runs on a gateway in a server room. It polls power \
meters, UPS units,\ntemperature/humidity sensors and network gear over Modbus RTU (RS-485), \
Modbus TCP and\nSNMP v2c/v3, and publishes their readings over MQTT (TLS, password auth). \
From the readings\nit computes the indicators of fiscal performance-target forms (days of \
power supply,\nvoltage stability, uptime, mean fault repair time) and opens incidents on \
alarm rules,\nkeeping both in a SQLite store that survives power cuts. The roomwatch command \
shows\nthem on the gateway; roomwatch-devsim simulates Modbus devices to try a config or a\n\
wiring before the real devices are connected.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
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
libpaho-mqtt1.3 (>= 1.3.0), libsnmp40 (>= 5.9.3+dfsg), libsqlite3-0 (>= 3.37.0), \
libssl3 (>= 3.0.0), libxlsxwriter4 (>= 1.1.4), zlib1g (>= 1:1.2.6)")
endif()
# Debug info stays in the build tree; a gateway's flash gets stripped binaries.
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX ${RW_DEB_DIR})
include(CPack)

# The package tests (label "package"), with -DROOMWATCH_PACKAGE_TESTS=ON in a native build
# (tools/run-tests.sh, variant "packages"): package-deb-build makes the .deb with cpack;
# package-deb inspects it and the arm64/armhf ones beside it if present
# (tests/firmware/test_deb.py); package-deb-install installs it on this machine with dpkg -i,
# runs the unit's commands as the service user against the demo room and purges it
# (tests/firmware/test_deb_install.py: root only, skipped otherwise; meant for the throwaway
# CI machine).
option(ROOMWATCH_PACKAGE_TESTS "Register the .deb tests (one installs the package: CI only)"
       OFF)
if(ROOMWATCH_PACKAGE_TESTS AND NOT CMAKE_CROSSCOMPILING)
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
    add_test(NAME package-deb-install COMMAND /usr/bin/python3
             ${CMAKE_SOURCE_DIR}/tests/firmware/test_deb_install.py ${RW_DEB_DIR}
             ${PROJECT_VERSION})
    set_tests_properties(package-deb-install PROPERTIES LABELS package FIXTURES_REQUIRED deb
                         TIMEOUT 900 RUN_SERIAL TRUE SKIP_RETURN_CODE 77
                         ENVIRONMENT "RW_SRC=${CMAKE_SOURCE_DIR};PYTHONDONTWRITEBYTECODE=1")
endif()
