/* STUB: the flash controller model goes here. */
#include "bench/soc.h"
