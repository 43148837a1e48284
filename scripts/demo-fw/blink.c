/* LED blink demo for the NUCLEO-F767ZI, the NUCLEO-F429ZI and the
 * NUCLEO-H743ZI (all Nucleo-144: LD1 green PB0, LD2 blue PB7, LD3 red PB14;
 * UM1974, stm32f4-target.md 15, stm32-f1-l4-h7-targets.md 11). The same
 * source is built per board by scripts/gen-demo.sh (core flags, linker
 * script and, for the H743, -DBLINK_H7 differ). Runs on the HSI after reset
 * and times itself with SysTick COUNTFLAG polling (no interrupts: the
 * virtual bench has no NVIC): LD1 toggles every 100 ms, LD2 every 200 ms, LD3
 * every 400 ms. It uses no SRAM (the H7's D2 SRAMs are unclocked after
 * reset; the stack is at the top of DTCM or SRAM and never touched).
 * Registers: F7/F4: RCC_AHB1ENR 0x40023830 bit 1 (GPIOBEN), GPIOB
 * 0x40020400, HSI 16 MHz; H7 (CMSIS stm32h743xx.h): RCC_AHB4ENR 0x580244E0
 * bit 1, GPIOB 0x58020400 (reset: analog mode), HSI 64 MHz, no PLL, no
 * voltage scaling, no caches; GPIO MODER +0x00, ODR +0x14; SysTick
 * 0xE000E010 (ARMv7-M B3.3). */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#ifdef BLINK_H7
#define RCC_GPIOEN REG(0x580244E0u)
#define GPIOB_MODER REG(0x58020400u)
#define GPIOB_ODR REG(0x58020414u)
#define HSI_HZ 64000000u
#else
#define RCC_GPIOEN REG(0x40023830u)
#define GPIOB_MODER REG(0x40020400u)
#define GPIOB_ODR REG(0x40020414u)
#define HSI_HZ 16000000u
#endif
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

#define TICK_MS 100u
#define LD1 (1u << 0)
#define LD2 (1u << 7)
#define LD3 (1u << 14)

void reset_handler(void);
extern uint32_t _estack;

__attribute__((section(".vectors"), used))
static const void *const vectors[2] = {&_estack, (const void *)reset_handler};

__attribute__((noreturn)) void reset_handler(void)
{
  RCC_GPIOEN |= 1u << 1;
  (void)RCC_GPIOEN; /* the clock takes effect before GPIOB is touched */
  GPIOB_MODER = (GPIOB_MODER & ~((3u << 0) | (3u << 14) | (3u << 28))) |
                (1u << 0) | (1u << 14) | (1u << 28);
  SYST_RVR = HSI_HZ / 1000u * TICK_MS - 1u;  /* 100 ms at the processor clock (< 2^24) */
  SYST_CVR = 0;
  SYST_CSR = 5u;                              /* ENABLE | CLKSOURCE = processor clock */
  uint32_t n = 0;
  for (;;) {
    while (!(SYST_CSR & (1u << 16)))
      ;
    n++;
    uint32_t t = LD1;
    if ((n & 1u) == 0)
      t |= LD2;
    if ((n & 3u) == 0)
      t |= LD3;
    GPIOB_ODR ^= t;
  }
}
