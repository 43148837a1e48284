/* CMSIS-DAP firmware model (placeholder while the model is written). */
#include "bench/vprobe.h"

static const char *m_preset_name(size_t i) { (void)i; return NULL; }

const lf_vprobe_model lf_vprobe_model_cmsisdap = {
  .kind = "cmsis-dap",
  .preset_name = m_preset_name,
  .create = NULL,
  .ops = NULL,
};
