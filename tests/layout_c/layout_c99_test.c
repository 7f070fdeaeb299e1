/* tests/layout_c/layout_c99_test.c — the C99 layout headers
 * (zeroipc/layout/layout.h) against numbers derived by hand from
 * SPECIFICATION.md. The struct offsets are checked at compile time by the
 * headers themselves; this checks the offset functions at run time.
 *
 *   gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -Ilib/include \
 *       tests/layout_c/layout_c99_test.c -o layout_c99_test && ./layout_c99_test
 *
 * Exit status 0 when every value matches, 1 otherwise (each mismatch is printed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <zeroipc/layout/layout.h>

static int failures = 0;
static int checks = 0;

static void check(const char* what, uint64_t got, uint64_t want) {
  ++checks;
  if (got != want) {
    ++failures;
    printf("MISMATCH %s: got %" PRIu64 ", want %" PRIu64 "\n", what, got, want);
  }
}

#define CHECK(expr, want) check(#expr, (expr), (want))

int main(void) {
  /* ------------------------------------------------ helpers (intro, §7.2) */
  CHECK(zeroipc_align8(0), 0);
  CHECK(zeroipc_align8(13), 16);
  CHECK(zeroipc_align64(1), 64);
  CHECK(zeroipc_align64(4000), 4032);
  CHECK(zeroipc_bit_ceil(0), 1);
  CHECK(zeroipc_bit_ceil(1), 1);
  CHECK(zeroipc_bit_ceil(3), 4);
  CHECK(zeroipc_bit_ceil(1000), 1024);
  CHECK(zeroipc_bit_ceil(UINT64_C(1) << 63), UINT64_C(1) << 63);
  CHECK(zeroipc_bit_ceil((UINT64_C(1) << 63) + 1), 0); /* not representable */
  CHECK(zeroipc_queue_ring_slots(1), 2);                /* R = bit_ceil(max(c, 2)) */
  CHECK(zeroipc_queue_ring_slots(2), 2);
  CHECK(zeroipc_queue_ring_slots(6), 8);
  CHECK(zeroipc_queue_ring_slots(1000), 1024);

  /* ------------------------------------------------ §1-§4 segment */
  CHECK(sizeof(zeroipc_segment_header), 128);
  CHECK(zeroipc_attach_slot_offset(63), 128 + 63 * 16);
  CHECK(zeroipc_segment_data_offset(ZEROIPC_DEFAULT_TABLE_OFFSET, 64), 1152 + 64 * 64); /* 5248 */
  CHECK(zeroipc_segment_data_offset(1152, 1), 1216);
  CHECK(zeroipc_table_entry_offset(1152, 3), 1152 + 3 * 64);
  CHECK(zeroipc_attach_owner(1234, 0x7654321), (UINT64_C(0x7654321) << 32) | 1234);
  CHECK(zeroipc_attach_pid(zeroipc_attach_owner(1234, 0x7654321)), 1234);
  CHECK(zeroipc_attach_key(zeroipc_attach_owner(1234, 0x7654321)), 0x7654321);

  /* ------------------------------------------------ §7.1 Array */
  CHECK(zeroipc_array_total_size(6, 4), 64 + 24);
  CHECK(zeroipc_array_total_size(0, 4), 0);
  CHECK(zeroipc_array_total_size(UINT64_MAX / 2, 4), 0); /* overflow */

  /* ------------------------------------------------ §7.2.1 vyukov_bounded */
  CHECK(zeroipc_vyukov_stride(8), 16);
  CHECK(zeroipc_vyukov_stride(5), 16);
  CHECK(zeroipc_vyukov_stride(12), 24);
  CHECK(zeroipc_vyukov_body_size(8, 8), 128 + 8 * 16);      /* 256 */
  CHECK(zeroipc_vyukov_total_size(8, 8), 64 + 256);
  CHECK(zeroipc_vyukov_body_size(6, 5), 128 + 8 * 16);      /* R = 8 */
  CHECK(zeroipc_vyukov_body_size(1000, 12), 128 + 1024 * 24); /* 24704 */
  CHECK(zeroipc_vyukov_body_size(1, 1), 128 + 2 * 16);      /* R = 2 */
  CHECK(zeroipc_vyukov_body_size(0, 8), 0);
  CHECK(zeroipc_vyukov_body_size(8, 0), 0);
  CHECK(zeroipc_vyukov_body_size((UINT64_C(1) << 40) + 1, 8), 0);
  CHECK(zeroipc_vyukov_cell_offset(8, 8, 11), 128 + 3 * 16);

  /* ------------------------------------------------ §7.2.2 lcrq */
  CHECK(zeroipc_lcrq_ring_size(8), 8);
  CHECK(zeroipc_lcrq_ring_count(8), 4);              /* 8 / 8 + 3 */
  CHECK(zeroipc_lcrq_ring_bytes(8), 192 + 16 * 8);   /* 320 */
  CHECK(zeroipc_lcrq_nodes_offset(8), 8576 + 4 * 320); /* 9856 */
  CHECK(zeroipc_lcrq_body_size(8, 8), 9856);           /* direct cells: no nodes */
  CHECK(zeroipc_lcrq_nodes_body_size(8, 8), 9856 + 8 * 16); /* 9984 */
  CHECK(zeroipc_lcrq_body_size(8, 9), 9856 + 8 * 24);  /* over 8 bytes: nodes */
  CHECK(zeroipc_lcrq_nodes_offset(1000), 8576 + 4 * (192 + 16 * 1024)); /* 74880 */
  CHECK(zeroipc_lcrq_body_size(1000, 4), 74880);
  CHECK(zeroipc_lcrq_nodes_body_size(1000, 4), 74880 + 1000 * 16);
  CHECK(zeroipc_lcrq_ring_size(5000), 1024);          /* min(8192, 1024) */
  CHECK(zeroipc_lcrq_ring_count(5000), 11);           /* 8192 / 1024 + 3 */
  CHECK(zeroipc_lcrq_nodes_offset(5000), 8576 + 11 * 16576);
  CHECK(zeroipc_lcrq_nodes_offset(1), 8576 + 4 * (192 + 16 * 2)); /* R = 2, K = 4 */
  CHECK(zeroipc_lcrq_ring_offset(8, 2), 8576 + 2 * 320);
  CHECK(zeroipc_lcrq_cell_offset(8, 13), 192 + 16 * 5);
  CHECK(zeroipc_lcrq_node_offset(8, 8, 1), 9856);
  CHECK(zeroipc_lcrq_node_offset(8, 8, 3), 9856 + 2 * 16);
  CHECK(zeroipc_lcrq_body_size((UINT64_C(1) << 31) + 1, 8), 0);

  /* ------------------------------------------------ §7.2.3 scq */
  CHECK(zeroipc_scq_ring_bytes(8), 192 + 16 * 8);  /* 320 */
  CHECK(zeroipc_scq_fq_offset(8), 8256 + 320);     /* 8576 */
  CHECK(zeroipc_scq_data_offset(8), 8256 + 640);   /* 8896 */
  CHECK(zeroipc_scq_body_size(8, 8), 8256 + 192 + 32 * 8); /* direct cells: 8704 */
  CHECK(zeroipc_scq_body_size(6, 4), 8704);        /* direct cells, n = 8 */
  CHECK(zeroipc_scq_body_size(8, 9), 8896 + 72);   /* over 8 bytes: index rings */
  CHECK(zeroipc_scq_indices_body_size(8, 8), 8896 + 64);
  CHECK(zeroipc_scq_indices_body_size(6, 4), 8896 + 24); /* n = 8, data for 6 */
  CHECK(zeroipc_scq_cell_ring_bytes(8), 192 + 32 * 8);   /* 448 */
  CHECK(zeroipc_scq_cell_remap(8, 1), 4);  /* 2n = 16: (1 mod 4) * 4 + 0 */
  CHECK(zeroipc_scq_cell_remap(8, 4), 1);  /* 0 * 4 + 1 */
  CHECK(zeroipc_scq_cell_remap(8, 5), 5);  /* 1 * 4 + 1 */
  CHECK(zeroipc_scq_cell_remap(8, 16 + 5), 5);
  CHECK(zeroipc_scq_cell_remap(2, 3), 3);  /* 2n = 4: one line */
  CHECK(zeroipc_scq_cell_offset(8, 5), 192 + 16 * 5);
  CHECK(zeroipc_scq_total_size(8, 8), 64 + 8704);
  CHECK(zeroipc_scq_indices_total_size(8, 8), 64 + 8960);
  CHECK(zeroipc_scq_data_offset(1000), 8256 + 2 * (192 + 16 * 1024));
  CHECK(zeroipc_scq_remap(8, 1), 2);   /* 2n = 16: (1 mod 8) * 2 + 0 */
  CHECK(zeroipc_scq_remap(8, 8), 1);   /* 0 * 2 + 1 */
  CHECK(zeroipc_scq_remap(8, 9), 3);   /* 1 * 2 + 1 */
  CHECK(zeroipc_scq_remap(8, 16 + 9), 3);
  CHECK(zeroipc_scq_remap(2, 3), 3);   /* 2n = 4 < 8: identity */
  CHECK(zeroipc_scq_entry_offset(8, 9), 192 + 8 * 3);
  CHECK(zeroipc_scq_order(8), 3);      /* 2n = 16 = 2^(3+1) */
  CHECK(zeroipc_scq_no_index(8), 15);

  /* ------------------------------------------------ §7.2.4 / §7.2.5 */
  CHECK(zeroipc_spsc_body_size(8, 8), 192 + 64);
  CHECK(zeroipc_spsc_body_size(1000, 1), 192 + 1024);
  CHECK(zeroipc_spsc_slot_offset(6, 4, 9), 192 + 1 * 4);
  CHECK(zeroipc_locked_ring_body_size(3, 8), 128 + 4 * 8);
  CHECK(zeroipc_locked_ring_total_size(3, 8), 64 + 160);

  /* ------------------------------------------------ §7.3 stacks, §7.7 */
  CHECK(zeroipc_stack_stride(8), 16);
  CHECK(zeroipc_treiber_body_size(10, 8), 8384 + 160);
  CHECK(zeroipc_elimination_body_size(10, 8), 9408 + 160);
  CHECK(zeroipc_treiber_body_size(UINT64_C(0xFFFFFFFF), 8), 0);             /* > 2^32 - 2 */
  CHECK(zeroipc_treiber_body_size(UINT64_C(0xFFFFFFFE), 1), 8384 + UINT64_C(0xFFFFFFFE) * 16);
  CHECK(zeroipc_elimination_slot_offset(15), 128 + 15 * 64);
  CHECK(zeroipc_treiber_node_offset(6, 2), 8384 + 2 * 16);
  CHECK(zeroipc_op_slot_offset(127), 64 + 127 * 64);
  CHECK(sizeof(zeroipc_op_area), 8256);

  /* ------------------------------------------------ §7.4 - §7.6 */
  CHECK(zeroipc_codata_total_size(1, 1), 392);
  CHECK(zeroipc_codata_total_size(1, 8), 392);
  CHECK(zeroipc_codata_total_size(1, 9), 400);
  CHECK(zeroipc_codata_total_size(2, 8), 0);
  CHECK(zeroipc_codata_make(5, ZEROIPC_FUTURE_READY, 77), (UINT64_C(77) << 32) | (5u << 4) | 2u);
  CHECK(zeroipc_codata_phase(zeroipc_codata_make(5, ZEROIPC_FUTURE_READY, 77)), 2);
  CHECK(zeroipc_codata_sequence(zeroipc_codata_make(0x10000000u, 0, 0)), 0); /* modulo 2^28 */
  CHECK(zeroipc_stream_stride(1000), 1008);
  CHECK(zeroipc_stream_total_size(1024, 1000), 4352 + 1024 * 1008);
  CHECK(zeroipc_stream_total_size(1000, 8), 0); /* not a power of two */
  CHECK(zeroipc_stream_total_size(1, 1), 4352 + 16);
  CHECK(zeroipc_stream_cell_offset(8, 8, 9), 4352 + 16);
  CHECK(zeroipc_stream_slot_offset(63), 256 + 63 * 64);
  CHECK(zeroipc_channel_total_size(zeroipc_channel_cells(0), 8), 448 + 8);
  CHECK(zeroipc_channel_total_size(1000, 4), 448 + 1024 * 4);
  CHECK(zeroipc_channel_total_size((UINT64_C(1) << 31) + 1, 4), 0);

  /* ------------------------------------------------ §7.8 - §7.10 */
  CHECK(zeroipc_probe_table_size(100), 256); /* bit_ceil(100 + 34) */
  CHECK(zeroipc_probe_table_size(6), 8);     /* bit_ceil(6 + 2) */
  CHECK(zeroipc_probe_table_size(1), 2);
  CHECK(zeroipc_probe_stride(8, 8), 24);
  CHECK(zeroipc_probe_stride(6, 0), 16);
  CHECK(zeroipc_probe_tables_offset(8), 192);
  CHECK(zeroipc_probe_body_size(100, 8, 8), 192 + 2 * 256 * 24);
  CHECK(zeroipc_probe_body_size(6, 6, 0), 128 + 2 * 8 * 16);
  CHECK(zeroipc_probe_table_offset(100, 8, 8, 1), 192 + 256 * 24);
  CHECK(zeroipc_probe_slot_value_offset(6), 16);
  CHECK(zeroipc_key_hash("", 0), UINT64_C(0xefd01f60ba992926));
  {
    const unsigned char one[8] = {1, 0, 0, 0, 0, 0, 0, 0};
    CHECK(zeroipc_key_hash(one, 8), UINT64_C(0x4a3a3a4ba6523826));
  }
  CHECK(zeroipc_key_hash("prices", 6), UINT64_C(0x391095f36b2a47b7));
  CHECK(zeroipc_pool_states_offset(10), 192);
  CHECK(zeroipc_pool_objects_offset(10), 320);
  CHECK(zeroipc_pool_body_size(10, 24), 560);
  CHECK(zeroipc_pool_objects_offset(1000), 128 + 4032 + 8000);
  CHECK(zeroipc_pool_state_acquired(3, 5), (UINT64_C(3) << 32) | (5u << 1) | 1u);
  CHECK(zeroipc_gated_ring_body_size(6, 4), 4224 + 24);
  CHECK(zeroipc_gated_ring_element_offset(6, 4, 13), 4224 + 1 * 4);
  CHECK(zeroipc_gated_ring_body_size((UINT64_C(1) << 48) + 1, 1), 0);

  /* ------------------------------------------------ the structs over real bytes */
  {
    /* 8-byte aligned storage (a mapping gives 64; u64 atomics need 8). */
    static uint64_t storage[1024];
    unsigned char* base = (unsigned char*)storage;
    zeroipc_segment_header* h = (zeroipc_segment_header*)base;
    zeroipc_lcrq_ring* ring = (zeroipc_lcrq_ring*)(base + 128);
    memcpy(h->magic, ZEROIPC_SEGMENT_MAGIC, 4);
    __atomic_store_n(&h->table_lock, 42u | ZEROIPC_LOCK_WAITERS_BIT, __ATOMIC_RELEASE);
    __atomic_store_n(&ring->tail, ZEROIPC_LCRQ_FLAG | 7u, __ATOMIC_SEQ_CST);
    CHECK(base[0] == 'Z' && base[3] == 'M', 1);
    CHECK(base[64], 42); /* little-endian u32 at 64 */
    CHECK(base[64 + 3], 0x80);
    CHECK(__atomic_load_n((uint64_t*)(base + 128 + 128), __ATOMIC_ACQUIRE), ZEROIPC_LCRQ_FLAG | 7u);
  }

  if (failures != 0) {
    printf("layout_c99_test: %d of %d checks FAILED\n", failures, checks);
    return 1;
  }
  printf("layout_c99_test: all %d checks passed\n", checks);
  return 0;
}
