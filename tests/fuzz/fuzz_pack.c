/* Fuzz target: the CMSIS-Pack reader (src/flash/pack.c): byte 0 bit 0
 * says what the rest is: a whole .pack (a zip: libzip, then its .pdsc and
 * the FLM of each device, lf_pack_open_buffer) or a .pdsc alone
 * (lf_pack_open_pdsc: the XML through libxml2, the device tree with its
 * inheritance, memories and algorithms). Every device is then looked up by
 * name, its algorithm chosen and its part built (reading the FLM from the
 * zip). Seeds: tests/fuzz/corpus/pack (the test pack, its pdsc, variants). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/session.h"
#include "flash/flm.h"
#include "flash/pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  lf_session *s = lf_session_new();
  lf_pack *k = NULL;
  int rc = (data[0] & 1) ? lf_pack_open_pdsc(s, "fuzz.pdsc", data + 1, size - 1, &k)
                         : lf_pack_open_buffer(s, "fuzz.pack", data + 1, size - 1, &k);
  if (rc == 0) {
    for (size_t i = 0; i < lf_pack_count(k) && i < 64; i++) {
      const lf_pack_device *d = lf_pack_device_at(k, i), *found;
      if (lf_pack_find(s, k, d->name, &found) != 0)
        abort(); /* every listed device is found by its name */
      const lf_pack_algo *algo;
      const lf_pack_memory *mem;
      lf_pack_device_algo(s, k, d, &algo, &mem);
      lf_flm_part_cfg cfg = {0};
      lf_flm_part *p;
      if (lf_pack_part(s, k, d, &cfg, &p) == 0)
        lf_flm_part_free(p);
    }
    lf_pack_find(s, k, "no-such-device", &(const lf_pack_device *){NULL});
  }
  lf_pack_free(k);
  lf_session_free(s);
  return 0;
}
