/* Fixed-width types for the ABI headers, usable freestanding and on the host. */
#ifndef EXO_TYPES_H
#define EXO_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t  u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t  i32;
typedef int64_t  i64;

#endif
