/* The PROGRAM_Z routine of the STM32F2/F4/F7 loader (lf_loader_abi.h "The
 * PROGRAM_Z region"): stm32f4f7.c built with LF_LDR_F47_Z, which makes its
 * lf_ldr_main the inflating program command (int fn(ctrl, cmd, index)) with
 * the helpers it needs. The host uploads it only for a compressed stream.
 *
 * gen-loaders: -mcpu=cortex-m4
 * gen-loaders: position-independent */
#define LF_LDR_F47_Z 1
#include "stm32f4f7.c"
