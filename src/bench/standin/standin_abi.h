/* Binary interface of libusb-1.0 (API version 0x01000109, libusb 1.0.26) as
 * the libusb stand-in implements it: the public structs, enums and constants
 * that cross the library boundary, written from the published ABI (layouts
 * and numeric values only). The stand-in never includes the real libusb.h;
 * test_standin checks every layout here against it (offsetof/sizeof).
 *
 * Names carry an `su_` prefix so a test can include this header next to the
 * real one. */
#ifndef LF_STANDIN_ABI_H
#define LF_STANDIN_ABI_H

#include <stdint.h>

/* Error codes (returned by most functions). */
enum {
  SU_SUCCESS = 0,
  SU_ERROR_IO = -1,
  SU_ERROR_INVALID_PARAM = -2,
  SU_ERROR_ACCESS = -3,
  SU_ERROR_NO_DEVICE = -4,
  SU_ERROR_NOT_FOUND = -5,
  SU_ERROR_BUSY = -6,
  SU_ERROR_TIMEOUT = -7,
  SU_ERROR_OVERFLOW = -8,
  SU_ERROR_PIPE = -9,
  SU_ERROR_INTERRUPTED = -10,
  SU_ERROR_NO_MEM = -11,
  SU_ERROR_NOT_SUPPORTED = -12,
  SU_ERROR_OTHER = -99,
};

/* struct su_transfer.status */
typedef enum su_transfer_status {
  SU_TRANSFER_COMPLETED = 0,
  SU_TRANSFER_ERROR = 1,
  SU_TRANSFER_TIMED_OUT = 2,
  SU_TRANSFER_CANCELLED = 3,
  SU_TRANSFER_STALL = 4,
  SU_TRANSFER_NO_DEVICE = 5,
  SU_TRANSFER_OVERFLOW = 6,
} su_transfer_status;

/* struct su_transfer.flags */
enum {
  SU_TRANSFER_SHORT_NOT_OK = 1,
  SU_TRANSFER_FREE_BUFFER = 2,
  SU_TRANSFER_FREE_TRANSFER = 4,
  SU_TRANSFER_ADD_ZERO_PACKET = 8,
};

/* struct su_transfer.type and endpoint bmAttributes[1:0] */
enum {
  SU_TRANSFER_TYPE_CONTROL = 0,
  SU_TRANSFER_TYPE_ISOCHRONOUS = 1,
  SU_TRANSFER_TYPE_BULK = 2,
  SU_TRANSFER_TYPE_INTERRUPT = 3,
  SU_TRANSFER_TYPE_BULK_STREAM = 4,
};

enum {
  SU_SPEED_UNKNOWN = 0,
  SU_SPEED_LOW = 1,
  SU_SPEED_FULL = 2,
  SU_SPEED_HIGH = 3,
  SU_SPEED_SUPER = 4,
};

/* libusb_set_option options */
enum {
  SU_OPTION_LOG_LEVEL = 0,
  SU_OPTION_USE_USBDK = 1,
  SU_OPTION_NO_DEVICE_DISCOVERY = 2,
};

/* libusb_has_capability */
enum {
  SU_CAP_HAS_CAPABILITY = 0x0000,
  SU_CAP_HAS_HOTPLUG = 0x0001,
  SU_CAP_HAS_HID_ACCESS = 0x0100,
  SU_CAP_SUPPORTS_DETACH_KERNEL_DRIVER = 0x0101,
};

/* Standard USB descriptor types and requests (USB 2.0 9.4, 9.6). */
enum {
  SU_DT_DEVICE = 0x01,
  SU_DT_CONFIG = 0x02,
  SU_DT_STRING = 0x03,
  SU_DT_INTERFACE = 0x04,
  SU_DT_ENDPOINT = 0x05,
  SU_REQUEST_GET_STATUS = 0x00,
  SU_REQUEST_CLEAR_FEATURE = 0x01,
  SU_REQUEST_SET_FEATURE = 0x03,
  SU_REQUEST_GET_DESCRIPTOR = 0x06,
  SU_REQUEST_GET_CONFIGURATION = 0x08,
  SU_REQUEST_SET_CONFIGURATION = 0x09,
  SU_REQUEST_GET_INTERFACE = 0x0A,
  SU_REQUEST_SET_INTERFACE = 0x0B,
};

typedef struct su_device_descriptor {
  uint8_t bLength;
  uint8_t bDescriptorType;
  uint16_t bcdUSB;
  uint8_t bDeviceClass;
  uint8_t bDeviceSubClass;
  uint8_t bDeviceProtocol;
  uint8_t bMaxPacketSize0;
  uint16_t idVendor;
  uint16_t idProduct;
  uint16_t bcdDevice;
  uint8_t iManufacturer;
  uint8_t iProduct;
  uint8_t iSerialNumber;
  uint8_t bNumConfigurations;
} su_device_descriptor;

typedef struct su_endpoint_descriptor {
  uint8_t bLength;
  uint8_t bDescriptorType;
  uint8_t bEndpointAddress;
  uint8_t bmAttributes;
  uint16_t wMaxPacketSize;
  uint8_t bInterval;
  uint8_t bRefresh;
  uint8_t bSynchAddress;
  const unsigned char *extra;
  int extra_length;
} su_endpoint_descriptor;

typedef struct su_interface_descriptor {
  uint8_t bLength;
  uint8_t bDescriptorType;
  uint8_t bInterfaceNumber;
  uint8_t bAlternateSetting;
  uint8_t bNumEndpoints;
  uint8_t bInterfaceClass;
  uint8_t bInterfaceSubClass;
  uint8_t bInterfaceProtocol;
  uint8_t iInterface;
  const su_endpoint_descriptor *endpoint;
  const unsigned char *extra;
  int extra_length;
} su_interface_descriptor;

typedef struct su_interface {
  const su_interface_descriptor *altsetting;
  int num_altsetting;
} su_interface;

typedef struct su_config_descriptor {
  uint8_t bLength;
  uint8_t bDescriptorType;
  uint16_t wTotalLength;
  uint8_t bNumInterfaces;
  uint8_t bConfigurationValue;
  uint8_t iConfiguration;
  uint8_t bmAttributes;
  uint8_t MaxPower;
  const su_interface *interface;
  const unsigned char *extra;
  int extra_length;
} su_config_descriptor;

typedef struct su_version {
  const uint16_t major, minor, micro, nano;
  const char *rc;
  const char *describe;
} su_version;

typedef struct su_iso_packet_descriptor {
  unsigned int length;
  unsigned int actual_length;
  su_transfer_status status;
} su_iso_packet_descriptor;

typedef struct su_device su_device;
typedef struct su_device_handle su_device_handle;
typedef struct su_context su_context;
typedef struct su_transfer su_transfer;
typedef void (*su_transfer_cb_fn)(su_transfer *transfer);

struct su_transfer {
  su_device_handle *dev_handle;
  uint8_t flags;
  unsigned char endpoint;
  unsigned char type;
  unsigned int timeout;
  su_transfer_status status;
  int length;
  int actual_length;
  su_transfer_cb_fn callback;
  void *user_data;
  unsigned char *buffer;
  int num_iso_packets;
  su_iso_packet_descriptor iso_packet_desc[];
};

/* The setup packet at the start of a control transfer's buffer. */
typedef struct su_control_setup {
  uint8_t bmRequestType;
  uint8_t bRequest;
  uint16_t wValue;
  uint16_t wIndex;
  uint16_t wLength;
} su_control_setup;

#endif
