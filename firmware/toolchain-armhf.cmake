# Cross build for 32-bit ARM gateways (Debian armhf, ARMv7 hard-float):
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=firmware/toolchain-armhf.cmake
# Built and packaged in CI, not tested there (the aarch64 build runs the tests under qemu).
set(RW_TRIPLET arm-linux-gnueabihf)
set(RW_PROCESSOR armv7l)
set(RW_DEB_ARCH armhf)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-debian-cross.cmake)
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-arm -L ${ROOMWATCH_SYSROOT})
# 64-bit file offsets (readdir, stat, lseek) on a 32-bit target: a directory of a large
# filesystem (ext4's hashed offsets, and qemu-arm on a 64-bit host) otherwise fails readdir()
# with EOVERFLOW, and a store past 2 GiB could not grow.
set(CMAKE_C_FLAGS_INIT "-D_FILE_OFFSET_BITS=64")
