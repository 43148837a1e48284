/* The PROGRAM_Z routine of the STM32F1 loader (lf_loader_abi.h "The PROGRAM_Z
 * region"): stm32f1.c built with LF_LDR_SERVE_Z, which makes lf_ldr_serve.h's
 * lf_ldr_main the inflating program command (int fn(ctrl, cmd, index)) on
 * the family's program functions. The host uploads it only for a
 * compressed stream. The family's other functions are not used here.
 *
 * gen-loaders: -mcpu=cortex-m3
 * gen-loaders: position-independent */
#define LF_LDR_SERVE_Z 1
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#include "stm32f1.c"
