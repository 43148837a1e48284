/* The functions the libusb stand-in exports, with libusb 1.0.26's C
 * signatures over the su_ types (standin_abi.h). */
#ifndef LF_STANDIN_API_H
#define LF_STANDIN_API_H

#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>

#include "bench/standin/standin_abi.h"

const su_version *libusb_get_version(void);
int libusb_has_capability(uint32_t cap);
const char *libusb_error_name(int code);
const char *libusb_strerror(int code);
int libusb_setlocale(const char *locale);
void libusb_set_debug(su_context *ctx, int level);
int libusb_set_option(su_context *ctx, int option, ...);
int libusb_init(su_context **ctx);
void libusb_exit(su_context *ctx);
ssize_t libusb_get_device_list(su_context *ctx, su_device ***list);
void libusb_free_device_list(su_device **list, int unref);
su_device *libusb_ref_device(su_device *dev);
void libusb_unref_device(su_device *dev);
int libusb_get_device_descriptor(su_device *dev, su_device_descriptor *desc);
int libusb_get_config_descriptor(su_device *dev, uint8_t index, su_config_descriptor **config);
int libusb_get_active_config_descriptor(su_device *dev, su_config_descriptor **config);
int libusb_get_config_descriptor_by_value(su_device *dev, uint8_t value, su_config_descriptor **config);
void libusb_free_config_descriptor(su_config_descriptor *config);
uint8_t libusb_get_bus_number(su_device *dev);
uint8_t libusb_get_device_address(su_device *dev);
uint8_t libusb_get_port_number(su_device *dev);
int libusb_get_port_numbers(su_device *dev, uint8_t *ports, int len);
int libusb_get_port_path(su_context *ctx, su_device *dev, uint8_t *path, uint8_t len);
su_device *libusb_get_parent(su_device *dev);
int libusb_get_device_speed(su_device *dev);
int libusb_get_max_packet_size(su_device *dev, unsigned char ep);
int libusb_get_max_iso_packet_size(su_device *dev, unsigned char ep);
int libusb_open(su_device *dev, su_device_handle **handle);
su_device_handle *libusb_open_device_with_vid_pid(su_context *ctx, uint16_t vid, uint16_t pid);
void libusb_close(su_device_handle *h);
su_device *libusb_get_device(su_device_handle *h);
int libusb_get_configuration(su_device_handle *h, int *config);
int libusb_set_configuration(su_device_handle *h, int config);
int libusb_claim_interface(su_device_handle *h, int iface);
int libusb_release_interface(su_device_handle *h, int iface);
int libusb_set_interface_alt_setting(su_device_handle *h, int iface, int alt);
int libusb_clear_halt(su_device_handle *h, unsigned char ep);
int libusb_reset_device(su_device_handle *h);
int libusb_kernel_driver_active(su_device_handle *h, int iface);
int libusb_detach_kernel_driver(su_device_handle *h, int iface);
int libusb_attach_kernel_driver(su_device_handle *h, int iface);
int libusb_set_auto_detach_kernel_driver(su_device_handle *h, int enable);
int libusb_bulk_transfer(su_device_handle *h, unsigned char ep, unsigned char *data, int length, int *actual, unsigned int timeout);
int libusb_interrupt_transfer(su_device_handle *h, unsigned char ep, unsigned char *data, int length, int *actual, unsigned int timeout);
int libusb_control_transfer(su_device_handle *h, uint8_t type, uint8_t req, uint16_t value, uint16_t index, unsigned char *data, uint16_t length, unsigned int timeout);
int libusb_get_string_descriptor_ascii(su_device_handle *h, uint8_t index, unsigned char *data, int length);
su_transfer *libusb_alloc_transfer(int iso_packets);
void libusb_free_transfer(su_transfer *t);
int libusb_submit_transfer(su_transfer *t);
int libusb_cancel_transfer(su_transfer *t);
int libusb_handle_events(su_context *ctx);
int libusb_handle_events_completed(su_context *ctx, int *completed);
int libusb_handle_events_timeout(su_context *ctx, struct timeval *tv);
int libusb_handle_events_timeout_completed(su_context *ctx, struct timeval *tv, int *completed);
int libusb_get_next_timeout(su_context *ctx, struct timeval *tv);

#endif
