/* reading.h — what the C producer and the C++ consumer of the sensor_c
 * example agree on: the segment's names and the reading record. Plain C99, so
 * both compilers see one definition and lay it out alike: 24 bytes, no
 * padding (sensor_consumer.cpp checks every offset with static_assert).
 */
#ifndef SENSOR_C_READING_H
#define SENSOR_C_READING_H

#include <stdint.h>

#define SENSOR_DEFAULT_SEGMENT "/zeroipc_sensor_c_demo"
#define SENSOR_READINGS "readings" /* Queue of sensor_reading, vyukov_bounded: every reading, in order */
#define SENSOR_LATEST "latest"     /* Array of sensor_reading, one per sensor: its last reading */
#define SENSOR_DONE "done"         /* Future of uint64_t: how many readings there were */
#define SENSOR_COUNT 8u            /* readings go round the sensors */
#define SENSOR_QUEUE_CAPACITY 256u

typedef struct sensor_reading {
  uint64_t seq;          /* 0, 1, 2, ...: the order the producer made them in */
  uint32_t sensor_id;    /* 0 .. SENSOR_COUNT - 1 */
  float temperature;     /* degrees C */
  float humidity;        /* percent */
  uint32_t timestamp_ms; /* since the producer started */
} sensor_reading;

#endif /* SENSOR_C_READING_H */
