import { bloomPositions, sliceMsFor, slicesToCheck } from './bloom-math.ts';
import type { BloomShape } from './bloom-math.ts';

/**
 * A Bloom filter in the consumer's memory, time-sliced like the Redis marks it sits in front of:
 * one bitmap per slice (one window long), a lookup reads every slice overlapping the window, and
 * a slice is dropped once the window has passed it, so memory stays at two bitmaps of
 * `bits / 8` bytes each.
 *
 * It only ever answers "never added within the window" (certain) or "maybe": a key it has not
 * seen is new to this consumer, so the Redis marks need not be asked about it; a "maybe" is
 * settled by the marks, and without a mark by PostgreSQL.
 */
export interface SlicedBloom {
  add(keys: readonly string[], nowMs: number): void;
  /** Per key: false when no slice covering the window at `nowMs` can hold it. */
  mightContain(keys: readonly string[], nowMs: number): boolean[];
  /** The share of the newest slice's bits that are set, 0–1; near 1 every answer is "maybe". */
  fillRatio(nowMs: number): number;
}

export interface SlicedBloomOptions extends BloomShape {
  readonly windowMs: number;
}

interface Slice {
  readonly bytes: Uint8Array;
  setBits: number;
}

export function createSlicedBloom({ bits, hashes, windowMs }: SlicedBloomOptions): SlicedBloom {
  const sliceMs = sliceMsFor(windowMs);
  const shape = { bits, hashes };
  const slices = new Map<number, Slice>();

  /** The slices a lookup at nowMs reads, newest first; older ones are dropped. */
  const live = (nowMs: number): Slice[] => {
    const wanted = slicesToCheck(nowMs, windowMs, sliceMs);
    const oldest = wanted[wanted.length - 1] ?? 0;
    for (const index of slices.keys()) if (index < oldest) slices.delete(index);
    const found: Slice[] = [];
    for (const index of wanted) {
      const slice = slices.get(index);
      if (slice !== undefined) found.push(slice);
    }
    return found;
  };

  return {
    add(keys, nowMs) {
      live(nowMs);
      const index = Math.floor(nowMs / sliceMs);
      let slice = slices.get(index);
      if (slice === undefined) {
        slice = { bytes: new Uint8Array(Math.ceil(bits / 8)), setBits: 0 };
        slices.set(index, slice);
      }
      const { bytes } = slice;
      for (const key of keys) {
        for (const position of bloomPositions(key, shape)) {
          const byte = position >>> 3;
          const mask = 1 << (position & 7);
          const current = bytes[byte] ?? 0;
          if ((current & mask) === 0) {
            bytes[byte] = current | mask;
            slice.setBits += 1;
          }
        }
      }
    },

    mightContain(keys, nowMs) {
      const found = live(nowMs);
      return keys.map((key) => {
        if (found.length === 0) return false;
        const positions = bloomPositions(key, shape);
        return found.some(({ bytes }) =>
          positions.every(
            (position) => ((bytes[position >>> 3] ?? 0) & (1 << (position & 7))) !== 0,
          ),
        );
      });
    },

    fillRatio(nowMs) {
      const slice = slices.get(Math.floor(nowMs / sliceMs));
      return slice === undefined ? 0 : slice.setBits / bits;
    },
  };
}
