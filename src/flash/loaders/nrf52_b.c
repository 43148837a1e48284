/* The PROGRAM_BITS routine of the nRF52 loader (lf_loader_abi.h): nrf52.c
 * built with LF_LDR_SERVE_BITS (lf_ldr_bits.h), uploaded by the host into
 * the PROGRAM_Z region only for a stream with PROGRAM_BITS commands.
 *
 * gen-loaders: -mcpu=cortex-m4
 * gen-loaders: position-independent */
#define LF_LDR_SERVE_BITS 1
#pragma GCC diagnostic ignored "-Wunused-function" /* the loader's hooks it does not call */
#include "nrf52.c"
