# Cross build for 64-bit ARM gateways (Debian arm64):
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=firmware/toolchain-aarch64.cmake
# Tests run under qemu-aarch64 (CTest prefixes them with CMAKE_CROSSCOMPILING_EMULATOR).
set(RW_TRIPLET aarch64-linux-gnu)
set(RW_PROCESSOR aarch64)
set(RW_DEB_ARCH arm64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-debian-cross.cmake)

# -L names the sysroot, which holds libc6:arm64 whole (loader and libc of one package), so
# qemu never mixes the toolchain's loader with another libc (libraries.md section 8: that
# mix makes the first pthread_create spin). QEMU_LD_PREFIX would do the same.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-aarch64 -L ${ROOMWATCH_SYSROOT})
