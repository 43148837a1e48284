/* Demo: flash the LED-blink firmware onto the virtual NUCLEO-F767ZI with raw
 * ST-Link commands, reset it, and watch the LEDs. (Filled in with the board
 * integration.) */
#include <stdio.h>
#include "bench/bench.h"
int main(void)
{
  fprintf(stderr, "bench demo: not built yet\n");
  return 1;
}
