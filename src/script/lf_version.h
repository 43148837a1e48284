#ifndef LF_SCRIPT_VERSION_H
#define LF_SCRIPT_VERSION_H
/* luaflash's version string ("0.1.0"), from the CMake project version. */
const char *lf_version(void);
#endif
