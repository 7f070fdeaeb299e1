/* stack_treiber_tagged.c — Stack (SPECIFICATION.md §7.3) and its variant
 * treiber_tagged (§7.3.1): Treiber's lock-free stack (R. K. Treiber,
 * "Systems Programming: Coping with Parallelism", IBM RJ 5118, 1986) over a
 * fixed array of nodes with an ABA tag in the CAS word, as
 * variants/include/zeroipc/variants/treiber_tagged.h and
 * variants/detail/tagged_list.h; the public zeroipc_stack_* functions as the
 * C++ zeroipc::Stack (lib/include/zeroipc/stack.h).
 *
 * Both lists (top: the data; free_top: the free nodes) are Treiber lists of
 * node indices, word = tag << 32 | (index + 1). A push takes a node off the
 * free list, fills it and links it on top; a pop takes the top node, copies
 * the element out and links the node on the free list. Every successful CAS
 * increments the tag. Every operation runs inside its thread slot (§7.7,
 * op_slots.c); a push that finds no free node while a dead thread was in
 * flight recovers once: the free list is rebuilt from every node not on top.
 *
 * Memory-ordering pairs (the C++ numbering):
 *   (T1) the release CAS that links a node (after writing its element and
 *        next) pairs with (T2) the acquire load / CAS that takes it: the taker
 *        sees the element and next. `next` is read relaxed: a concurrent taker
 *        may be reusing the node, and then the tagged CAS fails.
 *   Thread slots: op_slots.c (D1)-(D5).
 *
 * elimination_backoff (§7.3.2) is refused with ZEROIPC_E_NOT_SUPPORTED.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One Treiber list of node indices (1-based; 0 = none). */
typedef struct tagged_list {
  uint64_t* word;
  uint8_t* body;
  uint32_t element_size;
  uint64_t capacity;
} tagged_list;

struct zeroipc_stack {
  zipc_mapping* m;
  uint64_t capacity;
  uint32_t element_size;
  tagged_list top;
  tagged_list free;
  zipc_op_slots ops;
  zipc_rebuild rebuild;
  char where[ZIPC_WHERE_SIZE];
};

/* ------------------------------------------------------------------ the lists */

static zeroipc_stack_node* node_at(const tagged_list* l, uint32_t node) {
  return (zeroipc_stack_node*)(l->body + zeroipc_treiber_node_offset(l->element_size, node - 1u));
}

static uint8_t* element_of(const tagged_list* l, uint32_t node) {
  return (uint8_t*)node_at(l, node) + ZEROIPC_STACK_NODE_ELEMENT_OFFSET;
}

static uint64_t next_tag(uint64_t word) { return ((word >> ZEROIPC_LIST_TAG_SHIFT) + 1u) << ZEROIPC_LIST_TAG_SHIFT; }

/* One attempt to take the top node: the node, or 0 when the list is empty
 * (a corrupt index reads as empty) or, with *contended set, the CAS lost. */
static uint32_t try_take(const tagged_list* l, int* contended) {
  uint64_t top = __atomic_load_n(l->word, __ATOMIC_ACQUIRE); /* (T2) */
  const uint32_t node = (uint32_t)(top & ZEROIPC_LIST_INDEX_MASK);
  *contended = 0;
  if (node == 0 || node > l->capacity) return 0;
  const uint64_t next = __atomic_load_n(&node_at(l, node)->next, __ATOMIC_RELAXED);
  if (__atomic_compare_exchange_n(l->word, &top, next_tag(top) | next, 0, __ATOMIC_ACQUIRE,
                                  __ATOMIC_RELAXED)) { /* (T2) */
    return node;
  }
  *contended = 1;
  return 0;
}

/* Takes the top node, retrying lost CASes; 0 when empty. */
static uint32_t take(const tagged_list* l) {
  for (;;) {
    int contended = 0;
    const uint32_t node = try_take(l, &contended);
    if (node != 0 || !contended) return node;
  }
}

/* Links `node` on top, retrying lost CASes. */
static void link_node(const tagged_list* l, uint32_t node) {
  uint64_t top = __atomic_load_n(l->word, __ATOMIC_RELAXED);
  do {
    __atomic_store_n(&node_at(l, node)->next, (uint32_t)(top & ZEROIPC_LIST_INDEX_MASK), __ATOMIC_RELAXED);
  } while (!__atomic_compare_exchange_n(l->word, &top, next_tag(top) | node, 0, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED)); /* (T1) */
}

/* ------------------------------------------------------------------ recovery: only with no operation in flight */

static int bit(const uint8_t* bits, uint64_t i) { return (bits[i / 8u] >> (i % 8u)) & 1; }
static void set_bit(uint8_t* bits, uint64_t i) { bits[i / 8u] = (uint8_t)(bits[i / 8u] | (1u << (i % 8u))); }

/* Marks every node on the list in `seen` (node n at bit n - 1); *count = how
 * many. strict: an index past the capacity, or a node met twice, is a
 * corrupt structure; otherwise the walk stops there (a list about to be rebuilt). */
static int mark(const tagged_list* l, uint8_t* seen, int strict, const char* which, const char* where,
                uint64_t* count) {
  uint32_t node = (uint32_t)(__atomic_load_n(l->word, __ATOMIC_ACQUIRE) & ZEROIPC_LIST_INDEX_MASK);
  *count = 0;
  while (node != 0) {
    if (node > l->capacity || bit(seen, node - 1u)) {
      if (!strict) return ZEROIPC_OK;
      if (node > l->capacity) {
        return zipc_fail(ZEROIPC_E_CORRUPT, "%s: the %s list names node %" PRIu32 " of %" PRIu64, where, which, node,
                         l->capacity);
      }
      return zipc_fail(ZEROIPC_E_CORRUPT, "%s: the %s list meets node %" PRIu32 " twice", where, which, node);
    }
    set_bit(seen, node - 1u);
    ++*count;
    node = __atomic_load_n(&node_at(l, node)->next, __ATOMIC_RELAXED);
  }
  return ZEROIPC_OK;
}

/* Makes the list hold exactly the nodes not marked in `taken`; how many. The tag still grows. */
static uint64_t rebuild_from_unmarked(const tagged_list* l, const uint8_t* taken) {
  uint32_t head = 0;
  uint64_t n = 0;
  for (uint64_t i = l->capacity; i-- > 0;) {
    if (bit(taken, i)) continue;
    const uint32_t node = (uint32_t)(i + 1u);
    __atomic_store_n(&node_at(l, node)->next, head, __ATOMIC_RELAXED);
    head = node;
    ++n;
  }
  const uint64_t old = __atomic_load_n(l->word, __ATOMIC_RELAXED);
  __atomic_store_n(l->word, next_tag(old) | head, __ATOMIC_RELEASE);
  return n;
}

/* The free list gets every node not on the stack (walked strictly);
 * *given_back = how many were on neither list (held by killed processes). */
static int rebuild_free_list(void* context, uint64_t* given_back) {
  const zeroipc_stack* s = context;
  const size_t bytes = (size_t)((s->capacity + 7u) / 8u);
  uint8_t* on_data = calloc(1, bytes);
  uint8_t* listed = malloc(bytes);
  int status = on_data == NULL || listed == NULL
                   ? zipc_fail(ZEROIPC_E_NO_MEMORY, "%s: no memory to recover %" PRIu64 " nodes", s->where, s->capacity)
                   : ZEROIPC_OK;
  uint64_t on_stack = 0;
  if (status == ZEROIPC_OK) status = mark(&s->top, on_data, 1, "stack", s->where, &on_stack);
  if (status == ZEROIPC_OK) {
    uint64_t was_free = 0;
    memcpy(listed, on_data, bytes);
    mark(&s->free, listed, 0, "free", s->where, &was_free);
    const uint64_t free_now = rebuild_from_unmarked(&s->free, on_data);
    *given_back = free_now > was_free ? free_now - was_free : 0;
  }
  free(on_data);
  free(listed);
  return status;
}

/* ------------------------------------------------------------------ push and pop */

typedef struct push_attempt {
  zeroipc_stack* s;
  const void* element;
} push_attempt;

/* Inside the operation: 1 pushed, 0 no free node (every node is on the stack
 * or held by an operation in flight). */
static int try_push(void* context) {
  const push_attempt* a = context;
  const uint32_t node = take(&a->s->free);
  if (node == 0) return 0;
  memcpy(element_of(&a->s->top, node), a->element, a->s->element_size);
  link_node(&a->s->top, node); /* (T1) */
  return 1;
}

int zeroipc_stack_push(zeroipc_stack* stack, const void* element) {
  if (stack == NULL || element == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stack_push: stack and element must not be NULL");
  }
  uint32_t slot = 0;
  const int status = zipc_op_my_slot(&stack->ops, &slot);
  if (status != ZEROIPC_OK) return status;
  push_attempt attempt;
  attempt.s = stack;
  attempt.element = element;
  return zipc_op_push(&stack->ops, slot, try_push, &attempt, &stack->rebuild);
}

int zeroipc_stack_pop(zeroipc_stack* stack, void* element) {
  if (stack == NULL || element == NULL) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: zeroipc_stack_pop: stack and element must not be NULL");
  }
  uint32_t slot = 0;
  int status = zipc_op_my_slot(&stack->ops, &slot);
  if (status == ZEROIPC_OK) status = zipc_op_enter(&stack->ops, slot, &stack->rebuild);
  if (status != ZEROIPC_OK) return status;
  const uint32_t node = take(&stack->top); /* (T2) */
  if (node != 0) {
    memcpy(element, element_of(&stack->top, node), stack->element_size);
    link_node(&stack->free, node);
  }
  zipc_op_leave(&stack->ops, slot);
  return node != 0 ? ZEROIPC_OK : ZEROIPC_EMPTY;
}

/* ------------------------------------------------------------------ create, open, close */

static uint64_t total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_treiber_total_size(capacity, element_size);
}

/* top = 0 (zeroed); free_top = node 0, tag 0; node i's next = i + 2, the last's 0. */
static int init(uint8_t* base, uint64_t capacity, void* context) {
  const uint32_t element_size = *(const uint32_t*)context;
  uint8_t* body = base + ZEROIPC_BODY_OFFSET;
  ((zeroipc_treiber_body*)body)->free_top = 1u;
  for (uint64_t i = 0; i < capacity; ++i) {
    zeroipc_stack_node* node = (zeroipc_stack_node*)(body + zeroipc_treiber_node_offset(element_size, i));
    node->next = (uint32_t)(i + 1u < capacity ? i + 2u : 0u);
  }
  return ZEROIPC_OK;
}

static zipc_struct_spec stack_spec(uint32_t element_size, uint8_t dtype) {
  zipc_struct_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.kind = ZEROIPC_KIND_STACK;
  spec.variant = ZEROIPC_VARIANT_STACK_TREIBER_TAGGED;
  spec.layout_version = ZEROIPC_LAYOUT_VERSION;
  spec.element_size = element_size;
  spec.dtype = dtype;
  spec.total_size = total_size;
  spec.element_size_name = "element size";
  spec.type_name = "Stack";
  return spec;
}

/* ZEROIPC_OK for treiber_tagged; else the message, and ZEROIPC_E_NOT_SUPPORTED
 * (elimination_backoff) or `unknown` (a number §6.2 does not name). */
static int check_variant(zipc_mapping* m, const char* name, uint32_t variant, int unknown) {
  char who[ZIPC_WHERE_SIZE];
  if (variant == ZEROIPC_VARIANT_STACK_TREIBER_TAGGED) return ZEROIPC_OK;
  if (variant == ZEROIPC_VARIANT_STACK_ELIMINATION_BACKOFF) {
    return zipc_fail(ZEROIPC_E_NOT_SUPPORTED,
                     "%s: stack variant elimination_backoff is not supported by the C implementation (supported: "
                     "treiber_tagged)",
                     zipc_who(m, name, who, sizeof who));
  }
  return zipc_fail(unknown, "%s: unknown stack variant %u (supported: treiber_tagged)",
                   zipc_who(m, name, who, sizeof who), (unsigned)variant);
}

/* The C++ Stack's check_capacity (an element size of 0 is left to
 * zipc_structure_create, which refuses it for every structure). */
static int check_capacity(zipc_mapping* m, const char* name, uint64_t capacity, uint32_t element_size) {
  char where[ZIPC_WHERE_SIZE];
  if (element_size != 0 && total_size(capacity, element_size) == 0) {
    return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "%s: capacity %llu is not allowed (expected 1 to 2^32 - 2)",
                     zipc_where(m, name, ZEROIPC_KIND_STACK, ZEROIPC_VARIANT_STACK_TREIBER_TAGGED, where, sizeof where),
                     (unsigned long long)capacity);
  }
  return ZEROIPC_OK;
}

static tagged_list list_of(uint64_t* word, uint8_t* body, const zeroipc_struct_header* header) {
  tagged_list l;
  l.word = word;
  l.body = body;
  l.element_size = header->element_size;
  l.capacity = header->capacity;
  return l;
}

static int new_handle(zipc_mapping* m, const char* name, const zipc_opened* opened, zeroipc_stack** out) {
  zeroipc_stack* s = calloc(1, sizeof *s);
  if (s == NULL) return zipc_fail(ZEROIPC_E_NO_MEMORY, "zeroipc: no memory for a stack handle");
  uint8_t* body = opened->base + ZEROIPC_BODY_OFFSET;
  zeroipc_treiber_body* b = (zeroipc_treiber_body*)body;
  zipc_mapping_ref(m);
  s->m = m;
  s->capacity = opened->header.capacity;
  s->element_size = opened->header.element_size;
  s->top = list_of(&b->top, body, &opened->header);
  s->free = list_of(&b->free_top, body, &opened->header);
  zipc_where(m, name, ZEROIPC_KIND_STACK, ZEROIPC_VARIANT_STACK_TREIBER_TAGGED, s->where, sizeof s->where);
  zipc_op_slots_init(&s->ops, m, &b->ops, s->where);
  s->rebuild.fn = rebuild_free_list;
  s->rebuild.context = s;
  *out = s;
  return ZEROIPC_OK;
}

static int null_arguments(const char* function) {
  return zipc_fail(ZEROIPC_E_INVALID_ARGUMENT, "zeroipc: %s: mem, name and out must not be NULL", function);
}

int zeroipc_stack_create(zeroipc_memory* mem, const char* name, zeroipc_stack_variant variant, uint64_t capacity,
                         uint32_t element_size, uint8_t dtype, zeroipc_stack** out) {
  if (mem == NULL || name == NULL || out == NULL) return null_arguments("zeroipc_stack_create");
  *out = NULL;
  zipc_mapping* m = zipc_memory_mapping(mem);
  int status = check_variant(m, name, (uint32_t)variant, ZEROIPC_E_INVALID_ARGUMENT);
  if (status == ZEROIPC_OK) status = check_capacity(m, name, capacity, element_size);
  if (status != ZEROIPC_OK) return status;
  const zipc_struct_spec spec = stack_spec(element_size, dtype);
  zipc_opened opened;
  status = zipc_structure_create(m, name, &spec, capacity, init, &element_size, &opened);
  if (status != ZEROIPC_OK) return status;
  return new_handle(m, name, &opened, out);
}

int zeroipc_stack_open(zeroipc_memory* mem, const char* name, uint32_t element_size, uint8_t dtype,
                       zeroipc_stack** out) {
  if (mem == NULL || name == NULL || out == NULL) return null_arguments("zeroipc_stack_open");
  *out = NULL;
  zipc_mapping* m = zipc_memory_mapping(mem);
  zeroipc_struct_header header;
  int status = zipc_structure_peek_kind(m, name, ZEROIPC_KIND_STACK, &header);
  /* Not a stack: the open below names the kind found. */
  if (status == ZEROIPC_OK && header.kind == ZEROIPC_KIND_STACK) {
    status = check_variant(m, name, header.variant, ZEROIPC_E_NOT_SUPPORTED);
  }
  if (status != ZEROIPC_OK) return status;
  const zipc_struct_spec spec = stack_spec(element_size, dtype);
  zipc_opened opened;
  status = zipc_structure_open(m, name, &spec, &opened);
  if (status != ZEROIPC_OK) return status;
  return new_handle(m, name, &opened, out);
}

void zeroipc_stack_close(zeroipc_stack* stack) {
  if (stack == NULL) return;
  zipc_mapping_unref(stack->m);
  free(stack);
}

uint64_t zeroipc_stack_capacity(const zeroipc_stack* stack) { return stack->capacity; }
