/* The PROGRAM_Z routine of the RP2040 loader (lf_loader_abi.h "The
 * PROGRAM_Z region"): rp2040.c built with LF_LDR_RP_Z, which makes its
 * lf_ldr_main the inflating program command (int fn(ctrl, cmd, index)):
 * it enters command mode through the ROM functions the loader looked up
 * (control block), then programs the pages itself through the SSI while it
 * inflates (rp2040.c "PROGRAM_Z"). The host uploads it only for a
 * compressed stream. The loader's other functions are not used here.
 *
 * gen-loaders: -mcpu=cortex-m0plus
 * gen-loaders: position-independent
 * gen-loaders: flags -fno-jump-tables
 * (no case tables: on ARMv6-M they call libgcc helpers, and no libgcc is linked) */
#define LF_LDR_RP_Z 1
#pragma GCC diagnostic ignored "-Wunused-function"
#include "rp2040.c"
