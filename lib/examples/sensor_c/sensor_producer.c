/* Sensor readings from C, producer side: a C99 program using only the C
 * library's public header (zeroipc.h, libzeroipc-c). It samples 8 sensors in
 * turn, a tick every 500 us, and pushes every reading (reading.h) onto a named
 * Queue in shared memory, waiting a little whenever the queue is full; it
 * keeps each sensor's last reading in a named Array that any process reads in
 * place. At the end it sets the Future "done" to the number of readings.
 *
 *   sensor_c_producer [segment] [readings]   defaults: /zeroipc_sensor_c_demo 4000
 *
 * Start the consumer (sensor_c_consumer, C++) once this prints its "ready"
 * line. Its last line is the statistics of what it sent, from a seeded
 * generator, for checking the consumer's.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zeroipc.h>

#include "reading.h"

static const double kPi = 3.14159265358979323846;

/* A small seeded generator (the same numbers on every run and machine). */
static uint32_t rng_state = 42u;
static float noise(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float)(rng_state >> 8) / 16777216.0f - 0.5f; /* -0.5 .. 0.5 */
}

static double now_ms(const struct timespec* start) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - start->tv_sec) * 1e3 + (double)(t.tv_nsec - start->tv_nsec) / 1e6;
}

static void sleep_ns(long ns) {
  struct timespec t;
  t.tv_sec = ns / 1000000000L;
  t.tv_nsec = ns % 1000000000L;
  nanosleep(&t, NULL);
}

static int fail(const char* what, int status) {
  fprintf(stderr, "sensor_producer: %s: %s: %s\n", what, zeroipc_status_name(status), zeroipc_last_error());
  return 1;
}

/* Running statistics, printed as the consumer prints its own. */
struct stats {
  uint64_t count;
  double temperature_sum, humidity_sum;
  float min, max;
};

static void stats_add(struct stats* s, const sensor_reading* r) {
  if (s->count == 0 || r->temperature < s->min) s->min = r->temperature;
  if (s->count == 0 || r->temperature > s->max) s->max = r->temperature;
  ++s->count;
  s->temperature_sum += r->temperature;
  s->humidity_sum += r->humidity;
}

int main(int argc, char** argv) {
  const char* segment = argc > 1 ? argv[1] : SENSOR_DEFAULT_SEGMENT;
  const uint64_t samples = argc > 2 ? strtoull(argv[2], NULL, 10) : 4000u;
  zeroipc_memory* mem = NULL;
  zeroipc_queue* readings = NULL;
  zeroipc_array* latest = NULL;
  zeroipc_future* done = NULL;
  int status;

  /* A fresh segment for every run: a stale one of an earlier run is removed
   * first (processes still using it keep their mapping). */
  zeroipc_memory_unlink(segment);
  if ((status = zeroipc_memory_create(segment, 1u << 20, NULL, &mem)) != ZEROIPC_OK) {
    return fail("create the segment", status);
  }
  if ((status = zeroipc_queue_create(mem, SENSOR_READINGS, ZEROIPC_QUEUE_VYUKOV_BOUNDED, SENSOR_QUEUE_CAPACITY,
                                     sizeof(sensor_reading), ZEROIPC_DTYPE_OPAQUE, &readings)) != ZEROIPC_OK) {
    return fail("create the readings queue", status);
  }
  if ((status = zeroipc_array_create(mem, SENSOR_LATEST, SENSOR_COUNT, sizeof(sensor_reading), ZEROIPC_DTYPE_OPAQUE,
                                     &latest)) != ZEROIPC_OK) {
    return fail("create the latest array", status);
  }
  if ((status = zeroipc_future_create(mem, SENSOR_DONE, sizeof(uint64_t), ZEROIPC_DTYPE_U64, &done)) != ZEROIPC_OK) {
    return fail("create the done future", status);
  }
  zeroipc_memory_close(mem); /* the structures' handles keep the mapping */
  printf("producer (pid %d): ready: %s holds '%s' (queue of %u readings of %u bytes), '%s' (%u sensors), '%s'\n",
         (int)getpid(), segment, SENSOR_READINGS, SENSOR_QUEUE_CAPACITY, (unsigned)sizeof(sensor_reading),
         SENSOR_LATEST, SENSOR_COUNT, SENSOR_DONE);
  fflush(stdout);

  sensor_reading* last = zeroipc_array_data(latest); /* in shared memory: written in place */
  struct stats stats;
  memset(&stats, 0, sizeof stats);
  uint64_t full_waits = 0;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (uint64_t i = 0; i < samples; ++i) {
    /* A daily cycle around 21 C, each sensor a little off the others, and noise. */
    const uint32_t sensor = (uint32_t)(i % SENSOR_COUNT);
    const double t = (double)i / (double)samples;
    sensor_reading r;
    memset(&r, 0, sizeof r);
    r.seq = i;
    r.sensor_id = sensor;
    r.temperature = (float)(21.0 + 4.0 * sin(2 * kPi * t) + 0.4 * (sensor - 3.5) + noise());
    r.humidity = (float)(45.0 + 10.0 * cos(2 * kPi * t) + 2.0 * noise());
    r.timestamp_ms = (uint32_t)now_ms(&start);

    while ((status = zeroipc_queue_push(readings, &r)) == ZEROIPC_FULL) {
      ++full_waits; /* the consumer is behind: give it 50 us */
      sleep_ns(50000);
    }
    if (status != ZEROIPC_OK) return fail("push a reading", status);
    last[sensor] = r;
    stats_add(&stats, &r);
    if (sensor == SENSOR_COUNT - 1) sleep_ns(500000);
  }
  /* Setting the Future publishes everything written before it (the last
   * readings in the Array included) to whoever gets its value. */
  if ((status = zeroipc_future_set_value(done, &samples)) != ZEROIPC_OK) return fail("set done", status);

  printf("producer: pushed %llu readings in %.0f ms (%llu waits on a full queue)\n", (unsigned long long)samples,
         now_ms(&start), (unsigned long long)full_waits);
  printf("producer: count=%llu mean=%.4f min=%.4f max=%.4f humidity=%.4f\n", (unsigned long long)stats.count,
         stats.count ? stats.temperature_sum / (double)stats.count : 0.0, (double)stats.min, (double)stats.max,
         stats.count ? stats.humidity_sum / (double)stats.count : 0.0);
  zeroipc_future_close(done);
  zeroipc_array_close(latest);
  zeroipc_queue_close(readings);
  return 0;
}
