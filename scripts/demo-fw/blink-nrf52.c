/* LED blink demo for the Nordic nRF52840 DK (PCA10056): LED1-LED4 on
 * P0.13-P0.16, active low (a pin driven low lights its LED;
 * nrf52-rp2040-targets.md 2: GPIO P0 at 0x50000000). Runs on the 64 MHz
 * core clock after reset and times itself with SysTick COUNTFLAG polling
 * (no interrupts: the virtual bench has no NVIC): LED1 toggles every 100 ms,
 * LED2 every 200 ms, LED3 every 400 ms. Registers: P0 OUTSET +0x508,
 * DIRSET +0x518, OUT +0x504; SysTick 0xE000E010 (ARMv7-M B3.3). It uses no
 * RAM (the stack at the top of RAM is never touched). */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define P0_OUT REG(0x50000504u)
#define P0_OUTSET REG(0x50000508u)
#define P0_DIRSET REG(0x50000518u)
#define HCLK_HZ 64000000u
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

#define TICK_MS 100u
#define LED1 (1u << 13)
#define LED2 (1u << 14)
#define LED3 (1u << 15)
#define LED4 (1u << 16)

void reset_handler(void);
extern uint32_t _estack;

__attribute__((section(".vectors"), used))
static const void *const vectors[2] = {&_estack, (const void *)reset_handler};

__attribute__((noreturn)) void reset_handler(void)
{
  P0_OUTSET = LED1 | LED2 | LED3 | LED4;      /* all off (active low) */
  P0_DIRSET = LED1 | LED2 | LED3 | LED4;
  SYST_RVR = HCLK_HZ / 1000u * TICK_MS - 1u;  /* 100 ms: 6.4e6 - 1 < 2^24 */
  SYST_CVR = 0;
  SYST_CSR = 5u;                              /* ENABLE | CLKSOURCE = processor clock */
  uint32_t n = 0;
  for (;;) {
    while (!(SYST_CSR & (1u << 16)))
      ;
    n++;
    uint32_t t = LED1;
    if ((n & 1u) == 0)
      t |= LED2;
    if ((n & 3u) == 0)
      t |= LED3;
    P0_OUT ^= t;
  }
}
