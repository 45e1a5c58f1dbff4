import { hash } from 'node:crypto';

export interface BloomShape {
  /** Bits per slice. */
  readonly bits: number;
  /** Positions per key. */
  readonly hashes: number;
  /** Time covered by one slice (one Redis key). */
  readonly sliceMs: number;
}

/**
 * One slice per window length (a rotating pair): a lookup reads the current slice and the one
 * before, which together cover the window, so a new key costs k bit tests per slice; each slice
 * expires once the window has passed it, so memory stays bounded to two slices. (Shorter slices
 * tighten memory but every lookup then reads window/slice + 1 bitmaps; measured slower.)
 */
export function sliceMsFor(windowMs: number): number {
  return Math.max(60_000, windowMs);
}

/** k bit positions by double hashing (Kirsch–Mitzenmacher) on SHA-256 of the key. */
export function bloomPositions(
  key: string,
  { bits, hashes }: Pick<BloomShape, 'bits' | 'hashes'>,
): number[] {
  const digest = hash('sha256', key, 'buffer');
  const h1 = digest.readUInt32BE(0);
  // Odd, so the k positions differ; `>>> 0` keeps it unsigned (`| 1` alone yields an int32).
  const h2 = (digest.readUInt32BE(4) | 1) >>> 0;
  const positions: number[] = [];
  for (let i = 0; i < hashes; i += 1) positions.push((h1 + i * h2) % bits);
  return positions;
}

/**
 * The slice indexes a lookup at `nowMs` must check: every slice that overlaps the window, newest
 * first. Writes go to the newest one only; each slice expires once the window has passed it.
 */
export function slicesToCheck(nowMs: number, windowMs: number, sliceMs: number): number[] {
  const newest = Math.floor(nowMs / sliceMs);
  const oldest = Math.floor((nowMs - windowMs) / sliceMs);
  const slices: number[] = [];
  for (let slice = newest; slice >= oldest; slice -= 1) slices.push(slice);
  return slices;
}

/** How long a slice must live after its first write: until the window has passed its end. */
export function sliceTtlMs(windowMs: number, sliceMs: number): number {
  return windowMs + sliceMs;
}
