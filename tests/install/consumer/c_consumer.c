/* Uses an installed libzeroipc-c through pkg-config (zeroipc-c.pc): create a
 * segment, write an array, open it again by name, read it back, unlink.
 * Exit 0 on success. */
#include <stdio.h>
#include <unistd.h>

#include <zeroipc.h>

int main(void) {
  char name[64];
  zeroipc_memory* mem = NULL;
  zeroipc_array *a = NULL, *b = NULL;
  int failures = 0;
  snprintf(name, sizeof name, "/zeroipc_install_c_test_%d", (int)getpid());
  if (zeroipc_memory_create(name, 1 << 20, NULL, &mem) != ZEROIPC_OK ||
      zeroipc_array_create(mem, "temperature", 16, sizeof(float), ZEROIPC_DTYPE_F32, &a) != ZEROIPC_OK ||
      zeroipc_array_open(mem, "temperature", sizeof(float), ZEROIPC_DTYPE_F32, &b) != ZEROIPC_OK) {
    fprintf(stderr, "error: %s\n", zeroipc_last_error());
    ++failures;
  } else {
    ((float*)zeroipc_array_data(a))[3] = 2.5f;
    if (zeroipc_array_capacity(b) != 16) {
      fprintf(stderr, "capacity: expected 16, got %llu\n", (unsigned long long)zeroipc_array_capacity(b));
      ++failures;
    }
    if (((const float*)zeroipc_array_data(b))[3] != 2.5f) {
      fprintf(stderr, "b[3]: expected 2.5\n");
      ++failures;
    }
  }
  zeroipc_array_close(b);
  zeroipc_array_close(a);
  zeroipc_memory_close(mem);
  zeroipc_memory_unlink(name);
  if (failures == 0) printf("C consumer: ok\n");
  return failures != 0;
}
