/* A program linked with the driver library (lfdriver) alone: it must build
 * and run without the bench or Unicorn. tests/driver/driver_no_bench.sh
 * checks the binary (no libunicorn, no bench symbols) and runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/session.h"
#include "probe/probe.h"
#include "usb/usb.h"

int main(void)
{
  lf_session *s = lf_session_new();
  if (!s)
    return 1;
  size_t kinds = 0;
  for (const char *const *k = lf_probe_kinds(); *k; k++)
    kinds++;
  lf_usb_ctx *usb = NULL;
  int r = lf_usb_new_libusb(s, &usb);
  if (r == 0) {
    lf_probe_entry *es = NULL;
    size_t n = 0;
    r = lf_probe_list(s, usb, &es, &n);
    printf("driver_only: %zu probe kinds, libusb backend, %zu probes attached (%s)\n", kinds, n,
           r ? lf_err_msg(s) : "listed");
    free(es);
    lf_usb_free(usb);
  } else {
    printf("driver_only: %zu probe kinds, libusb unavailable here: %s\n", kinds, lf_err_msg(s));
  }
  lf_session_free(s);
  return kinds > 0 ? 0 : 1;
}
