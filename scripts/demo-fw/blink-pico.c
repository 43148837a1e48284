/* Raspberry Pi Pico blink demo: the LED on GPIO25 toggles every 100 ms
 * (nrf52-rp2040-targets.md 9; RP2040 datasheet register map as in pico-sdk's
 * hardware_regs, addresses only). Built by scripts/gen-demo.sh.
 *
 * Layout (a Pico image): flash offset 0 holds a 256-byte second stage
 * (boot2) whose last word is the CRC-32 (MSB-first, init ~0, no final XOR)
 * of its first 252 bytes; gen-demo.sh computes it after linking. The boot
 * ROM copies boot2 to 0x20041F00, checks the CRC and runs it with XIP in
 * serial 0x03 mode. This boot2 is the bench's own minimal one: it keeps
 * the ROM's 0x03 XIP set-up (a real board's boot2 switches to quad
 * continuous read for speed, which the bench does not model), points VTOR
 * at the vector table at 0x10000100 and starts the application from it.
 *
 * The application: IO_BANK0 GPIO25_CTRL FUNCSEL = 5 (SIO), SIO GPIO_OE_SET
 * bit 25, then GPIO_OUT_XOR every 100 ms of TIMER TIMERAWL (1 MHz); no
 * interrupts (the bench has no NVIC). */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define RESETS_RESET_CLR REG(0x4000F000u)   /* RESETS_RESET + 0x3000 (atomic clear) */
#define RESETS_DONE REG(0x4000C008u)
#define RESET_IO_BANK0 (1u << 5)
#define RESET_TIMER (1u << 21)
#define GPIO25_CTRL REG(0x400140CCu)
#define SIO_GPIO_OE_SET REG(0xD0000024u)
#define SIO_GPIO_OUT_XOR REG(0xD000001Cu)
#define TIMERAWL REG(0x40054028u)
#define LED (1u << 25)
#define TICK_US 100000u

void reset_handler(void);
extern uint32_t _estack;

__attribute__((section(".boot2"), naked, used, noreturn)) void boot2(void)
{
  __asm__ volatile(
    "ldr r0, =0x10000100\n"
    "ldr r1, =0xE000ED08\n" /* VTOR */
    "str r0, [r1]\n"
    "ldr r1, [r0]\n"
    "msr msp, r1\n"
    "ldr r1, [r0, #4]\n"
    "bx r1\n"
    ".ltorg\n");
}

__attribute__((section(".vectors"), used))
static const void *const vectors[2] = {&_estack, (const void *)reset_handler};

__attribute__((noreturn)) void reset_handler(void)
{
  RESETS_RESET_CLR = RESET_IO_BANK0 | RESET_TIMER;
  while ((RESETS_DONE & (RESET_IO_BANK0 | RESET_TIMER)) != (RESET_IO_BANK0 | RESET_TIMER))
    ;
  GPIO25_CTRL = 5u; /* FUNCSEL SIO */
  SIO_GPIO_OE_SET = LED;
  uint32_t next = TIMERAWL + TICK_US;
  for (;;) {
    while ((int32_t)(TIMERAWL - next) < 0)
      ;
    next += TICK_US;
    SIO_GPIO_OUT_XOR = LED;
  }
}
