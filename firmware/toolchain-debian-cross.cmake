# Shared part of the cross toolchain files (toolchain-aarch64.cmake, toolchain-armhf.cmake):
# Debian's cross gcc for RW_TRIPLET, with the target's libraries in a sysroot that
# tools/install-deps.sh unpacks from Debian's packages (/opt/roomwatch/sysroot/<arch>; why a
# sysroot and not multiarch -dev packages: see there). Override with -DROOMWATCH_SYSROOT=DIR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${RW_PROCESSOR})
set(CMAKE_C_COMPILER ${RW_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${RW_TRIPLET})

if(NOT ROOMWATCH_SYSROOT)
    set(ROOMWATCH_SYSROOT /opt/roomwatch/sysroot/${RW_DEB_ARCH})
endif()
set(ROOMWATCH_SYSROOT ${ROOMWATCH_SYSROOT} CACHE PATH "Target libraries for the cross build")
# try_compile() reads this file again in a project of its own: without the override passed on
# it would fall back to the default sysroot and leave pkg-config's environment pointing there.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ROOMWATCH_SYSROOT)
if(NOT EXISTS ${ROOMWATCH_SYSROOT}/usr/lib/${RW_TRIPLET})
    message(FATAL_ERROR "no ${RW_DEB_ARCH} sysroot in ${ROOMWATCH_SYSROOT}: run tools/install-deps.sh")
endif()
# Not CMAKE_SYSROOT: the C library and its headers come from the cross toolchain
# (libc6-dev-<arch>-cross, same glibc as the sysroot's); the sysroot adds the libraries.
# The multiarch folder holds per-architecture headers (openssl/opensslconf.h, which
# net-snmp includes).
include_directories(SYSTEM ${ROOMWATCH_SYSROOT}/usr/include/${RW_TRIPLET} ${ROOMWATCH_SYSROOT}/usr/include)
link_directories(${ROOMWATCH_SYSROOT}/usr/lib/${RW_TRIPLET})
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-Wl,-rpath-link,${ROOMWATCH_SYSROOT}/usr/lib/${RW_TRIPLET}:${ROOMWATCH_SYSROOT}/lib/${RW_TRIPLET}")
set(CMAKE_FIND_ROOT_PATH ${ROOMWATCH_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads only the target's .pc files and prefixes their paths with the sysroot.
set(ENV{PKG_CONFIG_LIBDIR}
    "${ROOMWATCH_SYSROOT}/usr/lib/${RW_TRIPLET}/pkgconfig:${ROOMWATCH_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${ROOMWATCH_SYSROOT})

# What the .deb's Architecture field says (CPack).
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${RW_DEB_ARCH})
