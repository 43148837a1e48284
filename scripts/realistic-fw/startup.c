/* Minimal Cortex-M startup of the realistic benchmark images: vector table,
 * .data copy, .bss clear, newlib's init, main. Written for this project. */
#include <stdint.h>
#include <string.h>

extern uint32_t __data_start, __data_end, __data_load, __bss_start__, __bss_end__, __stack_top;
extern int main(void);
extern void __libc_init_array(void);
void reset_handler(void);
static void fault(void) { for (;;) { } }

__attribute__((section(".isr_vector"), used)) void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, reset_handler, fault, fault, fault, fault, fault, 0, 0, 0, 0,
    fault, fault, 0, fault, fault};

void reset_handler(void)
{
  memcpy(&__data_start, &__data_load, (size_t)((char *)&__data_end - (char *)&__data_start));
  memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
  __libc_init_array();
  main();
  for (;;) { }
}
void _init(void) {}
void _fini(void) {}
void *__dso_handle = 0;
