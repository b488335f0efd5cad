/* rng: counter-based random numbers. Draw k of a stream is a pure function of (key, k), so a stream can be
 * replayed, split or skipped without state, and never depends on rank, schedule or order of work.
 * Draw k = Moremur finaliser of (key + k * 0x9E3779B97F4A7C15) (SplitMix64's structure; see src/rng/mix.h); the
 * key is a tms_mix64 chain of (seed, stream). Integer-only, so bitwise identical on every machine.
 * Not for cryptography. Never use rand(). */
#ifndef TMS_RNG_H
#define TMS_RNG_H
#include <stddef.h>
#include <stdint.h>

/* Stream ids used by the trainer: one key per purpose, derived from the point's seed. */
enum { TMS_STREAM_INIT = 1, TMS_STREAM_DATA = 2, TMS_STREAM_EVAL = 3, TMS_STREAM_ATTACK = 4,
       TMS_STREAM_EVAL_CURVE = 5 /* the fixed batch of the evaluation curve (eval_every) */ };

typedef struct {
  uint64_t key;     /* identifies the stream */
  uint64_t counter; /* index of the next draw */
} tms_rng;

/* 64-bit avalanche mix (a bijection); the building block of the generator and of seed derivation. */
uint64_t tms_mix64(uint64_t x);
/* Hash of bytes under a seed (for per-point seeds and config hashes). */
uint64_t tms_hash_bytes(uint64_t seed, const void *data, size_t len);

void tms_rng_init(tms_rng *rng, uint64_t seed, uint64_t stream);
uint64_t tms_rng_at(uint64_t key, uint64_t counter); /* the pure function behind the stream */
uint64_t tms_rng_next(tms_rng *rng);                 /* 64 random bits */
float tms_rng_uniform(tms_rng *rng);                 /* [0, 1), 24-bit resolution (top 24 bits of one draw) */
double tms_rng_uniform_double(tms_rng *rng);         /* [0, 1), 53-bit resolution (top 53 bits of one draw) */
double tms_rng_normal(tms_rng *rng);                 /* standard normal, Box-Muller: always exactly 2 draws */
/* Fills out[0..count) with draws counter, counter+1, ... and advances the counter (vectorisable). */
void tms_rng_fill(tms_rng *rng, uint64_t *out, size_t count);

#endif
