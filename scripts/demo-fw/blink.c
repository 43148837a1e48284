/* LED blink demo for the NUCLEO-F767ZI and the NUCLEO-F429ZI (both
 * Nucleo-144: LD1 green PB0, LD2 blue PB7, LD3 red PB14; UM1974,
 * stm32f4-target.md 15). The same source is built per board by
 * scripts/gen-demo.sh (core flags and linker script differ; RCC, GPIOB and
 * the 16 MHz HSI are the same on both). Runs on the HSI after reset and times itself with
 * SysTick COUNTFLAG polling (no interrupts: the virtual bench has no NVIC):
 * LD1 toggles every 100 ms, LD2 every 200 ms, LD3 every 400 ms.
 * Registers: RCC_AHB1ENR 0x40023830 bit 1 (GPIOBEN), GPIOB 0x40020400
 * (MODER +0x00, ODR +0x14, BSRR +0x18); SysTick 0xE000E010 (ARMv7-M B3.3). */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define RCC_AHB1ENR REG(0x40023830u)
#define GPIOB_MODER REG(0x40020400u)
#define GPIOB_ODR REG(0x40020414u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

#define HSI_HZ 16000000u
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
  RCC_AHB1ENR |= 1u << 1;
  (void)RCC_AHB1ENR; /* the clock takes effect before GPIOB is touched */
  GPIOB_MODER = (GPIOB_MODER & ~((3u << 0) | (3u << 14) | (3u << 28))) |
                (1u << 0) | (1u << 14) | (1u << 28);
  SYST_RVR = HSI_HZ / 1000u * TICK_MS - 1u;  /* 100 ms at the processor clock */
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
