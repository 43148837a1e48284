/* Records a seed for the probe-driver fuzz targets: runs the fuzz sequence
 * (fuzz_probe.h) against a bench board's virtual probe and writes the
 * selector byte and every reply the probe gave, in the reply-stream format
 * of fuzz_usb.h.
 *
 *   fuzz_probe_seed stlink|cmsis-dap PRESET FLAGS OUT
 *
 * PRESET: a bench probe ("v2", "v2-1", "v3", "daplink", "rpi-debugprobe");
 * FLAGS: the selector bits besides the device's (0x10 describe, 0x20
 * connect under reset, CMSIS-DAP 0x01 HID); OUT: the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "fuzz_probe.h"
#include "probe/stlink.h"
#include "bench/usb_bench.h"

int main(int argc, char **argv)
{
  if (argc != 5) {
    fprintf(stderr, "usage: fuzz_probe_seed stlink|cmsis-dap PRESET FLAGS OUT\n");
    return 2;
  }
  int cmsis = strcmp(argv[1], "cmsis-dap") == 0;
  uint8_t sel = (uint8_t)strtoul(argv[3], NULL, 0);
  char board[64], err[256];
  snprintf(board, sizeof board, "nucleo-f767zi@%s", argv[2]);
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  cfg.board = board;
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  if (!b) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  const lf_bench_usb_info *u = lf_bench_usb_info_get(b);
  if (!cmsis) {
    size_t i;
    for (i = 0; i < lf_stlink_usb_nids; i++)
      if (lf_stlink_usb_ids[i].pid == u->pid)
        break;
    sel = (uint8_t)((sel & 0xF0) | i);
  } else if (!(sel & 1) && u->high_speed) {
    sel |= 2;
  }
  lf_session *s = lf_session_new();
  char *mem = NULL;
  size_t len = 0;
  FILE *rec = open_memstream(&mem, &len);
  lf_usb_ctx *bench, *usb;
  if (!rec || lf_usb_new_bench(s, &b, 1, &bench) != 0 || lf_fuzz_usb_recorder(s, bench, rec, &usb) != 0) {
    fprintf(stderr, "fuzz_probe_seed: setup failed\n");
    return 1;
  }
  if (cmsis)
    lf_fuzz_cmsis_dap_run(s, usb, sel);
  else
    lf_fuzz_stlink_run(s, usb, sel);
  lf_usb_free(usb);
  fclose(rec);
  FILE *out = fopen(argv[4], "wb");
  if (!out) {
    fprintf(stderr, "%s: cannot write\n", argv[4]);
    return 1;
  }
  fputc(sel, out);
  fwrite(mem, 1, len, out);
  fclose(out);
  printf("%s: selector 0x%02x, %zu reply bytes\n", argv[4], sel, len);
  free(mem);
  lf_session_free(s);
  lf_bench_board_free(b);
  return 0;
}
