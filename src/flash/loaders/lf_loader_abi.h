/* The contract between the on-target flash loader (loader.c in this folder,
 * built by scripts/gen-loaders.sh) and the host side (src/flash/loader.c).
 * Shared by both builds: plain C, fixed-width types, no host or target
 * headers.
 *
 * RAM picture (addresses chosen by the host, passed in r0 = the control
 * block):
 *
 *   LF_LDR_LOAD_ADDR  code (the blob; no .data/.bss)
 *   ctrl              struct lf_ldr_ctrl (this header)
 *   cmds              cmd_count x struct lf_ldr_cmd (a queue)
 *   stack             grows down from the ring base
 *   ring              ring_size bytes of program data
 *
 * Once started the loader stays running until an EXIT command (or an error):
 * the host appends commands (cmd_wr counts posted commands) and streams the
 * data of PROGRAM commands into the ring (data_wr counts bytes ever written);
 * the loader executes commands in order (cmd_rd counts finished commands) and
 * consumes the ring (data_rd counts bytes ever consumed). Counters are
 * free-running u32; "free space" is ring_size - (data_wr - data_rd). The host
 * never halts the core between operations; it reads the status block (one
 * memory read) only when it needs ring space or a result. */
#ifndef LF_LOADER_ABI_H
#define LF_LOADER_ABI_H

#include <stdint.h>

#define LF_LDR_LOAD_ADDR 0x20000000u /* linked here: RAM start of STM32F4 and F7 (DTCM) */
#define LF_LDR_READY 0x4C44524Cu     /* "LRDL": init finished, commands are served */
#define LF_LDR_ABI_VERSION 1u

/* Commands. */
enum {
  LF_LDR_OP_ERASE = 1,   /* arg = FLASH_CR.SNB value of one sector, | LF_LDR_ERASE_STARTED */
  LF_LDR_OP_MASS = 2,    /* arg = FLASH_CR mass-erase bits (MER 0x4 | MER2 0x8000) */
  LF_LDR_OP_PROGRAM = 3, /* addr, len: len bytes from the ring, PSIZE-aligned */
  LF_LDR_OP_CRC = 4,     /* addr, len: result = zlib crc32 of the bytes */
  LF_LDR_OP_EXIT = 5,    /* return to the BKPT (r0 = status) */
};

/* ERASE flag: the host already started this erase through the debug port
 * (before the loader was even uploaded); the loader only waits for it and
 * checks the flags. */
#define LF_LDR_ERASE_STARTED 0x100u

/* status values (0 = fine). */
enum {
  LF_LDR_ST_OK = 0,
  LF_LDR_ST_FLASH = 1,   /* FLASH_SR error: err_sr, err_addr (the failing word or sector) */
  LF_LDR_ST_BADCMD = 2,  /* unknown op or misaligned PROGRAM: err_addr = the command index */
  LF_LDR_ST_LOCKED = 3,  /* FLASH_CR.LOCK still set after the key sequence */
};

/* crc_mode */
enum {
  LF_LDR_CRC_SOFT = 0,   /* nibble table, no peripheral */
  LF_LDR_CRC_FIXED = 1,  /* F4 unit: CRC-32/MPEG-2 on words; loader bit-reverses (RBIT) */
  LF_LDR_CRC_PROG = 2,   /* F7 unit: INIT/POL/REV_IN/REV_OUT */
};

/* FLASH_SR error bits the loader checks (F7 3.4 / F4 3.4): OPERR WRPERR
 * PGAERR PGPERR ERSERR(PGSERR). */
#define LF_LDR_SR_ERRORS 0xF2u

struct lf_ldr_cmd {
  uint32_t op;
  uint32_t addr;   /* address, SNB or MER bits */
  uint32_t len;
  uint32_t result; /* CRC: the crc32; ERASE/PROGRAM: DWT cycles spent */
};

struct lf_ldr_ctrl {
  /* 0x00: configuration, written by the host before start */
  uint32_t magic;        /* loader writes LF_LDR_READY after init */
  uint32_t flash_regs;   /* FLASH interface base, 0x40023C00 */
  uint32_t psize;        /* FLASH_CR.PSIZE 0..3 for program and erase */
  uint32_t crc_mode;     /* LF_LDR_CRC_* */
  uint32_t crc_regs;     /* CRC unit base (0x40023000) */
  uint32_t rcc_enr;      /* RCC_AHB1ENR address (CRC clock), 0 = none */
  uint32_t rcc_bit;      /* its CRCEN mask */
  uint32_t acr_en;       /* FLASH_ACR cache enable bits (F7 ARTEN, F4 ICEN|DCEN) */
  uint32_t acr_rst;      /* FLASH_ACR cache reset bits (F7 ARTRST, F4 ICRST|DCRST) */
  uint32_t ring_base;
  uint32_t ring_size;    /* multiple of 8 */
  uint32_t cmd_base;
  uint32_t cmd_count;
  uint32_t ring_roff;    /* loader private: read offset in the ring */
  uint32_t version;      /* loader writes LF_LDR_ABI_VERSION */
  uint32_t iwdg_regs;    /* IWDG base (0x40003000): slowed to its longest timeout and
                            reloaded before every command; 0 = left alone */
  /* 0x40: host -> loader */
  uint32_t cmd_wr;
  uint32_t data_wr;
  uint32_t reserved1[2];
  /* 0x50: loader -> host (the status block the host polls) */
  uint32_t cmd_rd;
  uint32_t data_rd;
  uint32_t status;
  uint32_t err_addr;
  uint32_t err_sr;
  uint32_t cyc_erase;    /* DWT CYCCNT cycles in erase commands */
  uint32_t cyc_prog;     /* ... in program commands, incl. waiting for data */
  uint32_t cyc_starve;   /* ... of which the ring was empty */
  uint32_t cyc_crc;      /* ... in CRC commands */
  uint32_t reserved2[3];
};

#define LF_LDR_CTRL_SIZE 0x80u
#define LF_LDR_OFF_CMD_WR 0x40u
#define LF_LDR_OFF_DATA_WR 0x44u
#define LF_LDR_OFF_STATUS_BLOCK 0x50u
#define LF_LDR_STATUS_BLOCK_SIZE 0x30u

#endif
