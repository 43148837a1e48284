/* The PROGRAM_BITS routine of the STM32F2/F4/F7 loader (lf_loader_abi.h):
 * stm32f4f7.c built with LF_LDR_F47_B, which makes its lf_ldr_main the
 * bits-only program command (int fn(ctrl, cmd, index)) with the helpers it
 * needs. The host uploads it into the PROGRAM_Z region only for a stream
 * with PROGRAM_BITS commands (its counters: struct lf_ldr_bits at
 * LF_LDR_Z_WORK), so the loader itself stays as small as before.
 *
 * gen-loaders: -mcpu=cortex-m4
 * gen-loaders: position-independent */
#define LF_LDR_F47_B 1
#include "stm32f4f7.c"
