#include "script/lf_version.h"

const char *lf_version(void) { return LF_VERSION; }
