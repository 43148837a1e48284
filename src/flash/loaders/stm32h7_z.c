/* The PROGRAM_Z routine of the STM32H7 loader (lf_loader_abi.h "The
 * PROGRAM_Z region"): stm32h7.c built with LF_LDR_H7_Z, which makes its
 * lf_ldr_main the inflating program command (int fn(ctrl, cmd, index)) of
 * one bank (the loader settles that bank first). The host uploads it only
 * for a compressed stream. The loader's other functions are not used here.
 *
 * gen-loaders: -mcpu=cortex-m7
 * gen-loaders: position-independent */
#define LF_LDR_H7_Z 1
#pragma GCC diagnostic ignored "-Wunused-function"
#include "stm32h7.c"
