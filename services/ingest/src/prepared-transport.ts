import type { EventMessage } from '@event-pipeline/platform';
import type { Prepared } from './prepare-events.ts';

/**
 * A Prepared result as it crosses from a worker thread: every message's value copied into one
 * ArrayBuffer, which is transferred (moved, not copied), so the event loop does not deserialize a
 * hundred small buffers per batch. Keys, headers and the response stay strings.
 */
export type PackedPrepared =
  | {
      readonly ok: true;
      readonly keys: readonly string[];
      readonly headers: readonly Record<string, string>[];
      readonly values: ArrayBuffer;
      /** Where each value ends in `values`; the first starts at 0. */
      readonly valueEnds: readonly number[];
      readonly responseJson: string;
      readonly rejections: Prepared['rejections'];
    }
  | Extract<Prepared, { ok: false }>;

export function packPrepared(prepared: Prepared): {
  packed: PackedPrepared;
  transfer: ArrayBuffer[];
} {
  if (!prepared.ok) return { packed: prepared, transfer: [] };
  const { messages } = prepared;
  let total = 0;
  for (const message of messages) total += message.value.length;
  const values = new ArrayBuffer(total);
  const bytes = new Uint8Array(values);
  const keys: string[] = [];
  const headers: Record<string, string>[] = [];
  const valueEnds: number[] = [];
  let end = 0;
  for (const message of messages) {
    bytes.set(message.value, end);
    end += message.value.length;
    valueEnds.push(end);
    keys.push(message.key);
    headers.push(message.headers);
  }
  return {
    packed: {
      ok: true,
      keys,
      headers,
      values,
      valueEnds,
      responseJson: prepared.responseJson,
      rejections: prepared.rejections,
    },
    transfer: [values],
  };
}

/** The messages back, each value a view into the one transferred buffer (no copy). */
export function unpackPrepared(packed: PackedPrepared): Prepared {
  if (!packed.ok) return packed;
  const { keys, headers, values, valueEnds } = packed;
  const messages: EventMessage[] = [];
  let start = 0;
  for (let i = 0; i < keys.length; i += 1) {
    const end = valueEnds[i] ?? start;
    messages.push({
      key: keys[i] ?? '',
      value: Buffer.from(values, start, end - start),
      headers: headers[i] ?? {},
    });
    start = end;
  }
  return {
    ok: true,
    messages,
    responseJson: packed.responseJson,
    rejections: packed.rejections,
  };
}
