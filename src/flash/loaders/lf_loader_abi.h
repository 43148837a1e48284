/* The contract between an on-target flash loader (one per family in this
 * folder, built by scripts/gen-loaders.sh) and the host's stream engine
 * (src/flash/loader.c). Shared by both builds: plain C, fixed-width types, no
 * host or target headers. Family-neutral: commands name flash addresses,
 * never a controller's bits; what a family's loader needs to know about its
 * controller travels in the control block's family words (fam[]), which only
 * that family's host adapter and target loader interpret.
 *
 * RAM picture (addresses chosen by the host, passed in r0 = the control
 * block):
 *
 *   load address      code (the blob; no .data/.bss)
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
 * memory read) only when it needs ring space or a result. A CMSIS-Pack flash
 * algorithm runs behind the same queue and ring (a dispatcher of ours calls
 * its EraseSector / ProgramPage per command). */
#ifndef LF_LOADER_ABI_H
#define LF_LOADER_ABI_H

#include <stdint.h>

#define LF_LDR_READY 0x4C44524Cu /* "LRDL": init finished, commands are served */
#define LF_LDR_ABI_VERSION 2u

/* Commands. */
enum {
  LF_LDR_OP_ERASE = 1,       /* addr = any address in the erase unit (sector/page);
                                len = LF_LDR_ERASE_STARTED or 0 */
  LF_LDR_OP_ERASE_BANK = 2,  /* addr = any address in the bank */
  LF_LDR_OP_PROGRAM = 3,     /* addr, len: len bytes from the ring, aligned to the program unit */
  LF_LDR_OP_CRC = 4,         /* addr, len: result = zlib crc32 of the bytes */
  LF_LDR_OP_EXIT = 5,        /* return to the BKPT (r0 = status) */
  LF_LDR_OP_ERASE_CHIP = 6,  /* every bank at once (one mass erase); addr = the flash base */
  /* Independent banks (a loader whose family declares them, loader.h
   * lf_loader_adapter.banks): */
  LF_LDR_OP_PROGRAM_PAIR = 7, /* addr, len: a range of one bank, programmed together with the
                                next command (a PROGRAM of the same length in another bank):
                                the ring holds their data interleaved by program unit (one
                                unit of this range, one of the next, ...), both finish
                                together */
  LF_LDR_OP_SYNC = 8,        /* wait until every bank is idle; report a pending erase's error */
  /* Compressed upload (a loader whose adapter says inflate): */
  LF_LDR_OP_PROGRAM_Z = 9,   /* addr, len: like PROGRAM, but the ring holds records, one per
                                chunk of the range in order: struct lf_ldr_zrec, then zlen
                                bytes of one raw deflate stream (RFC 1951, no state across
                                records) that inflates to exactly olen bytes (a multiple of
                                the program unit, at most z_out_size); records follow each
                                other with no padding (a header may wrap) */
  /* Bits-only programming (a loader whose adapter says bits): */
  LF_LDR_OP_PROGRAM_BITS = 10, /* addr = an erase unit's start, len = bytes of its new
                                content from there (at most ring_size; the rest of the unit
                                is to read erased), from the ring. The loader waits until
                                all len bytes are in the ring, then compares with the
                                flash: when every program unit can be written over its old
                                content (the family's rule, e.g. new AND old == new) and the
                                rest of the unit is erased, it programs the units that
                                differ and no erase happens; otherwise it erases the unit
                                first and programs every unit that is not erased. Counted
                                in the struct lf_ldr_bits after the queue */
};

/* PROGRAM_BITS is served by a routine the host uploads into the PROGRAM_Z
 * region (below; the loader calls it at z_region | 1 as it calls the
 * inflating one; the routine is at most LF_LDR_B_COUNTERS bytes); its
 * outcomes: two words at z_region + LF_LDR_B_COUNTERS, zeroed by the host
 * with the upload, read by it after such a stream. A loader without the
 * inflater needs a region of only LF_LDR_B_REGION bytes. */
struct lf_ldr_bits {
  uint32_t kept;   /* PROGRAM_BITS commands done without an erase */
  uint32_t erased; /* ... that needed the erase */
};
#define LF_LDR_BITS_SIZE 8u
#define LF_LDR_B_COUNTERS 0x800u
#define LF_LDR_B_REGION 0xC00u

/* The header of one PROGRAM_Z record in the ring. */
struct lf_ldr_zrec {
  uint32_t zlen; /* deflate bytes after this header */
  uint32_t olen; /* bytes they inflate to (programmed at the command's addr + the olen before),
                    | LF_LDR_ZREC_* flags (only for a routine whose adapter says so: any
                    other reads them as a wrong olen and stops with LF_LDR_ST_DATA) */
};
/* Record flags (in olen's top bits):
 * - BCJ: the inflated bytes are Thumb-branch filtered (lf_bcj.h): every BL
 *   pair found scanning the record from its start holds its target as an
 *   absolute address (halfwords); the routine undoes that before it programs.
 * - CONT: the record's dictionary is the stream's inflated output before it
 *   (from this command and the ones before, the last z_out_size bytes of
 *   it) instead of only the previous record of this command; a record
 *   without it starts a new history. */
#define LF_LDR_ZREC_BCJ 0x80000000u
#define LF_LDR_ZREC_CONT 0x40000000u
#define LF_LDR_ZREC_LEN 0x00FFFFFFu

/* Independent banks: such a loader only STARTS an erase (sector, bank,
 * chip) and moves on; the erase is waited for by the next command that
 * needs that bank (or SYNC, CRC, EXIT), which also reports its failure,
 * naming the erase command in err_cmd. So erases and programs of different
 * banks run at the same time. */

/* ERASE flag (in len): the host already started this erase through the
 * debug port (before the loader was even uploaded); the loader only waits for
 * it and checks the flags. */
#define LF_LDR_ERASE_STARTED 0x1u
/* ERASE (adapters with erase_blocks, loader.h): len & LF_LDR_ERASE_SIZE_MASK
 * = the size of an aligned erase block starting at addr that the loader
 * erases in one operation (a QSPI NOR 64 KiB block erase); 0 = the unit. */
#define LF_LDR_ERASE_SIZE_MASK 0xFFFFF000u

/* status values (0 = fine). */
enum {
  LF_LDR_ST_OK = 0,
  LF_LDR_ST_FLASH = 1,   /* controller error: err_sr (its status register), err_addr (the
                            failing word or erase unit) */
  LF_LDR_ST_BADCMD = 2,  /* unknown op, misaligned PROGRAM or an address the loader cannot
                            map: err_addr = the command index */
  LF_LDR_ST_LOCKED = 3,  /* the controller stays locked after the key sequence */
  LF_LDR_ST_DATA = 4,    /* PROGRAM_Z: a record that does not inflate to olen bytes (or a bad
                            header): err_addr = the flash address of the record, err_sr = the
                            inflater's code (lf_inflate.h LFZ_E_*, or olen when it is wrong) */
};

/* Family words in the control block. */
#define LF_LDR_FAM_WORDS 11

struct lf_ldr_cmd {
  uint32_t op;
  uint32_t addr;
  uint32_t len;
  uint32_t result; /* CRC: the crc32; erase/program: core cycles spent */
};

struct lf_ldr_ctrl {
  /* 0x00: configuration, written by the host before start */
  uint32_t magic;        /* loader writes LF_LDR_READY after init */
  uint32_t version;      /* loader writes LF_LDR_ABI_VERSION */
  uint32_t ring_base;
  uint32_t ring_size;    /* multiple of 8 */
  uint32_t cmd_base;
  uint32_t cmd_count;
  uint32_t ring_roff;    /* loader private: read offset in the ring */
  uint32_t fam[LF_LDR_FAM_WORDS]; /* 0x1C: the family's configuration */
  /* 0x48: host -> loader */
  uint32_t cmd_wr;
  uint32_t data_wr;
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
  uint32_t err_cmd;      /* 0, or 1 + the index of the failing command when it is not
                            cmd_rd (a deferred erase) */
  /* 0x78: loader-specific words: the FLM dispatcher's call tracking (flm.c), or the
   * PROGRAM_Z region (host -> loader; 0 = none: PROGRAM_Z is a bad command), see
   * below */
  union {
    uint32_t reserved[2];
    struct {
      uint32_t z_region;
      uint32_t z_out_size;
    };
  };
};

/* The PROGRAM_Z region (written by the host before its first PROGRAM_Z, so a
 * stream that does not compress uploads none of it): the inflating program
 * routine, a blob of its own (loaders/NAME_z.c, position independent, entry
 * int fn(ctrl, cmd, cmd index) at its start, called by the loader at
 * z_region | 1), then at + LF_LDR_Z_WORK a struct lfz_work (lf_inflate.h),
 * then at + LF_LDR_Z_OUT z_out_size bytes of history and the output buffer
 * of z_out_size bytes (z_out_size a multiple of 4). Every record of a
 * PROGRAM_Z but its first is deflated with the previous record's bytes as a
 * preset dictionary (zlib deflateSetDictionary): back-references may reach
 * into them. A routine that knows the record flags (LF_LDR_ZREC_CONT)
 * takes the dictionary from the flag instead: a record without it has
 * none. */
#define LF_LDR_Z_WORK 0x1000u
#define LF_LDR_Z_OUT 0x2000u
#define LF_LDR_ZWORK_SIZE (LF_LDR_Z_OUT - LF_LDR_Z_WORK)

#define LF_LDR_CTRL_SIZE 0x80u
#define LF_LDR_OFF_FAM 0x1Cu
#define LF_LDR_OFF_CMD_WR 0x48u
#define LF_LDR_OFF_DATA_WR 0x4Cu
#define LF_LDR_OFF_STATUS_BLOCK 0x50u
#define LF_LDR_STATUS_BLOCK_SIZE 0x30u

#endif
