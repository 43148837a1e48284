/* The libusb stand-in (src/bench/standin): its ABI equals libusb 1.0.26's
 * (layouts checked against the real libusb.h, which this test includes for
 * its declarations only: the program is linked against the stand-in), and
 * the API behaves as the tools expect (libusb-standin.md "Behaviour the tools
 * rely on"). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libusb.h>

#include "bench/bench.h"
#include "bench/params.h"
#include "bench/standin/standin_abi.h"

#define SAME_SIZE(a, b) assert_int_equal(sizeof(struct a), sizeof(b))
#define SAME_FIELD(a, b, f) assert_int_equal(offsetof(struct a, f), offsetof(b, f))

static void test_abi_layouts(void **state)
{
  (void)state;
  SAME_SIZE(libusb_device_descriptor, su_device_descriptor);
  SAME_FIELD(libusb_device_descriptor, su_device_descriptor, idVendor);
  SAME_FIELD(libusb_device_descriptor, su_device_descriptor, bcdDevice);
  SAME_FIELD(libusb_device_descriptor, su_device_descriptor, iSerialNumber);
  SAME_FIELD(libusb_device_descriptor, su_device_descriptor, bNumConfigurations);
  SAME_SIZE(libusb_endpoint_descriptor, su_endpoint_descriptor);
  SAME_FIELD(libusb_endpoint_descriptor, su_endpoint_descriptor, bEndpointAddress);
  SAME_FIELD(libusb_endpoint_descriptor, su_endpoint_descriptor, wMaxPacketSize);
  SAME_FIELD(libusb_endpoint_descriptor, su_endpoint_descriptor, bSynchAddress);
  SAME_FIELD(libusb_endpoint_descriptor, su_endpoint_descriptor, extra);
  SAME_FIELD(libusb_endpoint_descriptor, su_endpoint_descriptor, extra_length);
  SAME_SIZE(libusb_interface_descriptor, su_interface_descriptor);
  SAME_FIELD(libusb_interface_descriptor, su_interface_descriptor, bNumEndpoints);
  SAME_FIELD(libusb_interface_descriptor, su_interface_descriptor, iInterface);
  SAME_FIELD(libusb_interface_descriptor, su_interface_descriptor, endpoint);
  SAME_FIELD(libusb_interface_descriptor, su_interface_descriptor, extra);
  SAME_FIELD(libusb_interface_descriptor, su_interface_descriptor, extra_length);
  SAME_SIZE(libusb_interface, su_interface);
  SAME_FIELD(libusb_interface, su_interface, altsetting);
  SAME_FIELD(libusb_interface, su_interface, num_altsetting);
  SAME_SIZE(libusb_config_descriptor, su_config_descriptor);
  SAME_FIELD(libusb_config_descriptor, su_config_descriptor, wTotalLength);
  SAME_FIELD(libusb_config_descriptor, su_config_descriptor, bNumInterfaces);
  SAME_FIELD(libusb_config_descriptor, su_config_descriptor, MaxPower);
  SAME_FIELD(libusb_config_descriptor, su_config_descriptor, interface);
  SAME_FIELD(libusb_config_descriptor, su_config_descriptor, extra);
  SAME_FIELD(libusb_config_descriptor, su_config_descriptor, extra_length);
  SAME_SIZE(libusb_iso_packet_descriptor, su_iso_packet_descriptor);
  SAME_FIELD(libusb_iso_packet_descriptor, su_iso_packet_descriptor, actual_length);
  SAME_FIELD(libusb_iso_packet_descriptor, su_iso_packet_descriptor, status);
  SAME_SIZE(libusb_transfer, su_transfer);
  SAME_FIELD(libusb_transfer, su_transfer, dev_handle);
  SAME_FIELD(libusb_transfer, su_transfer, flags);
  SAME_FIELD(libusb_transfer, su_transfer, endpoint);
  SAME_FIELD(libusb_transfer, su_transfer, type);
  SAME_FIELD(libusb_transfer, su_transfer, timeout);
  SAME_FIELD(libusb_transfer, su_transfer, status);
  SAME_FIELD(libusb_transfer, su_transfer, length);
  SAME_FIELD(libusb_transfer, su_transfer, actual_length);
  SAME_FIELD(libusb_transfer, su_transfer, callback);
  SAME_FIELD(libusb_transfer, su_transfer, user_data);
  SAME_FIELD(libusb_transfer, su_transfer, buffer);
  SAME_FIELD(libusb_transfer, su_transfer, num_iso_packets);
  SAME_FIELD(libusb_transfer, su_transfer, iso_packet_desc);
  SAME_SIZE(libusb_version, su_version);
  SAME_FIELD(libusb_version, su_version, rc);
  SAME_FIELD(libusb_version, su_version, describe);
  SAME_SIZE(libusb_control_setup, su_control_setup);
  SAME_FIELD(libusb_control_setup, su_control_setup, wLength);
  assert_int_equal(sizeof(enum libusb_transfer_status), sizeof(su_transfer_status));

  /* numeric values that cross the boundary */
  static const struct { int real, ours; } values[] = {
    {LIBUSB_ERROR_IO, SU_ERROR_IO}, {LIBUSB_ERROR_INVALID_PARAM, SU_ERROR_INVALID_PARAM},
    {LIBUSB_ERROR_ACCESS, SU_ERROR_ACCESS}, {LIBUSB_ERROR_NO_DEVICE, SU_ERROR_NO_DEVICE},
    {LIBUSB_ERROR_NOT_FOUND, SU_ERROR_NOT_FOUND}, {LIBUSB_ERROR_BUSY, SU_ERROR_BUSY},
    {LIBUSB_ERROR_TIMEOUT, SU_ERROR_TIMEOUT}, {LIBUSB_ERROR_OVERFLOW, SU_ERROR_OVERFLOW},
    {LIBUSB_ERROR_PIPE, SU_ERROR_PIPE}, {LIBUSB_ERROR_INTERRUPTED, SU_ERROR_INTERRUPTED},
    {LIBUSB_ERROR_NO_MEM, SU_ERROR_NO_MEM}, {LIBUSB_ERROR_NOT_SUPPORTED, SU_ERROR_NOT_SUPPORTED},
    {LIBUSB_ERROR_OTHER, SU_ERROR_OTHER},
    {LIBUSB_TRANSFER_COMPLETED, SU_TRANSFER_COMPLETED}, {LIBUSB_TRANSFER_ERROR, SU_TRANSFER_ERROR},
    {LIBUSB_TRANSFER_TIMED_OUT, SU_TRANSFER_TIMED_OUT}, {LIBUSB_TRANSFER_CANCELLED, SU_TRANSFER_CANCELLED},
    {LIBUSB_TRANSFER_STALL, SU_TRANSFER_STALL}, {LIBUSB_TRANSFER_NO_DEVICE, SU_TRANSFER_NO_DEVICE},
    {LIBUSB_TRANSFER_OVERFLOW, SU_TRANSFER_OVERFLOW},
    {LIBUSB_TRANSFER_SHORT_NOT_OK, SU_TRANSFER_SHORT_NOT_OK}, {LIBUSB_TRANSFER_FREE_BUFFER, SU_TRANSFER_FREE_BUFFER},
    {LIBUSB_TRANSFER_FREE_TRANSFER, SU_TRANSFER_FREE_TRANSFER}, {LIBUSB_TRANSFER_ADD_ZERO_PACKET, SU_TRANSFER_ADD_ZERO_PACKET},
    {LIBUSB_TRANSFER_TYPE_CONTROL, SU_TRANSFER_TYPE_CONTROL}, {LIBUSB_TRANSFER_TYPE_BULK, SU_TRANSFER_TYPE_BULK},
    {LIBUSB_TRANSFER_TYPE_INTERRUPT, SU_TRANSFER_TYPE_INTERRUPT}, {LIBUSB_TRANSFER_TYPE_ISOCHRONOUS, SU_TRANSFER_TYPE_ISOCHRONOUS},
    {LIBUSB_TRANSFER_TYPE_BULK_STREAM, SU_TRANSFER_TYPE_BULK_STREAM},
    {LIBUSB_SPEED_FULL, SU_SPEED_FULL}, {LIBUSB_SPEED_HIGH, SU_SPEED_HIGH},
    {LIBUSB_OPTION_LOG_LEVEL, SU_OPTION_LOG_LEVEL}, {LIBUSB_OPTION_USE_USBDK, SU_OPTION_USE_USBDK},
    {LIBUSB_CAP_HAS_CAPABILITY, SU_CAP_HAS_CAPABILITY},
    {LIBUSB_CAP_SUPPORTS_DETACH_KERNEL_DRIVER, SU_CAP_SUPPORTS_DETACH_KERNEL_DRIVER},
    {LIBUSB_DT_DEVICE, SU_DT_DEVICE}, {LIBUSB_DT_CONFIG, SU_DT_CONFIG}, {LIBUSB_DT_STRING, SU_DT_STRING},
    {LIBUSB_REQUEST_GET_DESCRIPTOR, SU_REQUEST_GET_DESCRIPTOR},
  };
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
    assert_int_equal(values[i].real, values[i].ours);
}


/* ---- the API through the stand-in (boards from the environment set in main) ---- */

static char tmpdir[200];
static char report_path[300], state_pattern[300];

/* Boards (main): three with ST-LINKs, then a DAPLink wired to an F429. */
#define NBOARDS 4
#define SER_F767 "066DFF575251717867174428"
#define SER_V3 "0030003A3438510B34313939"

/* The tool's clock is the bench's host time (standin_time.c): every read
 * itself costs 1 us. */
static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct opened {
  libusb_context *ctx;
  libusb_device_handle *h[3];
} opened;

static void open_all(opened *o)
{
  assert_int_equal(libusb_init(&o->ctx), 0);
  libusb_device **list;
  assert_int_equal(libusb_get_device_list(o->ctx, &list), NBOARDS);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(libusb_open(list[i], &o->h[i]), 0);
    assert_int_equal(libusb_claim_interface(o->h[i], 0), 0);
  }
  libusb_free_device_list(list, 1);
}

static void close_all(opened *o)
{
  for (int i = 0; i < 3; i++) {
    assert_int_equal(libusb_release_interface(o->h[i], 0), 0);
    libusb_close(o->h[i]);
  }
  libusb_exit(o->ctx);
}

/* One ST-Link exchange with sync transfers: 16-byte command, optional data
 * OUT, optional reply. */
static void xchg(libusb_device_handle *h, const uint8_t *c, size_t clen, const void *out, int olen,
                 void *in, int ilen)
{
  uint8_t blk[16] = {0};
  memcpy(blk, c, clen);
  int n = 0;
  assert_int_equal(libusb_bulk_transfer(h, 0x01, blk, 16, &n, 1000), 0);
  assert_int_equal(n, 16);
  if (olen) {
    assert_int_equal(libusb_bulk_transfer(h, 0x01, (unsigned char *)out, olen, &n, 1000), 0);
    assert_int_equal(n, olen);
  }
  if (ilen) {
    assert_int_equal(libusb_bulk_transfer(h, 0x81, in, ilen, &n, 1000), 0);
    assert_int_equal(n, ilen);
  }
}

static uint32_t le32(const uint8_t *b) { return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }

static void write_dbg(libusb_device_handle *h, uint32_t addr, uint32_t val)
{
  uint8_t c[16] = {0xF2, 0x35}, r[2];
  memcpy(c + 2, &addr, 4);
  memcpy(c + 6, &val, 4);
  xchg(h, c, 16, NULL, 0, r, 2);
  assert_int_equal(r[0], 0x80);
}

static uint32_t read_dbg(libusb_device_handle *h, uint32_t addr)
{
  uint8_t c[16] = {0xF2, 0x36}, r[8];
  memcpy(c + 2, &addr, 4);
  xchg(h, c, 16, NULL, 0, r, 8);
  assert_int_equal(r[0], 0x80);
  return le32(r + 4);
}

/* Enumeration as the tools see it (libusb-standin.md "call order"). */
static void enumeration_descriptors_strings(void **state)
{
  (void)state;
  libusb_context *ctx;
  assert_int_equal(libusb_init(&ctx), 0);
  libusb_device **list;
  assert_int_equal(libusb_get_device_list(ctx, &list), NBOARDS);
  assert_null(list[NBOARDS]);
  static const uint16_t pids[3] = {0x374B, 0x374F, 0x374B};
  static const int speeds[3] = {LIBUSB_SPEED_FULL, LIBUSB_SPEED_HIGH, LIBUSB_SPEED_FULL};
  static const uint16_t mps[3] = {64, 512, 64};
  for (int i = 0; i < 3; i++) {
    struct libusb_device_descriptor d;
    assert_int_equal(libusb_get_device_descriptor(list[i], &d), 0);
    assert_int_equal(d.bLength, 18);
    assert_int_equal(d.idVendor, 0x0483);
    assert_int_equal(d.idProduct, pids[i]);
    assert_int_equal(d.bNumConfigurations, 1);
    assert_int_equal(libusb_get_bus_number(list[i]), 1);
    assert_int_equal(libusb_get_device_address(list[i]), i + 2);
    uint8_t ports[7];
    assert_int_equal(libusb_get_port_numbers(list[i], ports, 7), 1);
    assert_int_equal(ports[0], i + 1);
    assert_int_equal(libusb_get_port_numbers(list[i], ports, 0), LIBUSB_ERROR_OVERFLOW);
    assert_int_equal(libusb_get_device_speed(list[i]), speeds[i]);
    assert_null(libusb_get_parent(list[i]));
    struct libusb_config_descriptor *cfg;
    assert_int_equal(libusb_get_config_descriptor(list[i], 0, &cfg), 0);
    assert_int_equal(cfg->bNumInterfaces, 1);
    assert_int_equal(cfg->wTotalLength, 9 + 9 + 3 * 7);
    const struct libusb_interface_descriptor *alt = &cfg->interface[0].altsetting[0];
    assert_int_equal(cfg->interface[0].num_altsetting, 1);
    assert_int_equal(alt->bInterfaceClass, 0xFF);
    assert_int_equal(alt->bNumEndpoints, 3);
    assert_int_equal(alt->endpoint[0].bEndpointAddress, 0x81);
    assert_int_equal(alt->endpoint[1].bEndpointAddress, 0x01);
    assert_int_equal(alt->endpoint[2].bEndpointAddress, 0x82);
    for (int e = 0; e < 3; e++) {
      assert_int_equal(alt->endpoint[e].bmAttributes, LIBUSB_TRANSFER_TYPE_BULK);
      assert_int_equal(alt->endpoint[e].wMaxPacketSize, mps[i]);
    }
    libusb_free_config_descriptor(cfg);
    assert_int_equal(libusb_get_config_descriptor(list[i], 1, &cfg), LIBUSB_ERROR_NOT_FOUND);
    assert_int_equal(libusb_get_max_packet_size(list[i], 0x81), mps[i]);
    assert_int_equal(libusb_get_max_packet_size(list[i], 0x05), LIBUSB_ERROR_NOT_FOUND);
  }
  libusb_device_handle *h;
  assert_int_equal(libusb_open(list[1], &h), 0);
  assert_ptr_equal(libusb_get_device(h), list[1]);
  unsigned char s[64];
  assert_int_equal(libusb_get_string_descriptor_ascii(h, 1, s, sizeof s), 18);
  assert_string_equal((char *)s, "STMicroelectronics");
  assert_int_equal(libusb_get_string_descriptor_ascii(h, 2, s, sizeof s), 9);
  assert_string_equal((char *)s, "STLINK-V3");
  assert_int_equal(libusb_get_string_descriptor_ascii(h, 3, s, sizeof s), 24);
  assert_string_equal((char *)s, SER_V3);
  assert_int_equal(libusb_get_string_descriptor_ascii(h, 3, s, 5), 4); /* truncated, terminated */
  assert_string_equal((char *)s, "0030");
  assert_int_equal(libusb_get_string_descriptor_ascii(h, 9, s, sizeof s), LIBUSB_ERROR_PIPE);
  /* standard requests on EP0 (pyusb reads descriptors this way) */
  unsigned char raw[64];
  assert_int_equal(libusb_control_transfer(h, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, 0x0100, 0, raw, 64, 100), 18);
  assert_int_equal(raw[8] | raw[9] << 8, 0x0483);
  assert_int_equal(raw[10] | raw[11] << 8, 0x374F);
  assert_int_equal(libusb_control_transfer(h, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, 0x0200, 0, raw, 9, 100), 9);
  assert_int_equal(raw[2], 39);
  assert_int_equal(libusb_control_transfer(h, 0x80, LIBUSB_REQUEST_GET_CONFIGURATION, 0, 0, raw, 1, 100), 1);
  assert_int_equal(raw[0], 1);
  assert_int_equal(libusb_control_transfer(h, 0xC0, 0x01, 0, 0, raw, 4, 100), LIBUSB_ERROR_PIPE);
  int config = 0;
  assert_int_equal(libusb_get_configuration(h, &config), 0);
  assert_int_equal(config, 1);
  assert_int_equal(libusb_set_configuration(h, 1), 0);
  assert_int_equal(libusb_set_configuration(h, 7), LIBUSB_ERROR_NOT_FOUND);
  assert_int_equal(libusb_kernel_driver_active(h, 0), 0);
  assert_int_equal(libusb_claim_interface(h, 1), LIBUSB_ERROR_NOT_FOUND);
  assert_int_equal(libusb_release_interface(h, 0), LIBUSB_ERROR_NOT_FOUND); /* not claimed */
  libusb_close(h);
  libusb_free_device_list(list, 1);
  h = libusb_open_device_with_vid_pid(ctx, 0x0483, 0x374F);
  assert_non_null(h);
  libusb_close(h);
  assert_null(libusb_open_device_with_vid_pid(ctx, 0x0483, 0x3748));
  libusb_exit(ctx);
}

static void error_names(void **state)
{
  (void)state;
  assert_string_equal(libusb_error_name(LIBUSB_ERROR_TIMEOUT), "LIBUSB_ERROR_TIMEOUT");
  assert_string_equal(libusb_error_name(LIBUSB_ERROR_PIPE), "LIBUSB_ERROR_PIPE");
  assert_string_equal(libusb_error_name(LIBUSB_TRANSFER_CANCELLED), "LIBUSB_TRANSFER_CANCELLED");
  assert_string_equal(libusb_error_name(12345), "**UNKNOWN**");
  assert_string_equal(libusb_strerror(LIBUSB_ERROR_NO_DEVICE), "No such device (it may have been disconnected)");
  assert_int_equal(libusb_set_option(NULL, LIBUSB_OPTION_LOG_LEVEL, 3), 0);
  assert_int_equal(libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG), 0);
  assert_int_equal(libusb_get_version()->major, 1);
}

/* Sync transfers: GET_VERSION per board (three identities), and the IN
 * drain the tools do first: nothing pending times out after the requested
 * timeout in virtual time, at once in host time, and returns no data.
 * Times by hand from the params: FS round trip = usb_fs_transfer_latency_ns
 * L + (bytes + 15 per packet) * 8 / 12 Mbit/s; stlink_cmd_ns 20000. */
static uint64_t fs_latency(void)
{
  lf_bench_params p;
  lf_bench_params_default(&p);
  return (uint64_t)p.usb_fs_transfer_latency_ns;
}

static void sync_version_and_drain_timeout(void **state)
{
  (void)state;
  uint64_t L = fs_latency();
  opened o;
  open_all(&o);
  uint8_t r[6];
  uint64_t t0 = now_ns();
  xchg(o.h[0], (const uint8_t[]){0xF1}, 1, NULL, 0, r, 6);
  uint64_t t1 = now_ns();
  /* OUT 16: L + 20667; command 20000; IN 6: L + 14000 (clock reads are free while time moves) */
  assert_int_equal(t1 - t0, L + 20667 + 20000 + L + 14000);
  assert_int_equal(r[0] >> 4, 2); /* V2-1: hardware 2 */
  assert_int_equal(r[4] | r[5] << 8, 0x374B);
  xchg(o.h[1], (const uint8_t[]){0xF1}, 1, NULL, 0, r, 6);
  assert_int_equal(r[0] >> 4, 3); /* V3 */
  xchg(o.h[2], (const uint8_t[]){0xF1}, 1, NULL, 0, r, 6);
  assert_int_equal(r[4] | r[5] << 8, 0x374B);
  /* drain: 250 ms of virtual time, no data, almost no host time */
  struct timespec h0, h1;
  timespec_get(&h0, TIME_UTC);
  t0 = now_ns();
  uint8_t junk[64];
  int n = -1;
  assert_int_equal(libusb_bulk_transfer(o.h[0], 0x81, junk, 64, &n, 250), LIBUSB_ERROR_TIMEOUT);
  assert_int_equal(n, 0);
  t1 = now_ns();
  timespec_get(&h1, TIME_UTC);
  assert_int_equal(t1 - t0, 250000000u);
  double host_s = (double)(h1.tv_sec - h0.tv_sec) + (h1.tv_nsec - h0.tv_nsec) / 1e9;
  assert_true(host_s < 0.2); /* timespec_get is libc's own clock: nobody slept */
  /* a wrong endpoint stalls */
  assert_int_equal(libusb_bulk_transfer(o.h[0], 0x02, junk, 16, &n, 100), LIBUSB_ERROR_PIPE);
  close_all(&o);
}

typedef struct cbrec {
  int order[8];
  int n;
} cbrec;

static void record_cb(struct libusb_transfer *t)
{
  cbrec *r = t->user_data;
  r->order[r->n++] = t->endpoint;
}

static struct libusb_transfer *bulk_xfer(libusb_device_handle *h, unsigned char ep, void *buf,
                                         int len, cbrec *rec, unsigned timeout)
{
  struct libusb_transfer *t = libusb_alloc_transfer(0);
  assert_non_null(t);
  libusb_fill_bulk_transfer(t, h, ep, buf, len, record_cb, rec, timeout);
  return t;
}

/* Async (OpenOCD's way): command OUT and reply IN submitted back to back run
 * only when events are handled, in order, with their callbacks, and cost
 * one round trip: 125000 + 20667 + 20000 + 14000 (hand-computed as above). */
static void async_batch_one_round_trip(void **state)
{
  (void)state;
  opened o;
  open_all(&o);
  uint8_t cmd[16] = {0xF1}, rep[64];
  cbrec rec = {{0}, 0};
  struct libusb_transfer *a = bulk_xfer(o.h[0], 0x01, cmd, 16, &rec, 1000);
  struct libusb_transfer *b = bulk_xfer(o.h[0], 0x81, rep, 64, &rec, 1000);
  uint64_t t0 = now_ns();
  assert_int_equal(libusb_submit_transfer(a), 0);
  assert_int_equal(libusb_submit_transfer(b), 0);
  assert_int_equal(libusb_submit_transfer(b), LIBUSB_ERROR_BUSY);
  assert_int_equal(rec.n, 0); /* nothing ran yet */
  assert_int_equal(libusb_handle_events_completed(o.ctx, NULL), 0);
  uint64_t t1 = now_ns();
  assert_int_equal(rec.n, 2);
  assert_int_equal(rec.order[0], 0x01);
  assert_int_equal(rec.order[1], 0x81);
  assert_int_equal(a->status, LIBUSB_TRANSFER_COMPLETED);
  assert_int_equal(b->status, LIBUSB_TRANSFER_COMPLETED);
  assert_int_equal(b->actual_length, 6);
  assert_int_equal(t1 - t0, fs_latency() + 20667 + 20000 + 14000); /* one latency for the batch */
  /* an async IN with nothing pending completes TIMED_OUT after its timeout */
  rec.n = 0;
  b->timeout = 40;
  t0 = now_ns();
  assert_int_equal(libusb_submit_transfer(b), 0);
  struct timeval tv = {0, 0};
  assert_int_equal(libusb_handle_events_timeout_completed(o.ctx, &tv, NULL), 0);
  t1 = now_ns();
  assert_int_equal(b->status, LIBUSB_TRANSFER_TIMED_OUT);
  assert_int_equal(b->actual_length, 0);
  assert_int_equal(t1 - t0, 40000000u);
  /* cancel: the cancelled IN completes CANCELLED, the reply stays in the
   * probe and the next read gets it; cancelling twice or an idle transfer:
   * NOT_FOUND */
  rec.n = 0;
  b->timeout = 1000;
  assert_int_equal(libusb_submit_transfer(a), 0);
  assert_int_equal(libusb_submit_transfer(b), 0);
  assert_int_equal(libusb_cancel_transfer(b), 0);
  assert_int_equal(libusb_cancel_transfer(b), LIBUSB_ERROR_NOT_FOUND);
  int done = 0;
  while (rec.n < 2)
    assert_int_equal(libusb_handle_events_completed(o.ctx, &done), 0);
  assert_int_equal(a->status, LIBUSB_TRANSFER_COMPLETED);
  assert_int_equal(b->status, LIBUSB_TRANSFER_CANCELLED);
  assert_int_equal(libusb_cancel_transfer(b), LIBUSB_ERROR_NOT_FOUND);
  int n = 0;
  assert_int_equal(libusb_bulk_transfer(o.h[0], 0x81, rep, 64, &n, 100), 0);
  assert_int_equal(n, 6);
  libusb_free_transfer(a);
  libusb_free_transfer(b);
  close_all(&o);
}

/* Bench finding 1 (src/bench/README.md): st-flash 1.7 programs the F7 with
 * CR = PG | SER | PSIZE x32 (SER left from its sector erase, PG set by
 * read-modify-write): replayed here through the stand-in, the word is
 * programmed and no ERSERR (SR bit 7) is raised. */
static void st_flash_pg_with_ser_left_set(void **state)
{
  (void)state;
  opened o;
  open_all(&o);
  libusb_device_handle *h = o.h[0];
  uint8_t r[8];
  xchg(h, (const uint8_t[]){0xF2, 0x30, 0xA3}, 3, NULL, 0, r, 2);
  assert_int_equal(r[0], 0x80);
  write_dbg(h, 0x40023C04, 0x45670123); /* KEYR */
  write_dbg(h, 0x40023C04, 0xCDEF89AB);
  write_dbg(h, 0x40023C10, 0x00000002); /* SER, as st-flash leaves it */
  write_dbg(h, 0x40023C10, 0x00000202); /* | PSIZE x32 */
  write_dbg(h, 0x40023C10, 0x00000203); /* | PG */
  write_dbg(h, 0x08000000, 0x12345678);
  assert_int_equal(read_dbg(h, 0x08000000), 0x12345678);
  assert_int_equal(read_dbg(h, 0x40023C0C) & 0xF2, 0);
  xchg(h, (const uint8_t[]){0xF2, 0x21}, 2, NULL, 0, NULL, 0); /* exit debug */
  close_all(&o);
}

/* ---- CMSIS-DAP (cmsis-dap.md 1.1, 1.2): the DAPLink on board 4 ---- */

static libusb_device_handle *open_daplink(libusb_context *ctx)
{
  libusb_device **list;
  assert_int_equal(libusb_get_device_list(ctx, &list), NBOARDS);
  libusb_device_handle *h = NULL;
  assert_int_equal(libusb_open(list[3], &h), 0);
  libusb_free_device_list(list, 1);
  return h;
}

/* What OpenOCD (bulk interface by its name and endpoint order) and pyOCD
 * 0.13.1 (product string, first HID interface, kernel driver) look at. */
static void cmsis_dap_composite_descriptors_and_kernel_driver(void **state)
{
  (void)state;
  libusb_context *ctx;
  assert_int_equal(libusb_init(&ctx), 0);
  libusb_device_handle *h = open_daplink(ctx);
  libusb_device *dev = libusb_get_device(h);
  struct libusb_device_descriptor d;
  assert_int_equal(libusb_get_device_descriptor(dev, &d), 0);
  assert_int_equal(d.idVendor, 0x0D28);
  assert_int_equal(d.idProduct, 0x0204);
  unsigned char s[64];
  assert_true(libusb_get_string_descriptor_ascii(h, d.iProduct, s, sizeof s) > 0);
  assert_string_equal((char *)s, "DAPLink CMSIS-DAP");
  struct libusb_config_descriptor *cfg;
  assert_int_equal(libusb_get_active_config_descriptor(dev, &cfg), 0);
  assert_int_equal(cfg->bNumInterfaces, 2);
  const struct libusb_interface_descriptor *hid = &cfg->interface[0].altsetting[0];
  const struct libusb_interface_descriptor *v2 = &cfg->interface[1].altsetting[0];
  assert_int_equal(hid->bInterfaceClass, LIBUSB_CLASS_HID);
  assert_int_equal(hid->extra_length, 9); /* the HID class descriptor */
  assert_int_equal(hid->extra[1], 0x21);
  assert_int_equal(hid->bNumEndpoints, 2);
  for (int e = 0; e < 2; e++) {
    assert_int_equal(hid->endpoint[e].bmAttributes, LIBUSB_TRANSFER_TYPE_INTERRUPT);
    assert_int_equal(hid->endpoint[e].bInterval, 1);
    assert_int_equal(hid->endpoint[e].wMaxPacketSize, 64);
  }
  assert_true(libusb_get_string_descriptor_ascii(h, hid->iInterface, s, sizeof s) > 0);
  assert_string_equal((char *)s, "CMSIS-DAP v1");
  assert_int_equal(v2->bInterfaceClass, 0xFF);
  assert_int_equal(v2->bInterfaceSubClass, 0);
  assert_int_equal(v2->bInterfaceProtocol, 0);
  assert_int_equal(v2->endpoint[0].bEndpointAddress, 0x02); /* EP[0] bulk OUT, EP[1] bulk IN */
  assert_int_equal(v2->endpoint[1].bEndpointAddress, 0x82);
  assert_int_equal(v2->endpoint[0].bmAttributes, LIBUSB_TRANSFER_TYPE_BULK);
  assert_true(libusb_get_string_descriptor_ascii(h, v2->iInterface, s, sizeof s) > 0);
  assert_string_equal((char *)s, "CMSIS-DAP v2");
  libusb_free_config_descriptor(cfg);
  /* the HID report descriptor, as the kernel's usbhid reads it */
  unsigned char raw[128];
  int n = libusb_control_transfer(h, 0x81, LIBUSB_REQUEST_GET_DESCRIPTOR, 0x2200, 0, raw, 128, 100);
  assert_true(n > 20);
  assert_memory_equal(raw, ((uint8_t[]){0x06, 0x00, 0xFF}), 3);
  /* usbhid holds the HID interface: pyOCD detaches it, and re-attaches */
  assert_int_equal(libusb_kernel_driver_active(h, 0), 1);
  assert_int_equal(libusb_kernel_driver_active(h, 1), 0);
  assert_int_equal(libusb_claim_interface(h, 0), LIBUSB_ERROR_BUSY);
  assert_int_equal(libusb_detach_kernel_driver(h, 0), 0);
  assert_int_equal(libusb_detach_kernel_driver(h, 1), LIBUSB_ERROR_NOT_FOUND);
  assert_int_equal(libusb_claim_interface(h, 0), 0);
  assert_int_equal(libusb_attach_kernel_driver(h, 0), LIBUSB_ERROR_BUSY); /* claimed */
  /* an interrupt transfer on the bulk endpoint: usbfs refuses it */
  int got = 0;
  unsigned char req[64] = {0x00, 0xFE};
  assert_int_equal(libusb_interrupt_transfer(h, 0x02, req, 2, &got, 100), LIBUSB_ERROR_INVALID_PARAM);
  /* a command by HID SET_REPORT, its response by GET_REPORT (EP0) */
  assert_int_equal(libusb_control_transfer(h, 0x21, 0x09, 0x0200, 0, req, 64, 100), 64);
  assert_int_equal(libusb_control_transfer(h, 0xA1, 0x01, 0x0100, 0, raw, 64, 100), 64);
  assert_memory_equal(raw, ((uint8_t[]){0x00, 1, 5}), 3);
  assert_int_equal(libusb_release_interface(h, 0), 0);
  assert_int_equal(libusb_attach_kernel_driver(h, 0), 0);
  assert_int_equal(libusb_kernel_driver_active(h, 0), 1);
  /* with auto-detach (luaflash's libusb backend) the claim detaches it */
  assert_int_equal(libusb_set_auto_detach_kernel_driver(h, 1), 0);
  assert_int_equal(libusb_claim_interface(h, 0), 0);
  assert_int_equal(libusb_kernel_driver_active(h, 0), 0);
  assert_int_equal(libusb_release_interface(h, 0), 0);
  assert_int_equal(libusb_kernel_driver_active(h, 0), 1);
  libusb_close(h);
  libusb_exit(ctx);
}

static uint64_t real_ns(void)
{
  struct timespec ts;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts); /* past the stand-in's clock */
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct reader {
  libusb_device_handle *h;
  unsigned char buf[64];
  int got, rc;
  uint64_t t; /* the reader's clock after its read */
} reader;

static void *read_response(void *arg)
{
  reader *r = arg;
  r->rc = libusb_interrupt_transfer(r->h, 0x81, r->buf, 64, &r->got, 10000);
  r->t = now_ns();
  return NULL;
}

/* One pyOCD 0.13.1 exchange (pyusb_backend.py): its receive thread starts
 * an interrupt IN with a 10 s timeout before the main thread writes the
 * command. Bench bug: the IN found nothing pending and timed out at once
 * (10 s of virtual time), the receive thread died ("read thread exited").
 * Now it waits for the main thread's OUT, and reads detached: its clock is
 * the response's arrival, the same however late the host runs the write. */
static void pyocd_hid_reader_thread_waits_for_its_response(void **state)
{
  (void)state;
  libusb_context *ctx;
  assert_int_equal(libusb_init(&ctx), 0);
  libusb_device_handle *h = open_daplink(ctx);
  assert_int_equal(libusb_detach_kernel_driver(h, 0), 0);
  assert_int_equal(libusb_claim_interface(h, 0), 0);
  unsigned char buf[64];
  int got = 0;
  /* the drain (main thread only so far): times out at once */
  assert_int_equal(libusb_interrupt_transfer(h, 0x81, buf, 64, &got, 1), LIBUSB_ERROR_TIMEOUT);
  uint64_t gap[2];
  for (int k = 0; k < 2; k++) {
    reader r = {.h = h};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_response, &r), 0);
    poll(NULL, 0, k ? 80 : 10); /* real time: the reader is blocked in its IN */
    unsigned char req[64] = {0x00, 0xFE};
    assert_int_equal(libusb_interrupt_transfer(h, 0x01, req, 64, &got, 1000), 0);
    uint64_t t_out = now_ns();
    pthread_join(th, NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.got, 64);
    assert_memory_equal(r.buf, ((uint8_t[]){0x00, 1, 5}), 3);
    assert_true(r.t > t_out);
    gap[k] = r.t - t_out;
  }
  assert_int_equal(gap[0], gap[1]); /* deterministic whatever the host did */
  assert_int_equal(libusb_release_interface(h, 0), 0);
  libusb_close(h);
  libusb_exit(ctx);
}

/* CPython's GIL hand-over waits 5 ms past clock_gettime(CLOCK_MONOTONIC) on
 * a condition variable. Bench bug: with virtual time behind real time the
 * deadline had passed already, pyOCD's two threads spun on the GIL and
 * their clock reads moved virtual time by host scheduling (0.53 s or 1.01 s
 * for the same flash). Now the wait lasts what was asked, in real time,
 * whether virtual time is behind or ahead, and moves no virtual time. */
static void timed_wait_keeps_the_asked_duration_on_virtual_deadlines(void **state)
{
  (void)state;
  libusb_context *ctx;
  assert_int_equal(libusb_init(&ctx), 0);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_t c;
  pthread_cond_init(&c, &ca);
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  for (int k = 0; k < 2; k++) {
    if (k == 0)
      poll(NULL, 0, 30); /* virtual time now behind real time */
    else
      usleep(5000000);   /* virtual: 5 s ahead */
    struct timespec d;
    clock_gettime(CLOCK_MONOTONIC, &d);
    uint64_t v0 = (uint64_t)d.tv_sec * 1000000000u + (uint64_t)d.tv_nsec;
    d.tv_nsec += 20000000;
    if (d.tv_nsec >= 1000000000) {
      d.tv_sec++;
      d.tv_nsec -= 1000000000;
    }
    uint64_t r0 = real_ns();
    pthread_mutex_lock(&m);
    assert_int_equal(pthread_cond_timedwait(&c, &m, &d), ETIMEDOUT);
    pthread_mutex_unlock(&m);
    uint64_t waited = real_ns() - r0;
    assert_true(waited >= 15000000u && waited < 1000000000u);
    assert_true(now_ns() - v0 < 100000u); /* virtual time did not move (reads only) */
  }
  pthread_cond_destroy(&c);
  pthread_condattr_destroy(&ca);
  libusb_exit(ctx);
}

/* The last libusb_exit saves every board's state file (%s = serial) and
 * writes the report with every board. */
static void exit_saves_state_and_report(void **state)
{
  (void)state;
  libusb_context *ctx;
  assert_int_equal(libusb_init(&ctx), 0);
  libusb_exit(ctx);
  char path[400];
  struct stat st;
  snprintf(path, sizeof path, "%s/" SER_F767 ".state", tmpdir);
  assert_int_equal(stat(path, &st), 0);
  snprintf(path, sizeof path, "%s/" SER_V3 ".state", tmpdir);
  assert_int_equal(stat(path, &st), 0);
  FILE *f = fopen(report_path, "r");
  assert_non_null(f);
  char text[8192];
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = 0;
  fclose(f);
  assert_non_null(strstr(text, "== board 1: nucleo-f767zi, probe default, serial " SER_F767));
  assert_non_null(strstr(text, "== board 2: nucleo-f767zi, probe v3, serial " SER_V3));
  assert_non_null(strstr(text, "== board 3: nucleo-f429zi"));
  assert_non_null(strstr(text, "virtual time:"));
  assert_non_null(strstr(text, "flash: 1 program ops (4 B)"));
  /* the saved F767 flash holds the word programmed above */
  lf_bench_board_cfg cfg;
  lf_bench_board_cfg_default(&cfg);
  snprintf(path, sizeof path, "%s/" SER_F767 ".state", tmpdir);
  cfg.state_file = path;
  char err[256];
  lf_bench_board *b = lf_bench_board_new(&cfg, err, sizeof err);
  assert_non_null(b);
  uint32_t w = 0;
  assert_int_equal(lf_bench_peek(b, 0x08000000, &w, 4), 0);
  assert_int_equal(w, 0x12345678);
  lf_bench_board_free(b);
}

int main(void)
{
  /* Files in the build tree: the stand-in writes them again at process
   * exit, after main returns. */
  const char *build = getenv("LF_BUILD_DIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/standin/test-run", build ? build : ".");
  char cmd[500];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", tmpdir, tmpdir);
  if (system(cmd) != 0)
    return 1;
  snprintf(report_path, sizeof report_path, "%s/report.txt", tmpdir);
  snprintf(state_pattern, sizeof state_pattern, "%s/%%s.state", tmpdir);
  setenv("LF_BENCH_BOARDS",
         "nucleo-f767zi,nucleo-f767zi@v3:" SER_V3 ",nucleo-f429zi,nucleo-f429zi@daplink", 1);
  setenv("LF_BENCH_STATE", state_pattern, 1);
  setenv("LF_BENCH_REPORT", report_path, 1);
  unsetenv("LF_BENCH_FAULTS");
  unsetenv("LF_BENCH_PARAMS");
  unsetenv("LF_BENCH_HOST_TIME");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_abi_layouts),
    cmocka_unit_test(enumeration_descriptors_strings),
    cmocka_unit_test(error_names),
    cmocka_unit_test(sync_version_and_drain_timeout),
    cmocka_unit_test(async_batch_one_round_trip),
    cmocka_unit_test(st_flash_pg_with_ser_left_set),
    cmocka_unit_test(cmsis_dap_composite_descriptors_and_kernel_driver),
    cmocka_unit_test(pyocd_hid_reader_thread_waits_for_its_response),
    cmocka_unit_test(timed_wait_keeps_the_asked_duration_on_virtual_deadlines),
    cmocka_unit_test(exit_saves_state_and_report),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
