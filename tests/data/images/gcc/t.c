int counter = 0x12345678;
const char msg[] = "luaflash test image";
static int bss_buf[64];
int main(void) { bss_buf[counter & 63] = msg[3]; return counter + bss_buf[1]; }
void Reset_Handler(void) { main(); for (;;) {} }
__attribute__((section(".isr_vector"))) const void *vectors[2] = {(void *)0x20001000, (void *)Reset_Handler};
