/* fuzz_corpus_c.c — the committed fuzz corpus (tests/fuzz/corpus/) through
 * the C opener, built with AddressSanitizer and UBSan (tests/c/CMakeLists.txt).
 *
 *   c_fuzz_corpus <corpus dir>
 *
 * A corpus input is a list of patch records for a segment image, as in
 * tests/fuzz/fuzz_image.h: records of 4 bytes [region][offset lo][offset hi]
 * [value]; region 0 is the header, attach slots and table (bytes up to the
 * first structure), region k the k-th structure (offset taken modulo its
 * size); trailing bytes are ignored. The C++ image holds one structure of
 * every kind; this program cannot use the C++ library, so its image is
 * built by the C library (in a child, so that every owner key in it is a
 * dead process's) and holds arrays of several element types: the patches
 * land on other bytes, the reading code is exercised the same way.
 *
 * Each patched image is written as a /dev/shm segment file and opened with
 * zeroipc_memory_open; every entry is then peeked (zipc_structure_peek) and
 * opened as an array (zeroipc_array_open, as the entry's header says and as
 * u64), and a new array is created (the locked path: recovery, step 3's
 * checks). Required: no crash and no sanitizer report, and every failure a
 * negative status with a non-empty message. This process's owner key is kept
 * out of every patched 4-byte window, as fuzz_image.h does: a lock word
 * naming a live process is a lock that process holds, and waiting for it is
 * right. Prints counts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define IMAGE_SIZE (128u * 1024u)
#define MAX_REGIONS 33
#define MAX_ENTRIES 64

typedef struct region {
  uint64_t offset;
  uint64_t size;
} region;

typedef struct counts {
  unsigned inputs, opened, open_failed, calls, failed, bad_failures;
} counts;

static char segment[64];
static char path[96];

static unsigned char* read_all(const char* file, size_t* size) {
  FILE* f = fopen(file, "rb");
  if (f == NULL) return NULL;
  size_t cap = 4096, n = 0;
  unsigned char* buf = malloc(cap);
  for (size_t got; buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *size = n;
  return buf;
}

static int write_segment(const unsigned char* bytes, size_t size) {
  unlink(path);
  const int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  for (size_t done = 0; done < size;) {
    const ssize_t n = write(fd, bytes + done, size - done);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)n;
  }
  close(fd);
  return 0;
}

/* The image, built by a child so that every key in it is dead. */
static int build_image(void) {
  const pid_t child = fork();
  if (child == 0) {
    zeroipc_memory_options o = zeroipc_memory_default_options();
    zeroipc_memory* mem = NULL;
    zeroipc_array* a = NULL;
    o.table_capacity = 32;
    if (zeroipc_memory_create(segment, IMAGE_SIZE, &o, &mem) != ZEROIPC_OK) _exit(1);
    if (zeroipc_array_create(mem, "arr", 16, 8, ZEROIPC_DTYPE_U64, &a) != ZEROIPC_OK) _exit(2);
    ((uint64_t*)zeroipc_array_data(a))[3] = 3;
    if (zeroipc_array_create(mem, "temps", 100, 4, ZEROIPC_DTYPE_F32, &a) != ZEROIPC_OK) _exit(3);
    if (zeroipc_array_create(mem, "bytes", 33, 1, ZEROIPC_DTYPE_U8, &a) != ZEROIPC_OK) _exit(4);
    if (zeroipc_array_create(mem, "recs", 8, 24, ZEROIPC_DTYPE_OPAQUE, &a) != ZEROIPC_OK) _exit(5);
    if (zeroipc_array_create(mem, "i16s", 9, 2, ZEROIPC_DTYPE_I16, &a) != ZEROIPC_OK) _exit(6);
    _exit(0); /* handles left open: the slots and keys of a dead process */
  }
  int status = 0;
  return waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* As fuzz_image.h's image_regions: [0] = header, attach slots and table; then each structure. */
static size_t image_regions(region* regions, uint32_t* key) {
  zeroipc_memory* mem = NULL;
  zeroipc_entry_info entries[MAX_REGIONS - 1];
  size_t count = 0;
  if (zeroipc_memory_open(segment, 0, &mem) != ZEROIPC_OK ||
      zeroipc_table_entries(mem, entries, MAX_REGIONS - 1, &count) != ZEROIPC_OK || count == 0) {
    return 0;
  }
  *key = zipc_self_key(zipc_memory_mapping(mem));
  regions[0].offset = 0;
  regions[0].size = entries[0].offset;
  for (size_t i = 0; i < count; ++i) {
    regions[i + 1].offset = entries[i].offset;
    regions[i + 1].size = entries[i].size;
  }
  zeroipc_memory_close(mem);
  return count + 1;
}

/* As fuzz_image.h's patched(): apply the records, then keep `key` out of every patched window. */
static void patch(unsigned char* img, size_t img_size, const region* regions, size_t n_regions,
                  const unsigned char* data, size_t size, uint32_t key) {
  for (size_t i = 0; i + 4 <= size; i += 4) {
    const region* r = &regions[data[i] % n_regions];
    const uint64_t off = r->offset + ((data[i + 1] | (uint64_t)data[i + 2] << 8) % r->size);
    img[off] = data[i + 3];
  }
  for (size_t i = 0; i + 4 <= size; i += 4) {
    const region* r = &regions[data[i] % n_regions];
    const uint64_t off = r->offset + ((data[i + 1] | (uint64_t)data[i + 2] << 8) % r->size);
    for (uint64_t w = off >= 3 ? off - 3 : 0; w <= off && w + 4 <= img_size; ++w) {
      uint32_t v;
      memcpy(&v, img + w, 4);
      if (v == key) img[w] ^= 1;
    }
  }
}

/* A call's status: fine when it succeeded; a failure must be negative with a message. */
static void account(counts* c, int status, const char* input, const char* call) {
  ++c->calls;
  if (status == ZEROIPC_OK) return;
  ++c->failed;
  if (status >= 0 || zeroipc_last_error()[0] == '\0') {
    ++c->bad_failures;
    fprintf(stderr, "%s: %s returned %d with message \"%s\"\n", input, call, status, zeroipc_last_error());
  }
}

static void drive(counts* c, const char* input) {
  zeroipc_memory* mem = NULL;
  int status = zeroipc_memory_open(segment, 0, &mem);
  account(c, status, input, "zeroipc_memory_open");
  if (status != ZEROIPC_OK) {
    ++c->open_failed;
    return;
  }
  ++c->opened;
  zeroipc_entry_info entries[MAX_ENTRIES];
  size_t count = 0;
  status = zeroipc_table_entries(mem, entries, MAX_ENTRIES, &count);
  account(c, status, input, "zeroipc_table_entries");
  for (size_t i = 0; status == ZEROIPC_OK && i < count && i < MAX_ENTRIES; ++i) {
    zeroipc_struct_header h;
    zeroipc_array* a = NULL;
    const int peeked = zipc_structure_peek(zipc_memory_mapping(mem), entries[i].name, &h);
    account(c, peeked, input, "zipc_structure_peek");
    if (peeked == ZEROIPC_OK && h.element_size != 0) {
      const int opened = zeroipc_array_open(mem, entries[i].name, h.element_size,
                                            h.dtype <= ZEROIPC_DTYPE_BOOL ? h.dtype : 0, &a);
      account(c, opened, input, "zeroipc_array_open (as its header says)");
      if (opened == ZEROIPC_OK) {
        /* Touch the first and last bytes the handle covers. */
        volatile uint8_t* data = zeroipc_array_data(a);
        data[0] = data[0];
        data[zeroipc_array_capacity(a) * zeroipc_array_element_size(a) - 1] ^= 0;
        zeroipc_array_close(a);
      }
    }
    const int as_u64 = zeroipc_array_open(mem, entries[i].name, 8, ZEROIPC_DTYPE_U64, &a);
    account(c, as_u64, input, "zeroipc_array_open (u64)");
    if (as_u64 == ZEROIPC_OK) zeroipc_array_close(a);
  }
  zeroipc_array* fresh = NULL;
  status = zeroipc_array_create(mem, "fuzz_new", 4, 8, ZEROIPC_DTYPE_U64, &fresh);
  account(c, status, input, "zeroipc_array_create");
  if (status == ZEROIPC_OK) zeroipc_array_close(fresh);
  zeroipc_memory_close(mem);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  snprintf(segment, sizeof segment, "/zipc_c_fuzz_corpus_%d", (int)getpid());
  snprintf(path, sizeof path, "/dev/shm%s", segment);
  zeroipc_memory_unlink(segment);
  size_t image_size = 0;
  region regions[MAX_REGIONS];
  uint32_t key = 0;
  size_t n_regions = 0;
  unsigned char* image = NULL;
  if (build_image() == 0 && (image = read_all(path, &image_size)) != NULL) n_regions = image_regions(regions, &key);
  if (n_regions == 0 || image_size != IMAGE_SIZE) {
    fprintf(stderr, "fuzz_corpus_c: could not build the image: %s\n", zeroipc_last_error());
    zeroipc_memory_unlink(segment);
    return 1;
  }
  DIR* dir = opendir(argv[1]);
  if (dir == NULL) {
    fprintf(stderr, "fuzz_corpus_c: cannot open %s\n", argv[1]);
    zeroipc_memory_unlink(segment);
    return 1;
  }
  counts c = {0, 0, 0, 0, 0, 0};
  unsigned char* img = malloc(image_size);
  for (struct dirent* e = readdir(dir); e != NULL && img != NULL; e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    char input[4096];
    size_t size = 0;
    snprintf(input, sizeof input, "%s/%s", argv[1], e->d_name);
    unsigned char* data = read_all(input, &size);
    if (data == NULL) continue;
    memcpy(img, image, image_size);
    patch(img, image_size, regions, n_regions, data, size, key);
    free(data);
    ++c.inputs;
    if (write_segment(img, image_size) != 0) {
      fprintf(stderr, "fuzz_corpus_c: cannot write %s\n", path);
      ++c.bad_failures;
      break;
    }
    drive(&c, e->d_name);
  }
  closedir(dir);
  free(img);
  free(image);
  zeroipc_memory_unlink(segment);
  printf("fuzz_corpus_c: %u inputs, %u opened, %u refused at open, %u calls, %u failed with a status and message, "
         "%u bad failures\n",
         c.inputs, c.opened, c.open_failed, c.calls, c.failed, c.bad_failures);
  return c.inputs == 0 || c.bad_failures != 0;
}
