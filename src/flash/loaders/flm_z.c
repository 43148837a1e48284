/* The PROGRAM_Z routine of the CMSIS-Pack dispatcher (flm.c built with
 * LF_LDR_FLM_Z): int fn(ctrl, cmd, index) at its start, called by the
 * dispatcher with the command's result word naming it (flm.c
 * LF_LDR_FLM_Z_CHUNK), programs the inflated records through the
 * algorithm's ProgramPage. The host uploads it only for a compressed
 * stream; the dispatcher's other functions are not used here.
 *
 * gen-loaders: -mcpu=cortex-m3
 * gen-loaders: position-independent
 * gen-loaders: flags -ffixed-r9
 */
#define LF_LDR_FLM_Z 1
#pragma GCC diagnostic ignored "-Wunused-function"
#include "flm.c"
