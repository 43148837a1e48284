/* The libusb stand-in (src/bench/standin): its ABI equals libusb 1.0.26's
 * (layouts checked against the real libusb.h, which this test includes for
 * its declarations only: the program is linked against the stand-in), and
 * the API behaves as the tools expect (libusb-standin.md "Behaviour the tools
 * rely on"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libusb.h>

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

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_abi_layouts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
