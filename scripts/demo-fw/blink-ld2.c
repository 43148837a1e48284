/* LED blink demo for the NUCLEO-64 boards with one user LED, LD2 green on
 * PA5 (high = on; stm32-f1-l4-h7-targets.md 11), built per board by
 * scripts/gen-demo.sh with -DLF_DEMO_F103 or -DLF_DEMO_L476. Runs on the
 * clock after reset and times itself with SysTick COUNTFLAG polling (no
 * interrupts: the virtual bench has no NVIC): LD2 toggles every 100 ms.
 *   F103 (NUCLEO-F103RB; RM0008, CMSIS stm32f103xb.h): HSI 8 MHz;
 *     RCC_APB2ENR 0x40021018 bit 2 (IOPAEN); GPIOA 0x40010800: CRL +0x00
 *     (PA5 = bits 23:20: MODE 10 output 2 MHz, CNF 00 push-pull), ODR +0x0C.
 *   L476 (NUCLEO-L476RG; RM0351, CMSIS stm32l476xx.h): MSI 4 MHz;
 *     RCC_AHB2ENR 0x4002104C bit 0 (GPIOAEN); GPIOA 0x48000000: MODER +0x00
 *     (PA5 = bits 11:10, 01 output; reset 11 analog), ODR +0x14.
 * SysTick 0xE000E010 (ARMv7-M B3.3). */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#if defined(LF_DEMO_F103)
#define CLOCK_HZ 8000000u
#define GPIO_ENR REG(0x40021018u)
#define GPIO_ENR_BIT (1u << 2)
#define GPIOA_CFG REG(0x40010800u) /* CRL */
#define PA5_CFG_MASK (0xFu << 20)
#define PA5_CFG_OUT (0x2u << 20)
#define GPIOA_ODR REG(0x4001080Cu)
#elif defined(LF_DEMO_L476)
#define CLOCK_HZ 4000000u
#define GPIO_ENR REG(0x4002104Cu)
#define GPIO_ENR_BIT (1u << 0)
#define GPIOA_CFG REG(0x48000000u) /* MODER */
#define PA5_CFG_MASK (3u << 10)
#define PA5_CFG_OUT (1u << 10)
#define GPIOA_ODR REG(0x48000014u)
#else
#error "define LF_DEMO_F103 or LF_DEMO_L476"
#endif
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

#define TICK_MS 100u
#define LD2 (1u << 5)

void reset_handler(void);
extern uint32_t _estack;

__attribute__((section(".vectors"), used))
static const void *const vectors[2] = {&_estack, (const void *)reset_handler};

__attribute__((noreturn)) void reset_handler(void)
{
  GPIO_ENR |= GPIO_ENR_BIT;
  (void)GPIO_ENR; /* the clock takes effect before GPIOA is touched */
  GPIOA_CFG = (GPIOA_CFG & ~PA5_CFG_MASK) | PA5_CFG_OUT;
  SYST_RVR = CLOCK_HZ / 1000u * TICK_MS - 1u; /* 100 ms at the processor clock */
  SYST_CVR = 0;
  SYST_CSR = 5u;                              /* ENABLE | CLKSOURCE = processor clock */
  for (;;) {
    while (!(SYST_CSR & (1u << 16)))
      ;
    GPIOA_ODR ^= LD2;
  }
}
