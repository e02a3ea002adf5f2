/**
 * Incremental parser for the PutMedia response body: a stream of JSON acknowledgement objects
 * separated by newlines (PutMedia reference, guide ~L10120), e.g.
 * `{"EventType":"BUFFERING","FragmentTimecode":1700000000000,"FragmentNumber":"9134…"}`.
 *
 * Chunks can split an object anywhere (also inside a UTF-8 sequence), carry several objects, use
 * `\r\n`, and contain blank lines. A malformed line yields a `malformed` event, never a throw.
 */
import { KvsError } from './errors.js';

export type AckEventType = 'BUFFERING' | 'RECEIVED' | 'PERSISTED' | 'ERROR' | 'IDLE';

export const ACK_EVENT_TYPES: readonly AckEventType[] = ['BUFFERING', 'RECEIVED', 'PERSISTED', 'ERROR', 'IDLE'];

export interface FragmentAck {
  type: AckEventType;
  /** Cluster timecode of the fragment, in ms, as sent (absolute or relative). Absent on IDLE. */
  fragmentTimecode?: number;
  /** KVS fragment number: a decimal string (up to 128 digits), never a JS number. */
  fragmentNumber?: string;
  /** ERROR acks: the ErrorId (4000–4011, 4500–4506, 5000–5001); see `ackError()` in errors.ts. */
  errorId?: number;
  /** ERROR acks: the ErrorCode text, when the service sends one. */
  errorCode?: string;
}

export type AckParseEvent =
  | { kind: 'ack'; ack: FragmentAck }
  | { kind: 'malformed'; error: KvsError; /** The offending line, truncated to 200 chars. */ line: string };

/** A single ack is at most 1024 bytes in the producer SDK (MAX_ACK_FRAGMENT_LEN); be generous. */
export const MAX_ACK_LINE_CHARS = 64 * 1024;

export interface AckParser {
  /** Feed a response body chunk; returns the events completed by it, in order. */
  push(chunk: Uint8Array | string): AckParseEvent[];
  /** End of body: parses a final line without a trailing newline. */
  end(): AckParseEvent[];
}

function malformed(line: string, why: string): AckParseEvent {
  const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
  return {
    kind: 'malformed',
    line: shown,
    error: new KvsError({
      code: 'ACK_PARSE_ERROR', retriable: true,
      message: `Could not parse a PutMedia acknowledgement (${why}); it is skipped.`,
    }),
  };
}

// Fragment numbers are up to 128 decimal digits: quote a bare number before JSON.parse so it
// does not lose precision (the guide's example shows "FragmentNumber": Long).
const BARE_FRAGMENT_NUMBER = /("FragmentNumber"\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/;

/** Parse one complete line. Blank lines give `undefined`. */
export function parseAckLine(rawLine: string): AckParseEvent | undefined {
  const line = rawLine.trim();
  if (line === '') return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(line.replace(BARE_FRAGMENT_NUMBER, '$1"$2"'));
  } catch {
    return malformed(line, 'not valid JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return malformed(line, 'not a JSON object');
  let o = obj as Record<string, unknown>;
  // The guide's "Acknowledgement Format" example wraps the fields: { Acknowledgement: {...} }.
  if (o.EventType === undefined && typeof o.Acknowledgement === 'object' && o.Acknowledgement !== null) {
    o = o.Acknowledgement as Record<string, unknown>;
  }
  const rawType = o.EventType ?? o.AckEventType;
  if (typeof rawType !== 'string') return malformed(line, 'no EventType');
  const type = rawType.toUpperCase() as AckEventType;
  if (!ACK_EVENT_TYPES.includes(type)) return malformed(line, `unknown EventType "${rawType.slice(0, 40)}"`);

  const ack: FragmentAck = { type };
  const tc = o.FragmentTimecode ?? o.FragmentTimeCode;
  if (tc !== undefined && tc !== null) {
    const n = typeof tc === 'number' ? tc : typeof tc === 'string' && /^\d+$/.test(tc) ? Number(tc) : NaN;
    if (!Number.isFinite(n)) return malformed(line, 'FragmentTimecode is not a number');
    ack.fragmentTimecode = n;
  }
  const fn = o.FragmentNumber;
  if (fn !== undefined && fn !== null) {
    if (typeof fn !== 'string' || !/^\d+$/.test(fn)) return malformed(line, 'FragmentNumber is not a decimal string');
    ack.fragmentNumber = fn;
  }
  const eid = o.ErrorId;
  if (eid !== undefined && eid !== null) {
    const n = typeof eid === 'number' ? eid : typeof eid === 'string' && /^\s*\d+\s*$/.test(eid) ? Number(eid) : NaN;
    if (!Number.isInteger(n)) return malformed(line, 'ErrorId is not an integer');
    ack.errorId = n;
  }
  if (typeof o.ErrorCode === 'string' && o.ErrorCode !== '') ack.errorCode = o.ErrorCode;
  if (type === 'ERROR' && ack.errorId === undefined) return malformed(line, 'ERROR ack without ErrorId');
  return { kind: 'ack', ack };
}

/** Create an incremental parser (one per PutMedia response). */
export function createAckParser(): AckParser {
  const decoder = new TextDecoder('utf-8');
  let buf = '';
  let discarding = false; // inside an over-long line: drop until the next newline

  const drain = (out: AckParseEvent[]): void => {
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (discarding) {
        discarding = false;
        continue;
      }
      const ev = parseAckLine(line);
      if (ev) out.push(ev);
    }
    if (!discarding && buf.length > MAX_ACK_LINE_CHARS) {
      out.push(malformed(buf, `line longer than ${MAX_ACK_LINE_CHARS} characters`));
      buf = '';
      discarding = true;
    } else if (discarding) {
      buf = '';
    }
  };

  return {
    push(chunk) {
      const out: AckParseEvent[] = [];
      buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      drain(out);
      return out;
    },
    end() {
      const out: AckParseEvent[] = [];
      buf += decoder.decode();
      drain(out);
      if (!discarding && buf.trim() !== '') {
        const ev = parseAckLine(buf);
        if (ev) out.push(ev);
      }
      buf = '';
      discarding = false;
      return out;
    },
  };
}
