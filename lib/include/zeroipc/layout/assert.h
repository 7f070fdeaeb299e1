/* zeroipc/layout/assert.h — ZEROIPC_LAYOUT_ASSERT(condition, message): a
 * compile-time check of a layout fact (a sizeof or an offsetof), usable at
 * file scope in C99, C11 and C++.
 *
 *   C++          static_assert(condition, message)
 *   C11 or later _Static_assert(condition, message)
 *   C99, GCC or Clang
 *                __extension__ _Static_assert(condition, message): the C11
 *                keyword, which both compilers accept in C99 mode as an
 *                extension; __extension__ keeps -Wpedantic quiet about it.
 *                (With glibc, <sys/cdefs.h> defines _Static_assert as a macro
 *                for pre-C11 C: a failure then reads "negative width in
 *                bit-field '__error_if_negative'" at this line, without the
 *                message; it still fails the compilation.)
 *   other C99    extern char zeroipc_layout_assert_failed[(condition) ? 1 : -1]:
 *                a negative array size is a compile error. Repeating an
 *                extern declaration of the same object with the same type
 *                is valid C, so every use can share the one name (a typedef
 *                could not be repeated in C99). The message is not shown.
 *
 * Use it as a declaration, with a semicolon:
 *   ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_segment_header, table_lock) == 64, "spec 2");
 */
#ifndef ZEROIPC_LAYOUT_ASSERT_H
#define ZEROIPC_LAYOUT_ASSERT_H

#if defined(__cplusplus)
#define ZEROIPC_LAYOUT_ASSERT(condition, message) static_assert(condition, message)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define ZEROIPC_LAYOUT_ASSERT(condition, message) _Static_assert(condition, message)
#elif defined(__GNUC__) || defined(__clang__)
#define ZEROIPC_LAYOUT_ASSERT(condition, message) __extension__ _Static_assert(condition, message)
#else
#define ZEROIPC_LAYOUT_ASSERT(condition, message) \
  extern char zeroipc_layout_assert_failed[(condition) ? 1 : -1]
#endif

/* ZEROIPC_MEMBER_SIZE(type, member): sizeof one member, in an integer
 * constant expression (C++11 allows sizeof on a non-static member by name;
 * C has no such form, so it uses a null-pointer member access inside sizeof,
 * which is never evaluated). */
#if defined(__cplusplus)
#define ZEROIPC_MEMBER_SIZE(type, member) sizeof(type::member)
#else
#define ZEROIPC_MEMBER_SIZE(type, member) sizeof(((type*)0)->member)
#endif

#endif /* ZEROIPC_LAYOUT_ASSERT_H */
