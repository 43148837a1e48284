/* The bench's model parameters: every number that turns an event into virtual
 * time or into a behaviour that the references mark as uncertain lives here,
 * with its unit and its source. Nothing else in src/bench hard-codes a timing.
 *
 * Each field of lf_bench_params has one row in the descriptor table
 * (params.c); rows are printable and overridable by name ("key=value"), so an
 * assumption tagged [unconf] can be changed without recompiling. */
#ifndef LF_BENCH_PARAMS_H
#define LF_BENCH_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct lf_bench_params {
  /* --- USB (per transfer; full-speed unless the probe is high-speed) --- */
  double usb_fs_bit_rate;          /* bit/s */
  double usb_hs_bit_rate;          /* bit/s */
  double usb_fs_packet_overhead;   /* bytes of protocol overhead per packet */
  double usb_hs_packet_overhead;   /* bytes of protocol overhead per packet */
  double usb_fs_transfer_latency_ns; /* host stack + controller turnaround per round trip, full speed */
  double usb_hs_transfer_latency_ns; /* the same for a high-speed probe (STLINK-V3) */
  /* --- ST-Link firmware --- */
  double stlink_cmd_ns;            /* decode + dispatch of one 16-byte command */
  double stlink_swd_gap_ns;        /* firmware time between two SWD transactions */
  double stlink_wait_retries;      /* WAIT answers retried before SWD_AP_WAIT */
  double stlink_swclk_measured;    /* 1: use scope-measured SWCLK, 0: nominal */
  double stlink_nrst_pulse_ns;     /* DRIVE_NRST pulse (state 2) length */
  double stlink_enter_swd_ns;      /* ENTER SWD: line reset + JTAG-to-SWD + DPIDR */
  double stlink_poll_limit;        /* firmware polls (power-up ACK, DHCSR.S_REGRDY) before giving up */
  double stlink_write32_max;       /* longest WRITEMEM_32BIT data phase the firmware accepts (bytes) */
  double stlink_read_xfers_per_word;  /* SWD transactions per element read by READMEM_* (1 = TAR auto-increment) */
  double stlink_write_xfers_per_word; /* SWD transactions per element written by WRITEMEM_* */
  /* --- CMSIS-DAP firmware (vcmsisdap.c; cmsis-dap.md) --- */
  double usb_fs_frame_ns;          /* full-speed frame: one interrupt transaction per endpoint */
  double cmsisdap_cmd_ns;          /* decode + dispatch of one command */
  double cmsisdap_xfer_ns;         /* firmware time around each SWD transaction of a transfer */
  double cmsisdap_bulk_zlp;        /* 1: a bulk response of a multiple of 64 B ends with a ZLP */
  double cmsisdap_io_port_write_cycles; /* IO_PORT_WRITE_CYCLES of the clock formula */
  double cmsisdap_delay_slow_cycles;    /* DELAY_SLOW_CYCLES of the clock formula */
  double cmsisdap_daplink_packet_count; /* buffers = Info 0xFE answer */
  double cmsisdap_daplink_cpu_hz;  /* HIC core clock (CPU_CLOCK) */
  double cmsisdap_daplink_swclk_max_hz; /* bit-banged SWCLK ceiling whatever is requested */
  double cmsisdap_daplink_default_hz;   /* DAP_DEFAULT_SWJ_CLOCK */
  double cmsisdap_rpi_packet_count;     /* Info 0xFE answer */
  double cmsisdap_rpi_buffers;          /* request buffers (OUT NAKed when all are full) */
  double cmsisdap_rpi_clk_sys_hz;       /* RP2040 clk_sys (PIO and CPU_CLOCK) */
  double cmsisdap_rpi_default_hz;       /* DAP_DEFAULT_SWJ_CLOCK */
  /* --- SWD wire (cycles) --- */
  double swd_read_cycles;          /* request + turnaround + ACK + data + parity + turn */
  double swd_write_cycles;
  double swd_wait_cycles;          /* WAIT/FAULT answer without data phase */
  double swd_line_reset_bits;
  double swd_jtag_to_swd_bits;
  /* --- debug port / target --- */
  double dp_pwrup_ack_ns;          /* CxxxPWRUPREQ -> ACK delay */
  double dp_pwrdown_ack_never_clears; /* 1: board never drops the ACKs (NUCLEO-F767ZI report) */
  double core_hsi_hz;              /* SYSCLK after reset */
  double core_cpi;                 /* flat cycles per instruction (core_cycle_model 0) */
  double core_cycle_model;         /* 1: per-instruction-class cycles (cortexm.c), 0: core_cpi */
  double core_branch_refill;       /* P: pipeline refill cycles of a taken branch (M3/M4/M7) */
  double core_div_cycles;          /* SDIV/UDIV cycles (M3/M4/M7; early termination 2-12) */
  double core_m0p_branch_taken;    /* cycles of a taken B/B<cond> on the Cortex-M0+ */
  double crc_cycles_per_word;      /* HCLK cycles of one 32-bit CRC DR computation */
  double core_reset_ns;            /* NRST release / SYSRESETREQ to first instruction */
  double core_systick_ext_div;     /* SysTick CLKSOURCE=0 reference = SYSCLK / this */
  double pll_lock_ns;
  double hse_hz;                   /* 0: no HSE on the board (NUCLEO uses ST-LINK MCO 8 MHz) */
  /* --- flash (datasheet typical unless flash_timing_max) --- */
  double flash_timing_max;         /* 1: use the datasheet maxima */
  double flash_prog_ns_typ, flash_prog_ns_max;           /* per PSIZE access */
  double flash_erase16k_ns[4], flash_erase16k_max_ns[4];  /* index = PSIZE */
  double flash_erase32k_ns[4], flash_erase32k_max_ns[4];
  double flash_erase64k_ns[4], flash_erase64k_max_ns[4];
  double flash_erase128k_ns[4], flash_erase128k_max_ns[4];
  double flash_erase256k_ns[4], flash_erase256k_max_ns[4];
  double flash_mass_ns[4], flash_mass_max_ns[4];
  /* STM32F42x/F43x rows (stm32f4-target.md 9.1); the F4 description selects them. */
  double flash_f4_erase16k_ns[4], flash_f4_erase16k_max_ns[4];
  double flash_f4_erase64k_ns[4], flash_f4_erase64k_max_ns[4];
  double flash_f4_erase128k_ns[4], flash_f4_erase128k_max_ns[4];
  double flash_f4_mass_ns[4], flash_f4_mass_max_ns[4];
  /* STM32H743 (stm32-f1-l4-h7-targets.md "H7 n.m"; soc_stm32h7.c, flashctl_h7.c); index = PSIZE */
  double h7_hsi_hz;                /* HSI after reset (SYSCLK, HSIDIV /1) */
  double h7_prog_ns[4], h7_prog_max_ns[4];         /* one 256-bit flash word */
  double h7_erase_ns[4], h7_erase_max_ns[4];       /* one 128 KiB sector */
  double h7_bank_erase_ns[4], h7_bank_erase_max_ns[4]; /* one bank (BER; OPTCR.MER: both at once) */
  double h7_opt_ns;                /* option-byte change (OPT_BUSY) without an erase */
  double h7_reprogram_ecc_error;   /* 1: a flash word programmed twice reads as an ECC double error */
  double h7_d2sram_clock_gated;    /* 1: SRAM1-3 answer a bus error while their RCC clock is off */
  double h7_e0042000_value;        /* what 0xE0042000 (the F4/F7 DBGMCU address) reads on an H7 */
  double flash_opt_ns;             /* option-byte programming (without mass erase) */
  double flash_ndbank_change_erases; /* 1: changing nDBANK erases the array (safe assumption) */
  double flash_errors_block_ops;   /* 1: stale WRP/PGA/PGP/ERS errors refuse a new op (ERSERR) */
  double flash_eop_needs_eopie;    /* 1: EOP/OPERR only set when EOPIE/ERRIE (F4 text) */
  double rdp1_blocks_flash_with_debug; /* 1: RDP 1 + debugger since power-on (or boot from
                                          RAM/system memory): the core loses the flash too */
  double rdp1_debug_flash_error;   /* FLASH_SR bits a refused program/erase sets (WRPERR) */
  double iwdg_lsi_hz;              /* IWDG clock (LSI nominal) */
  /* --- STM32F1 (stm32-f1-l4-h7-targets.md 3, 6, 8; soc_stm32f1.c) --- */
  double f1_hsi_hz;                /* SYSCLK after reset (HSI) */
  double f1_lsi_hz;                /* IWDG clock */
  double f1_prog_ns_typ, f1_prog_ns_max;       /* tprog per half-word */
  double f1_page_erase_ns, f1_page_erase_max_ns; /* tERASE per page (1 or 2 KiB) */
  double f1_mass_erase_ns, f1_mass_erase_max_ns; /* tME (whole array) */
  double f1_keys_unlocked_lock;    /* 1: KEYR written while unlocked = wrong sequence */
  double f1_zero_overwrite_ok;     /* 1: 0x0000 may be written over a programmed half-word */
  double f1_wide_store_bus_error;  /* 1: byte/word stores to flash with PG = 1 answer a bus error */
  double f1_idcode_core_reads_zero; /* 1: DBGMCU_IDCODE reads 0 from the core (debugger only) */
  double f1_rdp_protects_first_pages; /* 1: RDP level 1 write-protects pages of the first 4 KiB */
  /* --- STM32L4 (stm32-f1-l4-h7-targets.md 4, 6, 8; soc_stm32l4.c) --- */
  double l4_msi_hz;                /* SYSCLK after reset (MSI range 6) */
  double l4_lsi_hz;                /* IWDG clock */
  double l4_prog_ns_typ, l4_prog_ns_max;         /* one 64-bit double word, standard programming */
  double l4_fast_row_ns_typ, l4_fast_row_ns_max; /* one row of 32 double words, fast programming */
  double l4_page_erase_ns, l4_page_erase_max_ns; /* one 2 KiB page */
  double l4_mass_erase_ns, l4_mass_erase_max_ns; /* one bank or both */
  double l4_opt_ns;                /* option-byte programming (OPTSTRT), without RDP regression */
  double l4_keys_unlocked_lock;    /* 1: KEYR written while unlocked = wrong sequence (locks) */
  double l4_eop_needs_eopie;       /* 1: EOP only with EOPIE, OPERR only with ERRIE */
  double l4_fast_needs_mass_erase; /* 1: fast programming of a bank not mass-erased since reset: PGSERR */
  double l4_options_load_on_system_reset; /* 1: NRST/SYSRESETREQ reload the option bytes too */
  /* --- RP2040 + W25Q16JV (nrf52-rp2040-targets.md 8-16; soc_rp2040.c) --- */
  double rp_clk_sys_hz;            /* clk_sys the bench runs at (no clock tree modeled) */
  double rp_w25_pp_ns, rp_w25_pp_max_ns;       /* tPP one 256-byte page */
  double rp_w25_se_ns, rp_w25_se_max_ns;       /* tSE 4 KiB sector */
  double rp_w25_be32_ns, rp_w25_be32_max_ns;   /* tBE1 32 KiB block */
  double rp_w25_be64_ns, rp_w25_be64_max_ns;   /* tBE2 64 KiB block */
  double rp_w25_ce_ns, rp_w25_ce_max_ns;       /* tCE chip erase */
  double rp_w25_timing_max;        /* 1: maximum datasheet times */
  double rp_w25_qe;                /* status register 2's QE bit (1: quad I/O commands work) */
  double rp_rom_call_ns;           /* fixed cost of one boot-ROM flash function besides SPI */
  double rp_ssi_baudr_reset;       /* SSI BAUDR the ROM's flash_exit_xip sets (clk_sys / BAUDR) */
  double rp_xip_read_ns;           /* one XIP read by a bus master (cache miss, serial 0x03) */
  double rp_dma_xfer_cycles;       /* clk_sys cycles per DMA transfer (read + write) */
  /* --- nRF52840 (issue 15: nrf52-rp2040-targets.md; soc_nrf52.c) --- */
  double nrf_hclk_hz;              /* core clock (64 MHz from reset) */
  double nrf_write_ns;             /* tWRITE: one 32-bit word */
  double nrf_erasepage_ns;         /* tERASEPAGE: one 4 KiB page */
  double nrf_eraseall_ns;          /* tERASEALL: NVMC ERASEALL (flash + UICR) */
  double nrf_eraseuicr_ns;         /* NVMC ERASEUICR */
  double nrf_partial_setup_ns;     /* added to every ERASEPAGEPARTIAL */
  double nrf_ctrlap_eraseall_ns;   /* CTRL-AP ERASEALL (flash, UICR, RAM) */
  double nrf_nwrite;               /* writes of one word between erases (nWRITE) */
  double nrf_nwrite_corrupts;      /* 1: a write past nWRITE leaves the word unreliable (garbage) */
  double nrf_readynext;            /* 1: one word write is buffered behind the one in progress */
  double nrf_hardened_approtect;   /* 1: build code F0 (hardened APPROTECT); 0: D0 (legacy) */
  double nrf_ctrlap_erases_ram;    /* 1: CTRL-AP ERASEALL clears RAM too */
  double nrf_pin_reset_needs_pselreset; /* 1: P0.18 resets only with UICR.PSELRESET set */
  /* --- bench run --- */
  double run_slice_ns;             /* core catch-up granularity for lf_bench_run */
} lf_bench_params;

typedef struct lf_param_desc {
  const char *name;
  size_t offset;      /* into lf_bench_params (a double) */
  const char *unit;
  const char *source; /* reference row or spec; "[unconf] ..." for assumptions */
} lf_param_desc;

void lf_bench_params_default(lf_bench_params *p);
size_t lf_bench_params_table(const lf_param_desc **rows);
/* "name=value" with an optional unit suffix (ns, us, ms, s, Hz, kHz, MHz).
 * Returns 0, or -1 with a message in err. */
int lf_bench_params_set(lf_bench_params *p, const char *assignment, char *err, size_t errlen);
void lf_bench_params_print(const lf_bench_params *p, FILE *out);

/* Helpers that pick typ/max per flash_timing_max. psize 0..3 = x8..x64. */
double lf_param_flash_prog_ns(const lf_bench_params *p);
double lf_param_flash_erase_ns(const lf_bench_params *p, uint32_t sector_bytes, unsigned psize);
double lf_param_flash_mass_ns(const lf_bench_params *p, unsigned psize, uint32_t bank_bytes);
/* F42x/F43x rows (flash_f4_*): sector erase by size; mass erase of bytes
 * (both banks = 2 MiB = tME, one bank scaled by size). */
double lf_param_flash_f4_erase_ns(const lf_bench_params *p, uint32_t sector_bytes, unsigned psize);
double lf_param_flash_f4_mass_ns(const lf_bench_params *p, unsigned psize, uint32_t bytes);

#endif
