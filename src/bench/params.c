#include "bench/params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F7REF "stm32f7-target.md"
#define PPREF "probe-protocols.md"
#define F4REF "stm32f4-target.md"
#define CDREF "cmsis-dap.md"
#define FLHREF "stm32-f1-l4-h7-targets.md"
#define RPREF "nrf52-rp2040-targets.md"
#define NRREF "nrf52-rp2040-targets.md"
#define ROW(field, unit, src) {#field, offsetof(lf_bench_params, field), unit, src}
#define ROW4(field, unit, src)                                                   \
  {#field "[x8]", offsetof(lf_bench_params, field) + 0 * sizeof(double), unit, src}, \
  {#field "[x16]", offsetof(lf_bench_params, field) + 1 * sizeof(double), unit, src}, \
  {#field "[x32]", offsetof(lf_bench_params, field) + 2 * sizeof(double), unit, src}, \
  {#field "[x64]", offsetof(lf_bench_params, field) + 3 * sizeof(double), unit, src}

static const lf_param_desc rows[] = {
  ROW(usb_fs_bit_rate, "bit/s", "USB 2.0 full speed 12 Mbit/s (" PPREF " 4.4)"),
  ROW(usb_hs_bit_rate, "bit/s", "USB 2.0 high speed 480 Mbit/s (" PPREF " 4.4)"),
  ROW(usb_fs_packet_overhead, "B", "USB 2.0 table 5-9: 19 x 64 B bulk packets per 1 ms frame -> 79 B on the wire per 64 B"),
  ROW(usb_hs_packet_overhead, "B", "USB 2.0 table 5-10: 13 x 512 B bulk packets per 125 us microframe -> 577 B per 512 B"),
  ROW(usb_fs_transfer_latency_ns, "ns", "[unconf] full-speed host/xHCI submit-to-completion turnaround, paid once per round trip (transfers queued back to back share it): 160 us fits yapicoprobe #108 (probe-rs benchmark, CMSIS-DAP v2 FS, 0.466 ms per 4-byte read; calibration P7); public range 0.33-0.47 ms per OUT+IN round trip, ~1-2 ms on frame-quantized hosts (PSAS 2012, rusb #21) as the high value; usb_transfer_latency_ns=V sets this and the HS row"),
  ROW(usb_hs_transfer_latency_ns, "ns", "[unconf] high-speed (STLINK-V3) turnaround per round trip: ~40 us to send a 16-byte command on a STLINK-V3MINIE (ST community 2026, calibration P6)"),
  ROW(stlink_cmd_ns, "ns", "[unconf] firmware decode/dispatch per command; no source (V3 READMEM fixed cost ~70-100 us incl. USB fits P6)"),
  ROW(stlink_swd_gap_ns, "ns", "[unconf] firmware gap between SWD transactions: 150 ns fits the STLINK-V3 384 KiB read at 24 MHz with 3 transactions per word (calibration P6); V2 not measured, public fits allow 0-1 us"),
  ROW(stlink_wait_retries, "", "[unconf] firmware-internal WAIT retries before reporting SWD_AP_WAIT 0x10"),
  ROW(stlink_swclk_measured, "bool", "[disagree] 0 = nominal divisor clocks (1.8 MHz, 4 MHz ...): with single access, three public runs fit them within +-9 % (P5 OpenOCD dump_image F411 ST-LINK/V2, P6 V3, P8 OpenOCD F746); 1 = psdb scope measurements (" PPREF " 1.10: divisor 0 = 2360 kHz, 1 = 1553 kHz ...), +21-25 % on P5/P8"),
  ROW(stlink_nrst_pulse_ns, "ns", "[unconf] DRIVE_NRST state 2 pulse length"),
  ROW(stlink_enter_swd_ns, "ns", "[unconf] firmware work on ENTER besides the wire sequences"),
  ROW(stlink_poll_limit, "", "[unconf] ST-Link firmware polls of CTRL/STAT ACKs (ENTER) and DHCSR.S_REGRDY (READREG/WRITEREG) before an error status"),
  ROW(stlink_write32_max, "B", "[disagree] (" PPREF " 1.7, 6.2) OpenOCD/pyOCD send <= 6144, probe-rs up to 65532; st-flash 1.7 loads its F4/F7 flash-loader data with one 32768-byte WRITEMEM_32BIT (bench finding 2)"),
  ROW(stlink_read_xfers_per_word, "", "ST-Link memory reads in SWD mode do single accesses ('according to ST they do single access in SWD mode', OpenOCD stlink_usb.c comment since 2013): per element TAR write + DRW read + RDBUFF read = 3; fits P5 (V2, 128 KiB dump_image) and P6 (V3, 384 KiB read) within +-9 %; 1 = one DRW read per element with TAR auto-increment [interpretation]"),
  ROW(stlink_write_xfers_per_word, "", "[unconf] the same statement for writes: TAR write + DRW write = 2 per element; P8 (OpenOCD F746 write_image) only bounds it; 1 = auto-increment"),
  ROW(usb_fs_frame_ns, "ns", "USB 2.0 full-speed frame 1 ms: one interrupt (HID) transaction per endpoint per frame at bInterval 1 (" PPREF " 4.4, " CDREF " 6)"),
  ROW(cmsisdap_cmd_ns, "ns", "[unconf] CMSIS-DAP firmware decode/dispatch per command: no published number (" CDREF " 6, 8 #3); calibrate against the 0.47 ms single-read round trip (yapicoprobe #108)"),
  ROW(cmsisdap_xfer_ns, "ns", "[unconf] CMSIS-DAP firmware loop around each SWD transaction of DAP_Transfer/TransferBlock (each WAIT retry included): no published number (" CDREF " 6)"),
  ROW(cmsisdap_bulk_zlp, "bool", "[unconf] whether DAPLink/debugprobe end a bulk response whose length is a multiple of wMaxPacketSize with a ZLP when the host reads more (" CDREF " 7 #5); 0: the host's read runs into its timeout"),
  ROW(cmsisdap_io_port_write_cycles, "cycles", "IO_PORT_WRITE_CYCLES 2 (ARM DAP_config.h template; DAPLink k20dx DAP_config.h); debugprobe's value [unconf]"),
  ROW(cmsisdap_delay_slow_cycles, "cycles", "DELAY_SLOW_CYCLES 3 (ARM DAP.h, Set_Clock_Delay; " CDREF " 6)"),
  ROW(cmsisdap_daplink_packet_count, "", "DAPLink k20dx HIC DAP_PACKET_COUNT 5 (" CDREF " 5 per-HIC table; DAPLink hic_hal/freescale/k20dx/DAP_config.h)"),
  ROW(cmsisdap_daplink_cpu_hz, "Hz", "[unconf] k20dx (MK20DX128) SystemCoreClock 48 MHz: CPU_CLOCK of the reference clock formula"),
  ROW(cmsisdap_daplink_swclk_max_hz, "Hz", "[unconf] bit-banged DAPLink HICs top out at 1.7-2.3 MHz real SWCLK whatever is requested (DAPLink #627; " CDREF " 6)"),
  ROW(cmsisdap_daplink_default_hz, "Hz", "DAPLink k20dx DAP_DEFAULT_SWJ_CLOCK 1 MHz (" CDREF " 5)"),
  ROW(cmsisdap_rpi_packet_count, "", "debugprobe v2.3.x: 8 buffers reported as Packet Count 6 (" CDREF " 2.2, 3.1; RPI commit 93c95e4)"),
  ROW(cmsisdap_rpi_buffers, "", "debugprobe v2.3.x request buffers 8; the OUT is NAKed when all are full (" CDREF " 3.1)"),
  ROW(cmsisdap_rpi_clk_sys_hz, "Hz", "[unconf] RP2040 clk_sys 125 MHz (SDK default; " CDREF " 6, 8 #6): SWCLK = clk_sys / (4 div)"),
  ROW(cmsisdap_rpi_default_hz, "Hz", "[unconf] debugprobe DAP_DEFAULT_SWJ_CLOCK (not in the references; hosts set the clock)"),
  ROW(swd_read_cycles, "cycles", PPREF " 4.1: 8+T+3+32+1+T with T=1"),
  ROW(swd_write_cycles, "cycles", PPREF " 4.1: 8+T+3+T+32+1"),
  ROW(swd_wait_cycles, "cycles", PPREF " 4.1: WAIT/FAULT without data phase 8+T+3+T"),
  ROW(swd_line_reset_bits, "bits", PPREF " 4.2: line reset 64 bits (OpenOCD)"),
  ROW(swd_jtag_to_swd_bits, "bits", PPREF " 4.2: JTAG-to-SWD 136 bits"),
  ROW(dp_pwrup_ack_ns, "ns", "[unconf] power-up acknowledge delay"),
  ROW(dp_pwrdown_ack_never_clears, "bool", F7REF " 13 #4: ACKs stay set after the request is cleared (user report; unconfirmed)"),
  ROW(core_hsi_hz, "Hz", F7REF " 9.2: HSI 16 MHz after reset"),
  ROW(core_cpi, "cycles", "[unconf] flat cycles per instruction, used only with core_cycle_model=0"),
  ROW(core_cycle_model, "bool", "1 = per-instruction-class cycles: Cortex-M3/M4 instruction timing tables (ARM Cortex-M4 TRM 3.3, TI SWCU192, M3 TRM copy): data processing/MUL 1, LDR 2 (1 after an LDR/STR), STR 2 (1 after an LDR), LDM/STM/PUSH/POP 1+N, taken branch 1+P, not-taken 1, SDIV/UDIV core_div_cycles; Cortex-M7 = M4 as an upper bound [unconf]; Cortex-M0+ TRM: most 1, loads/stores 2, LDM/STM 1+N, taken branch core_m0p_branch_taken, BL 3; 0 = flat core_cpi"),
  ROW(core_branch_refill, "cycles", "[unconf] P of the M3/M4 tables ('P ranges from 1 to 3', pipeline refill of a taken branch); 2"),
  ROW(core_div_cycles, "cycles", "[unconf] SDIV/UDIV 2-12 cycles (early termination, M3/M4 tables): a typical 7"),
  ROW(core_m0p_branch_taken, "cycles", "[unconf] Cortex-M0+ TRM: taken B/B<cond> 2 cycles, not taken 1 (BL 3, BX 2)"),
  ROW(crc_cycles_per_word, "cycles", "RM0090 4.2 (F4) 'CRC computation done in 4 AHB clock cycles (HCLK)': a DR write while the previous word is computed stalls the master; newer CRC IP (RM0091/RM0351; F7 assumed [unconf]) buffers one write"),
  ROW(core_reset_ns, "ns", "[unconf] reset release to first instruction fetch"),
  ROW(core_systick_ext_div, "", "[unconf] SysTick external reference (CLKSOURCE=0) = HCLK/8 on STM32 (RM0410 not read)"),
  ROW(pll_lock_ns, "ns", "[unconf] PLL lock time; OpenOCD waits 10 ms (" F7REF " 17)"),
  ROW(hse_hz, "Hz", "NUCLEO-F767ZI: 8 MHz MCO from the ST-LINK (UM1974, unconfirmed); 0 = no HSE"),
  ROW(flash_timing_max, "bool", F7REF " 9.1: 0 = typical, 1 = maximum datasheet times"),
  ROW(flash_prog_ns_typ, "ns", F7REF " 9.1 tPROG typ 16 us (unconfirmed; corroborated: P8 OpenOCD 512 KiB write_image on an F746 and the P4 CubeProgrammer F767 65 KB bound put it near typ)"),
  ROW(flash_prog_ns_max, "ns", F7REF " 9.1 tPROG max 100 us (unconfirmed)"),
  ROW4(flash_erase16k_ns, "ns", "[unconf] dual-bank 16 KiB erase: not known; half of 32 KiB"),
  ROW4(flash_erase16k_max_ns, "ns", "[unconf] half of 32 KiB max"),
  ROW4(flash_erase32k_ns, "ns", F7REF " 9.1 tERASE32KB typ (unconfirmed; x64 = x32; P8 F746 x8 erases and P14 CubeProgrammer F746 total are at or below typ)"),
  ROW4(flash_erase32k_max_ns, "ns", F7REF " 9.1 tERASE32KB max (unconfirmed)"),
  ROW4(flash_erase64k_ns, "ns", "[unconf] dual-bank 64 KiB erase: not known; half of 128 KiB"),
  ROW4(flash_erase64k_max_ns, "ns", "[unconf] half of 128 KiB max"),
  ROW4(flash_erase128k_ns, "ns", F7REF " 9.1 tERASE128KB typ (unconfirmed)"),
  ROW4(flash_erase128k_max_ns, "ns", F7REF " 9.1 tERASE128KB max (unconfirmed)"),
  ROW4(flash_erase256k_ns, "ns", F7REF " 9.1 tERASE256KB typ (unconfirmed)"),
  ROW4(flash_erase256k_max_ns, "ns", F7REF " 9.1 tERASE256KB max (unconfirmed)"),
  ROW4(flash_mass_ns, "ns", F7REF " 9.1 tME 2 MiB typ (unconfirmed); a one-bank (dual-bank mode) erase takes the full tME, as the F4 rows (P13: 1 MiB F407 ~8 s at x32 = full tME; P11)"),
  ROW4(flash_mass_max_ns, "ns", F7REF " 9.1 tME max (unconfirmed)"),
  ROW4(flash_f4_erase16k_ns, "ns", F4REF " 9.1 tERASE16KB typ (unconfirmed; x64 = VPP column)"),
  ROW4(flash_f4_erase16k_max_ns, "ns", F4REF " 9.1 tERASE16KB max (unconfirmed; x64 = x32)"),
  ROW4(flash_f4_erase64k_ns, "ns", F4REF " 9.1 tERASE64KB typ (unconfirmed; x64 = VPP column)"),
  ROW4(flash_f4_erase64k_max_ns, "ns", F4REF " 9.1 tERASE64KB max (unconfirmed; x64 = x32)"),
  ROW4(flash_f4_erase128k_ns, "ns", F4REF " 9.1 tERASE128KB typ (DS8626 maxima corroborate; P12: F407 HAL sector erase ~1 s by scope at x32)"),
  ROW4(flash_f4_erase128k_max_ns, "ns", F4REF " 9.1 tERASE128KB max (DS8626 sibling; x64 = x32)"),
  ROW4(flash_f4_mass_ns, "ns", F4REF " 9.1 tME typ, one bank or both: full tME for a one-bank erase (P13: Adafruit_DAP #7, 1 MiB single-bank F407 mass erase at x32 ~8 s 'stlink also take the same amount'; P11: pyOCD #421, 2 MiB F439 chip erase at x8 ~15 s = 0.94 x typ)"),
  ROW4(flash_f4_mass_max_ns, "ns", F4REF " 9.1 tME max (unconfirmed; x64 = x32)"),
  ROW(h7_hsi_hz, "Hz", FLHREF " 8: HSI 64 MHz after reset (CMSIS HSI_VALUE)"),
  ROW4(h7_prog_ns, "ns", "[unconf] " FLHREF " 6: flash word (256 bit) program typ x8 290, x16 180, x32 130, x64 100 us (DS12110)"),
  ROW4(h7_prog_max_ns, "ns", "[unconf] " FLHREF " 6: flash word program max x8 580, x16 360, x32 260, x64 200 us"),
  ROW4(h7_erase_ns, "ns", FLHREF " 6: 128 KiB sector erase typ x64 1 s, x32 1.1 s (DS12110 Table 53); x16 1.8 s, x8 2 s [unconf, disagree: 1.8 typ / 2.6 max for H753]"),
  ROW4(h7_erase_max_ns, "ns", FLHREF " 6: sector erase max x64 2 s, x32 2.2 s (DS12110 Table 53); x16 3.6 s, x8 4 s [unconf]"),
  ROW4(h7_bank_erase_ns, "ns", "[unconf] " FLHREF " 6: bank erase typ x8 13 s ... x64 5 s (x16 8 s, x32 6 s interpolated); both banks erase at once (RM0433 3.3.7)"),
  ROW4(h7_bank_erase_max_ns, "ns", "[unconf] " FLHREF " 6: bank erase max x8 26 s ... x64 10 s (x16 16 s, x32 12 s interpolated)"),
  ROW(h7_opt_ns, "ns", "[unconf] option-byte change without RDP regression (OPT_BUSY); as flash_opt_ns"),
  ROW(h7_reprogram_ecc_error, "bool", "[unconf] " FLHREF " 5.3: re-programming a written flash word breaks its 10-bit ECC: reads of it set DBECCERR + ECC_FA and answer a bus error; 0 = plain NOR AND"),
  ROW(h7_d2sram_clock_gated, "bool", "[unconf] " FLHREF " 2.3/2.4/12 #15: SRAM1-3 clocks (RCC_AHB2ENR 29-31) are off after reset; 1 = any access answers a bus error until enabled, 0 = always accessible"),
  ROW(h7_e0042000_value, "", FLHREF " 1.3: not the DBGMCU on an H7; one log read 0x00002001 there (≈)"),
  ROW(flash_opt_ns, "ns", "[unconf] option-byte write without RDP regression"),
  ROW(flash_ndbank_change_erases, "bool", "[unconf] " F7REF " 4.5: whether an nDBANK change erases flash is not known; 1 = erase (safe)"),
  ROW(flash_errors_block_ops, "bool", "[unconf] F4-style: a program/erase with stale WRPERR/PGAERR/PGPERR/ERSERR set fails with ERSERR (" F7REF " 13 #8)"),
  ROW(flash_eop_needs_eopie, "bool", "[unconf] " F7REF " 3.4: EOP only with EOPIE, OPERR only with ERRIE (RM0090 text)"),
  ROW(rdp1_blocks_flash_with_debug, "bool", "[unconf] " F7REF " 5 / " F4REF " 5 (standard ST behaviour): RDP level 1 with the debug port used since power-on (first AHB-AP access; a system reset keeps it) or after a boot from RAM/system memory: no flash/OTP/backup-SRAM access for the core either (reads bus error, program/erase refused); option programming (RDP 1 -> 0) still works. RM0402 read-protection text (F412, same controller; manualslib copy p.69): no read/erase/program while the debug feature is connected or after a RAM/system-memory boot, bus error on reads; 0 = only debugger accesses fail"),
  ROW(rdp1_debug_flash_error, "bits", "[unconf] " F4REF " 5: program/erase refused as if write-protected (ST HAL note on the WRP functions); the flag is unconfirmed: default WRPERR 0x10"),
  ROW(iwdg_lsi_hz, "Hz", "[unconf] LSI nominal 32 kHz (RM0410 not read)"),
  ROW(f1_hsi_hz, "Hz", FLHREF " 8: HSI 8 MHz after reset (OpenOCD cfg comment, CMSIS HSI_VALUE)"),
  ROW(f1_lsi_hz, "Hz", "[unconf] DS5319 LSI 30/40/60 kHz min/typ/max (recalled; the reference has no LSI row)"),
  ROW(f1_prog_ns_typ, "ns", FLHREF " 6: DS5319 Table 28 tprog 16-bit typ 52.5 us"),
  ROW(f1_prog_ns_max, "ns", FLHREF " 6: DS5319 Table 28 tprog 16-bit max 70 us"),
  ROW(f1_page_erase_ns, "ns", FLHREF " 6: DS5319 Table 28 tERASE min 20 ms (no typical given; the reference's floor uses the minimum)"),
  ROW(f1_page_erase_max_ns, "ns", FLHREF " 6: DS5319 Table 28 tERASE max 40 ms"),
  ROW(f1_mass_erase_ns, "ns", FLHREF " 6: DS5319 Table 28 tME min 20 ms (no typical given)"),
  ROW(f1_mass_erase_max_ns, "ns", FLHREF " 6: DS5319 Table 28 tME max 40 ms"),
  ROW(f1_keys_unlocked_lock, "bool", "[unconf] " FLHREF " 3.3, 12 #6: OpenOCD 0.12 writes both KEYR keys without checking LOCK; 0 = keys while unlocked are ignored (that path keeps working)"),
  ROW(f1_zero_overwrite_ok, "bool", "[unconf] " FLHREF " 3.3 (PM0075): programming 0x0000 over a programmed half-word is accepted; anything else but over 0xFFFF sets PGERR"),
  ROW(f1_wide_store_bus_error, "bool", "[unconf] " FLHREF " 3.3 (PM0075): with PG = 1 only half-word stores program; byte/word stores answer a bus error (GD32 clones accept words)"),
  ROW(f1_idcode_core_reads_zero, "bool", "[unconf] " FLHREF " 1.1, 12 #12: DBGMCU_IDCODE reads 0 from firmware (debugger-only register)"),
  ROW(f1_rdp_protects_first_pages, "bool", "[unconf] " FLHREF " 3.4 (RM0008 3.3 recalled): with read protection the first 4 KiB of flash are write-protected"),
  ROW(l4_msi_hz, "Hz", FLHREF " 8: MSI 4 MHz (range 6) after reset (OpenOCD cfg comment)"),
  ROW(l4_lsi_hz, "Hz", "[unconf] DS10198 LSI 32 kHz typical (recalled; the reference has no LSI row)"),
  ROW(l4_prog_ns_typ, "ns", "[unconf] " FLHREF " 6: DS10198 tprog 64-bit typ 81.69 us"),
  ROW(l4_prog_ns_max, "ns", "[unconf] " FLHREF " 6: DS10198 tprog 64-bit max 90.76 us"),
  ROW(l4_fast_row_ns_typ, "ns", "[unconf] " FLHREF " 6: DS10198 one row (32 double words) fast programming typ 1.91 ms"),
  ROW(l4_fast_row_ns_max, "ns", "[unconf] " FLHREF " 6: DS10198 fast row max 2.12 ms"),
  ROW(l4_page_erase_ns, "ns", "[unconf] " FLHREF " 6: DS10198 tERASE page typ 22.02 ms"),
  ROW(l4_page_erase_max_ns, "ns", "[unconf] " FLHREF " 6: DS10198 tERASE max 24.47 ms (OpenOCD: 'as high as 25 ms')"),
  ROW(l4_mass_erase_ns, "ns", "[unconf] " FLHREF " 6: DS10198 tME one or both banks typ 22.13 ms"),
  ROW(l4_mass_erase_max_ns, "ns", "[unconf] " FLHREF " 6: DS10198 tME max 24.59 ms"),
  ROW(l4_opt_ns, "ns", "[unconf] " FLHREF " 6: option change = page erase + program (22.02 ms + the option double words)"),
  ROW(l4_keys_unlocked_lock, "bool", "[unconf] " FLHREF " 4.3, 12 #6: OpenOCD's stm32l4x comment: a KEYR write fails when already unlocked; 1 = it locks FLASH_CR until reset"),
  ROW(l4_eop_needs_eopie, "bool", "[unconf] RM0351 as recalled: EOP set only with EOPIE, OPERR only with ERRIE"),
  ROW(l4_fast_needs_mass_erase, "bool", "[disagree] " FLHREF " 4.3: ST asks for a mass erase of the bank before fast programming (else PGSERR); a community test on an L431 found a page erase enough; 0 = page erase is enough"),
  ROW(l4_options_load_on_system_reset, "bool", "[unconf] RM0351 as recalled: option bytes load at power-on and OBL_LAUNCH; 0 = NRST/SYSRESETREQ keep the loaded ones"),
  /* --- RP2040 block (fam-rp2040) --- */
  ROW(rp_clk_sys_hz, "Hz", "[unconf] " RPREF " 14: clk_sys is whatever earlier firmware set (pico-sdk applications 125 MHz); the bench has no clock tree and runs the ROM and the cores at this"),
  ROW(rp_w25_pp_ns, "ns", RPREF " 12: W25Q16JV tPP typ 0.4 ms (BMP rp.c transcription of the datasheet)"),
  ROW(rp_w25_pp_max_ns, "ns", RPREF " 12: tPP max 3 ms"),
  ROW(rp_w25_se_ns, "ns", RPREF " 12: tSE 4 KiB typ 45 ms"),
  ROW(rp_w25_se_max_ns, "ns", RPREF " 12: tSE max 400 ms"),
  ROW(rp_w25_be32_ns, "ns", RPREF " 12: tBE1 32 KiB typ 120 ms"),
  ROW(rp_w25_be32_max_ns, "ns", RPREF " 12: tBE1 max 1600 ms"),
  ROW(rp_w25_be64_ns, "ns", RPREF " 12: tBE2 64 KiB typ 150 ms"),
  ROW(rp_w25_be64_max_ns, "ns", RPREF " 12: tBE2 max 2000 ms"),
  ROW(rp_w25_ce_ns, "ns", RPREF " 12: tCE typ 5 s"),
  ROW(rp_w25_ce_max_ns, "ns", RPREF " 12: tCE max 25 s"),
  ROW(rp_w25_timing_max, "bool", RPREF " 12: 0 = typical, 1 = maximum W25Q16JV times"),
  ROW(rp_w25_qe, "bool", "[unconf] W25Q16JV status register 2 QE (bit 1), as read by 0x35: set on a Pico (boot2 needs it for its quad reads; the IQ ordering codes ship with it set, as recalled); 0 = clear (0x32 then programs nothing)"),
  ROW(rp_rom_call_ns, "ns", "[unconf] boot-ROM function bookkeeping besides its SPI bytes and flash busy time (register set-up, CS toggles); no measurement"),
  ROW(rp_ssi_baudr_reset, "", RPREF " 10.1: flash_exit_xip sets SSI BAUDR = 6 (SCK = clk_sys / 6)"),
  ROW(rp_xip_read_ns, "ns", "[unconf] one uncached XIP read in serial 0x03 mode: 8 + 24 + 32 SCK at clk_sys / BAUDR; the bench charges this fixed cost per debug read (no cache model)"),
  ROW(rp_dma_xfer_cycles, "cycles", "[unconf] one DMA transfer = a read and a write on the bus fabric, no wait states (the RP2040 datasheet's DMA chapter not read; XIP serial timing not modeled)"),
  /* nRF52840 (issue 15) */
  ROW(nrf_hclk_hz, "Hz", NRREF " 6: CPU clock 64 MHz (OpenOCD nrf52.cfg header comment)"),
  ROW(nrf_write_ns, "ns", "[unconf] " NRREF " 4: tWRITE 41 us max (nRF52810 S112 SDS 'up to 41 us'; nRF52833 model 42 us, nRF5340 43 us)"),
  ROW(nrf_erasepage_ns, "ns", NRREF " 4: tERASEPAGE 85 ms max (nrf-hal PR #385 '85 ms on nRF52840'; S112 SDS nRF52810)"),
  ROW(nrf_eraseall_ns, "ns", "[unconf] " NRREF " 4: tERASEALL 169 ms max (nRF52833/nRF5340 give 173 ms)"),
  ROW(nrf_eraseuicr_ns, "ns", "[unconf] no ERASEUICR time in the reference: tERASEPAGE assumed (one page-sized array)"),
  ROW(nrf_partial_setup_ns, "ns", "[unconf] " NRREF " 3.1 #11: a setup time per partial erase exists, its value is not given; 0"),
  ROW(nrf_ctrlap_eraseall_ns, "ns", "[unconf] " NRREF " 5.3: CTRL-AP ERASEALL duration not given: tERASEALL assumed"),
  ROW(nrf_nwrite, "", "[disagree] " NRREF " 3.1 #6: nWRITE 2 per word between erases (PS v1.x; nRF5340 table) vs 403 per 512-byte block (OPS 0.5.1)"),
  ROW(nrf_nwrite_corrupts, "bool", NRREF " 3.1 #7: exceeding nWRITE is not detected, data may be unreliable: 1 = the word ANDs with deterministic garbage; 0 = plain AND"),
  ROW(nrf_readynext, "bool", NRREF " 3: READYNEXT, the next word write is buffered and runs when the current one ends (PS of the nRF52820/52833 class)"),
  ROW(nrf_hardened_approtect, "bool", NRREF " 5.2: build code F0 and later (FICR 0x10000134 >= 5) protect after every reset unless UICR.APPROTECT = 0x5A and firmware writes APPROTECT.DISABLE = 0x5A; 0 = a D0 part (protect only for UICR.APPROTECT != 0xFF)"),
  ROW(nrf_ctrlap_erases_ram, "bool", "[unconf] " NRREF " 5.3, 20 #4: whether CTRL-AP ERASEALL clears RAM; 1 = RAM reads 0 after it"),
  ROW(nrf_pin_reset_needs_pselreset, "bool", NRREF " 6: P0.18 is the reset pin only after UICR.PSELRESET[0] and [1] both = 18 (MDK SystemInit writes both, then resets); 0 = the probe's nRESET always resets"),
  ROW(run_slice_ns, "ns", "bench granularity of lf_bench_run (not a hardware fact)"),
};

static void set4(double *d, double a, double b, double c, double e)
{
  d[0] = a; d[1] = b; d[2] = c; d[3] = e;
}

void lf_bench_params_default(lf_bench_params *p)
{
  memset(p, 0, sizeof *p);
  p->usb_fs_bit_rate = 12e6;
  p->usb_hs_bit_rate = 480e6;
  p->usb_fs_packet_overhead = 15;
  p->usb_hs_packet_overhead = 65;
  p->usb_fs_transfer_latency_ns = 160e3;
  p->usb_hs_transfer_latency_ns = 40e3;
  p->stlink_cmd_ns = 20e3;
  p->stlink_swd_gap_ns = 150;
  p->stlink_wait_retries = 100;
  p->stlink_swclk_measured = 0;
  p->stlink_nrst_pulse_ns = 1e6;
  p->stlink_enter_swd_ns = 100e3;
  p->stlink_poll_limit = 100;
  p->stlink_write32_max = 65532;
  p->stlink_read_xfers_per_word = 3;
  p->stlink_write_xfers_per_word = 2;
  p->usb_fs_frame_ns = 1e6;
  p->cmsisdap_cmd_ns = 20e3;
  p->cmsisdap_xfer_ns = 2e3;
  p->cmsisdap_bulk_zlp = 0;
  p->cmsisdap_io_port_write_cycles = 2;
  p->cmsisdap_delay_slow_cycles = 3;
  p->cmsisdap_daplink_packet_count = 5;
  p->cmsisdap_daplink_cpu_hz = 48e6;
  p->cmsisdap_daplink_swclk_max_hz = 2e6;
  p->cmsisdap_daplink_default_hz = 1e6;
  p->cmsisdap_rpi_packet_count = 6;
  p->cmsisdap_rpi_buffers = 8;
  p->cmsisdap_rpi_clk_sys_hz = 125e6;
  p->cmsisdap_rpi_default_hz = 1e6;
  p->swd_read_cycles = 46;
  p->swd_write_cycles = 46;
  p->swd_wait_cycles = 13;
  p->swd_line_reset_bits = 64;
  p->swd_jtag_to_swd_bits = 136;
  p->dp_pwrup_ack_ns = 1e3;
  p->dp_pwrdown_ack_never_clears = 1;
  p->core_hsi_hz = 16e6;
  p->core_cpi = 1.0;
  p->core_cycle_model = 1;
  p->core_branch_refill = 2;
  p->core_div_cycles = 7;
  p->core_m0p_branch_taken = 2;
  p->crc_cycles_per_word = 4;
  p->core_reset_ns = 100e3;
  p->core_systick_ext_div = 8;
  p->pll_lock_ns = 100e3;
  p->hse_hz = 8e6;
  p->flash_timing_max = 0;
  p->flash_prog_ns_typ = 16e3;
  p->flash_prog_ns_max = 100e3;
  set4(p->flash_erase32k_ns, 400e6, 250e6, 200e6, 200e6);
  set4(p->flash_erase32k_max_ns, 800e6, 600e6, 500e6, 500e6);
  set4(p->flash_erase128k_ns, 1100e6, 800e6, 500e6, 500e6);
  set4(p->flash_erase128k_max_ns, 2400e6, 1400e6, 1100e6, 1100e6);
  set4(p->flash_erase256k_ns, 2000e6, 1300e6, 1000e6, 1000e6);
  set4(p->flash_erase256k_max_ns, 4000e6, 2600e6, 2000e6, 2000e6);
  set4(p->flash_mass_ns, 16e9, 11e9, 8e9, 8e9);
  set4(p->flash_mass_max_ns, 32e9, 22e9, 16e9, 16e9);
  for (int i = 0; i < 4; i++) {
    p->flash_erase16k_ns[i] = p->flash_erase32k_ns[i] / 2;
    p->flash_erase16k_max_ns[i] = p->flash_erase32k_max_ns[i] / 2;
    p->flash_erase64k_ns[i] = p->flash_erase128k_ns[i] / 2;
    p->flash_erase64k_max_ns[i] = p->flash_erase128k_max_ns[i] / 2;
  }
  set4(p->flash_f4_erase16k_ns, 400e6, 300e6, 250e6, 230e6);
  set4(p->flash_f4_erase16k_max_ns, 800e6, 600e6, 500e6, 500e6);
  set4(p->flash_f4_erase64k_ns, 1200e6, 700e6, 550e6, 490e6);
  set4(p->flash_f4_erase64k_max_ns, 2400e6, 1400e6, 1100e6, 1100e6);
  set4(p->flash_f4_erase128k_ns, 2000e6, 1300e6, 1000e6, 875e6);
  set4(p->flash_f4_erase128k_max_ns, 4000e6, 2600e6, 2000e6, 2000e6);
  set4(p->flash_f4_mass_ns, 16e9, 11e9, 8e9, 6.9e9);
  set4(p->flash_f4_mass_max_ns, 32e9, 22e9, 16e9, 16e9);
  p->h7_hsi_hz = 64e6;
  set4(p->h7_prog_ns, 290e3, 180e3, 130e3, 100e3);
  set4(p->h7_prog_max_ns, 580e3, 360e3, 260e3, 200e3);
  set4(p->h7_erase_ns, 2e9, 1.8e9, 1.1e9, 1e9);
  set4(p->h7_erase_max_ns, 4e9, 3.6e9, 2.2e9, 2e9);
  set4(p->h7_bank_erase_ns, 13e9, 8e9, 6e9, 5e9);
  set4(p->h7_bank_erase_max_ns, 26e9, 16e9, 12e9, 10e9);
  p->h7_opt_ns = 50e6;
  p->h7_reprogram_ecc_error = 1;
  p->h7_d2sram_clock_gated = 1;
  p->h7_e0042000_value = 0x00002001;
  p->flash_opt_ns = 50e6;
  p->flash_ndbank_change_erases = 1;
  p->flash_errors_block_ops = 1;
  p->flash_eop_needs_eopie = 1;
  p->rdp1_blocks_flash_with_debug = 1;
  p->rdp1_debug_flash_error = 0x10;
  p->iwdg_lsi_hz = 32000;
  p->f1_hsi_hz = 8e6;
  p->f1_lsi_hz = 40000;
  p->f1_prog_ns_typ = 52.5e3;
  p->f1_prog_ns_max = 70e3;
  p->f1_page_erase_ns = 20e6;
  p->f1_page_erase_max_ns = 40e6;
  p->f1_mass_erase_ns = 20e6;
  p->f1_mass_erase_max_ns = 40e6;
  p->f1_keys_unlocked_lock = 0;
  p->f1_zero_overwrite_ok = 1;
  p->f1_wide_store_bus_error = 1;
  p->f1_idcode_core_reads_zero = 1;
  p->f1_rdp_protects_first_pages = 1;
  p->l4_msi_hz = 4e6;
  p->l4_lsi_hz = 32000;
  p->l4_prog_ns_typ = 81.69e3;
  p->l4_prog_ns_max = 90.76e3;
  p->l4_fast_row_ns_typ = 1.91e6;
  p->l4_fast_row_ns_max = 2.12e6;
  p->l4_page_erase_ns = 22.02e6;
  p->l4_page_erase_max_ns = 24.47e6;
  p->l4_mass_erase_ns = 22.13e6;
  p->l4_mass_erase_max_ns = 24.59e6;
  p->l4_opt_ns = 22.8e6;
  p->l4_keys_unlocked_lock = 1;
  p->l4_eop_needs_eopie = 1;
  p->l4_fast_needs_mass_erase = 0;
  p->l4_options_load_on_system_reset = 0;
  p->rp_clk_sys_hz = 125e6;
  p->rp_w25_pp_ns = 0.4e6;
  p->rp_w25_pp_max_ns = 3e6;
  p->rp_w25_se_ns = 45e6;
  p->rp_w25_se_max_ns = 400e6;
  p->rp_w25_be32_ns = 120e6;
  p->rp_w25_be32_max_ns = 1600e6;
  p->rp_w25_be64_ns = 150e6;
  p->rp_w25_be64_max_ns = 2000e6;
  p->rp_w25_ce_ns = 5e9;
  p->rp_w25_ce_max_ns = 25e9;
  p->rp_w25_timing_max = 0;
  p->rp_w25_qe = 1;
  p->rp_rom_call_ns = 2000;
  p->rp_ssi_baudr_reset = 6;
  p->rp_xip_read_ns = 3100;
  p->rp_dma_xfer_cycles = 2;
  /* nRF52840 (issue 15) */
  p->nrf_hclk_hz = 64e6;
  p->nrf_write_ns = 41e3;
  p->nrf_erasepage_ns = 85e6;
  p->nrf_eraseall_ns = 169e6;
  p->nrf_eraseuicr_ns = 85e6;
  p->nrf_partial_setup_ns = 0;
  p->nrf_ctrlap_eraseall_ns = 169e6;
  p->nrf_nwrite = 2;
  p->nrf_nwrite_corrupts = 1;
  p->nrf_readynext = 1;
  p->nrf_hardened_approtect = 0;
  p->nrf_ctrlap_erases_ram = 1;
  p->nrf_pin_reset_needs_pselreset = 1;
  p->run_slice_ns = 1e6;
}

size_t lf_bench_params_table(const lf_param_desc **out)
{
  *out = rows;
  return sizeof rows / sizeof rows[0];
}

static double *field(lf_bench_params *p, const lf_param_desc *d)
{
  return (double *)((char *)p + d->offset);
}

int lf_bench_params_set(lf_bench_params *p, const char *a, char *err, size_t errlen)
{
  const char *eq = strchr(a, '=');
  if (!eq) {
    snprintf(err, errlen, "bench parameter '%s': expected name=value", a);
    return -1;
  }
  size_t nlen = (size_t)(eq - a);
  /* usb_transfer_latency_ns: the single row before the FS/HS split, kept as
   * an alias that sets both. */
  static const char alias[] = "usb_transfer_latency_ns";
  if (nlen == sizeof alias - 1 && strncmp(a, alias, nlen) == 0) {
    char buf[128];
    snprintf(buf, sizeof buf, "usb_fs_transfer_latency_ns%s", eq);
    if (lf_bench_params_set(p, buf, err, errlen) != 0)
      return -1;
    snprintf(buf, sizeof buf, "usb_hs_transfer_latency_ns%s", eq);
    return lf_bench_params_set(p, buf, err, errlen);
  }
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    if (strlen(rows[i].name) != nlen || strncmp(rows[i].name, a, nlen) != 0)
      continue;
    errno = 0;
    char *end;
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || errno || !isfinite(v)) {
      snprintf(err, errlen, "bench parameter %s: '%s' is not a number", rows[i].name, eq + 1);
      return -1;
    }
    static const struct { const char *sfx; double mul; } units[] = {
      {"", 1}, {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9},
      {"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6},
    };
    size_t u;
    for (u = 0; u < sizeof units / sizeof units[0]; u++)
      if (strcasecmp(end, units[u].sfx) == 0)
        break;
    if (u == sizeof units / sizeof units[0]) {
      snprintf(err, errlen, "bench parameter %s: unknown unit '%s' (ns us ms s Hz kHz MHz)",
               rows[i].name, end);
      return -1;
    }
    *field(p, &rows[i]) = v * units[u].mul;
    return 0;
  }
  snprintf(err, errlen, "unknown bench parameter '%.*s'", (int)nlen, a);
  return -1;
}

void lf_bench_params_print(const lf_bench_params *p, FILE *out)
{
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    fprintf(out, "%-28s %14.6g %-6s %s\n", rows[i].name,
            *field((lf_bench_params *)p, &rows[i]), rows[i].unit, rows[i].source);
}

double lf_param_flash_prog_ns(const lf_bench_params *p)
{
  return p->flash_timing_max != 0 ? p->flash_prog_ns_max : p->flash_prog_ns_typ;
}

double lf_param_flash_erase_ns(const lf_bench_params *p, uint32_t bytes, unsigned psize)
{
  int mx = p->flash_timing_max != 0;
  psize &= 3;
  switch (bytes) {
  case 16 * 1024: return mx ? p->flash_erase16k_max_ns[psize] : p->flash_erase16k_ns[psize];
  case 32 * 1024: return mx ? p->flash_erase32k_max_ns[psize] : p->flash_erase32k_ns[psize];
  case 64 * 1024: return mx ? p->flash_erase64k_max_ns[psize] : p->flash_erase64k_ns[psize];
  case 128 * 1024: return mx ? p->flash_erase128k_max_ns[psize] : p->flash_erase128k_ns[psize];
  default: return mx ? p->flash_erase256k_max_ns[psize] : p->flash_erase256k_ns[psize];
  }
}

double lf_param_flash_mass_ns(const lf_bench_params *p, unsigned psize, uint32_t bank_bytes)
{
  (void)bank_bytes; /* one bank or both: the full tME (P13, P11) */
  return p->flash_timing_max != 0 ? p->flash_mass_max_ns[psize & 3] : p->flash_mass_ns[psize & 3];
}

double lf_param_flash_f4_erase_ns(const lf_bench_params *p, uint32_t bytes, unsigned psize)
{
  int mx = p->flash_timing_max != 0;
  psize &= 3;
  switch (bytes) {
  case 16 * 1024: return mx ? p->flash_f4_erase16k_max_ns[psize] : p->flash_f4_erase16k_ns[psize];
  case 64 * 1024: return mx ? p->flash_f4_erase64k_max_ns[psize] : p->flash_f4_erase64k_ns[psize];
  default: return mx ? p->flash_f4_erase128k_max_ns[psize] : p->flash_f4_erase128k_ns[psize];
  }
}

double lf_param_flash_f4_mass_ns(const lf_bench_params *p, unsigned psize, uint32_t bytes)
{
  (void)bytes; /* one bank or both: the full tME (P13, P11) */
  return p->flash_timing_max != 0 ? p->flash_f4_mass_max_ns[psize & 3] : p->flash_f4_mass_ns[psize & 3];
}
