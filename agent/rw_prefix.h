/*
 * rw_prefix.h - folders installed beside the running binary: <prefix>/<sub> for a binary in
 * <prefix>/sbin or <prefix>/bin (/usr/sbin/roomwatchd: /usr), found through /proc/self/exe.
 * It makes an install relocatable (the .deb puts everything under /usr whatever
 * CMAKE_INSTALL_PREFIX the build had) and lets a build tree's binaries (agent/roomwatchd,
 * tools/roomwatch/roomwatch) find what the build tree holds. The profiles
 * (cfg_default_profile_dir()) and the modules (rw_module_dir()) are found this way.
 */
#ifndef ROOMWATCH_RW_PREFIX_H
#define ROOMWATCH_RW_PREFIX_H

/* <prefix>/sub if that folder exists, malloc()ed; NULL otherwise (no /proc, no such folder,
 * out of memory). */
char *rw_prefix_dir(const char *sub);

#endif
