/**
 * The content store's policy in realtime mode: what to drop when the stream holds more than it
 * may, and where to cut.
 *
 * The producer SDK keeps a content view of buffer-duration within storage-size and drops from
 * its tail: "It's better to drop the frames as they fall out of the content view window versus
 * just being put (content store memory pressure)" (guide ~L3627). So do we: whole fragments go
 * from the oldest end, never the newest frame, never half a fragment. A cut is made only where
 * a fragment may start (a video key frame, or any frame of an audio-only stream), so what is kept
 * begins with a fragment of its own. Offline streams never drop: the element blocks instead.
 */

export type PressureCause = 'storage-size' | 'buffer-duration';

/** The store is under pressure above this share of the ring; a drop brings it back to it. */
export const STORAGE_HIGH_WATER = 3 / 4;

export interface StoreLevel {
  /** Bytes of records not yet released (written minus released). */
  heldBytes: number;
  capacityBytes: number;
  /** How long ago the oldest record held reached the element, in ms. */
  oldestAgeMs: number;
  bufferDurationMs: number;
}

/**
 * Past this share with no place to cut, a single fragment (a key-frame interval larger than the
 * store) holds everything: it goes whole, or nothing after it could ever be kept.
 */
export const STORAGE_LAST_RESORT = 7 / 8;

/** Why the store must drop now, or undefined when it need not. */
export function pressureCause(level: StoreLevel): PressureCause | undefined {
  if (level.heldBytes > level.capacityBytes * STORAGE_HIGH_WATER) return 'storage-size';
  if (level.oldestAgeMs > level.bufferDurationMs) return 'buffer-duration';
  return undefined;
}

/** A record where a fragment may start: everything before it can be dropped. */
export interface CutPoint {
  position: number;
  /** How long ago it reached the element, in ms. */
  ageMs: number;
}

/**
 * The first cut (oldest first) after which the store is within both limits again. When even the
 * newest cut point would leave too much, that one: the newest fragment is always kept.
 * `candidates` are in ring order, all after the oldest record held; `writtenEnd` is the ring
 * position just past the newest record.
 */
export function chooseCut(candidates: readonly CutPoint[], writtenEnd: number, level: StoreLevel): CutPoint | undefined {
  const maxHeld = level.capacityBytes * STORAGE_HIGH_WATER;
  for (const c of candidates) {
    if (writtenEnd - c.position <= maxHeld && c.ageMs <= level.bufferDurationMs) return c;
  }
  return candidates[candidates.length - 1];
}
