/**
 * Which devices each k6 VU simulates, cluster-wide. Pure: the k6 bundle
 * imports it.
 *
 * k6 numbers the VUs of a whole test 1..V with `exec.vu.idInTest`, even when
 * the test is split over instances: every instance runs its execution
 * segment (`--execution-segment 1/3:2/3` with the common
 * `--execution-segment-sequence 0,1/3,2/3,1`, which the k6 operator passes
 * to each runner) and takes the global VU numbers that the segment's stripe
 * of the sequence owns. The VU numbers of all instances together are
 * 1..V, each once, whatever the number of instances. So a device range keyed
 * by the global VU number is owned by exactly one VU in the whole cluster,
 * and no instance needs to know how many others there are.
 */

/** A contiguous block of device indexes: [first, first + count). */
export interface DeviceRange {
  first: number;
  count: number;
}

/**
 * The devices of VU `vuIdInTest` (1-based, k6's `exec.vu.idInTest`) out of
 * `devices`, split as evenly as possible over `totalVus`: VU v gets
 * [floor((v-1)·N/V), floor(v·N/V)). A VU number outside 1..V owns nothing.
 */
export function devicesOfVu(devices: number, totalVus: number, vuIdInTest: number): DeviceRange {
  if (!Number.isInteger(vuIdInTest) || vuIdInTest < 1 || vuIdInTest > totalVus) return { first: 0, count: 0 };
  const first = Math.floor(((vuIdInTest - 1) * devices) / totalVus);
  const end = Math.floor((vuIdInTest * devices) / totalVus);
  return { first, count: end - first };
}

/**
 * How many VUs a fleet needs: enough that none holds more than
 * `devicesPerVu`, at least one per k6 instance, and a multiple of
 * `instances` so that equal execution segments get equal VU counts.
 */
export function vusFor(devices: number, devicesPerVu: number, instances: number): number {
  const needed = Math.max(1, Math.ceil(devices / devicesPerVu));
  return Math.ceil(Math.max(needed, instances) / instances) * instances;
}
