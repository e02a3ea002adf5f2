/**
 * Worker → element records (native/ring/FORMAT.md, "back" ring). Payloads are
 * GstStructure strings, so the element turns them into bus messages with
 * gst_structure_from_string and applications read fields, not text.
 */
import { RecordType, type Ring } from '../ring/ring.js';
import { sdkStatus } from '../aws/sdk-status.js';

export type StructureValue = string | number | boolean | bigint | null | undefined;

/** GStreamer debug levels as the element maps them (flags of a LOG record). */
export const LogLevel = {
  error: 1,
  warn: 2,
  fixme: 3,
  info: 4,
  debug: 5,
  log: 6,
  trace: 7,
} as const;
export type LogLevelName = keyof typeof LogLevel;

function quote(text: string): string {
  // Control characters would end the field early in some GStreamer versions.
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return `"${clean.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Serializes a GstStructure, e.g. `kvs-fragment-ack, type=(string)PERSISTED, timecode=(guint64)12`. */
export function gstStructure(name: string, fields: Record<string, StructureValue>): string {
  let out = name;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    switch (typeof value) {
      case 'string':
        out += `, ${key}=(string)${quote(value)}`;
        break;
      case 'boolean':
        out += `, ${key}=(boolean)${value ? 'true' : 'false'}`;
        break;
      case 'bigint':
        out += value < 0n ? `, ${key}=(gint64)${value}` : `, ${key}=(guint64)${value}`;
        break;
      case 'number':
        if (Number.isInteger(value)) {
          out += value < 0 ? `, ${key}=(gint64)${value}` : `, ${key}=(guint64)${value}`;
        } else {
          out += `, ${key}=(double)${value}`;
        }
        break;
    }
  }
  return `${out};`;
}

/** What a problem is, for the element's GST_ELEMENT_ERROR/WARNING. */
export interface Problem {
  /** Stable code, e.g. NOT_AUTHORIZED, STREAM_NOT_FOUND. */
  code: string;
  /** For the user: names the cause and the fix. Never holds a secret. */
  message: string;
  /** For the developer. Never holds a secret. */
  debug?: string;
  /** GStreamer error domain and code name (gstkvssink.c maps them). */
  domain?: 'resource' | 'stream' | 'library' | 'core';
  gstCode?: 'not-found' | 'open-write' | 'write' | 'settings' | 'no-space-left' | 'not-authorized' | 'busy'
    | 'failed' | 'format' | 'wrong-type' | 'codec-not-found';
  kvsStatus?: number;
  httpStatus?: number;
  retriable?: boolean;
}

const encoder = new TextEncoder();

/** Writes worker → element records. Never throws: a gone element is noticed by the reader. */
export class Reporter {
  readonly #ring: Ring;
  #dropped = 0;

  constructor(ring: Ring) {
    this.#ring = ring;
  }

  #write(type: number, text: string, flags = 0): boolean {
    if (this.#ring.closed) return false;
    try {
      // Control records may wait a little for space; the element drains them fast.
      const ok = this.#ring.write(type, { flags, payload: encoder.encode(text), timeoutMs: type === RecordType.LOG ? 0 : 2000 });
      if (!ok) this.#dropped++;
      return ok;
    } catch {
      return false;
    }
  }

  log(level: LogLevelName, message: string): void {
    this.#write(RecordType.LOG, message, LogLevel[level]);
  }

  ready(fields: Record<string, StructureValue>): void {
    this.#write(RecordType.READY, gstStructure('kvs-ready', fields));
  }

  error(problem: Problem, fatal: boolean): void {
    this.#write(RecordType.STREAM_ERROR, gstStructure('kvs-stream-error', problemFields(problem, fatal)));
  }

  warning(problem: Problem): void {
    this.#write(RecordType.WARNING, gstStructure('kvs-stream-warning', problemFields(problem, false)));
  }

  /**
   * One ACK: the element posts it as the kvs-fragment-ack message and passes it to the
   * fragment-ack signal, so it also carries the fields of the official element's FragmentAck.
   */
  ack(fields: Record<string, StructureValue>, timecodeScaleMs = 1): void {
    this.#write(RecordType.FRAGMENT_ACK, gstStructure('kvs-fragment-ack',
      { ...fields, ...officialAckFields(fields, timecodeScaleMs) }));
  }

  message(name: string, fields: Record<string, StructureValue>): void {
    this.#write(RecordType.MESSAGE, gstStructure(name, fields));
  }

  /** Stream and client metrics: the element emits stream-client-metric with them when get-kvs-metrics is on. */
  metrics(fields: Record<string, StructureValue>): void {
    this.#write(RecordType.METRICS, gstStructure('kvs-stream-client-metric', fields));
  }

  closed(fields: Record<string, StructureValue>): void {
    this.#write(RecordType.STREAM_CLOSED, gstStructure('kvs-stream-closed', fields));
  }

  /** Records that found the back ring full (log lines only, in practice). */
  get droppedRecords(): number {
    return this.#dropped;
  }
}

function problemFields(p: Problem, fatal: boolean): Record<string, StructureValue> {
  return {
    code: p.code,
    message: p.message,
    debug: p.debug,
    domain: p.domain ?? 'resource',
    'gst-code': p.gstCode ?? 'failed',
    'kvs-status-code': p.kvsStatus,
    'http-status-code': p.httpStatus,
    retriable: p.retriable,
    // The official element's stream-error signal passes the producer SDK's status code.
    'sdk-status': sdkStatus(p.code, p.kvsStatus),
    fatal,
  };
}

/** FRAGMENT_ACK_TYPE names, in the official FragmentAck's order. */
const ACK_TYPES = ['UNDEFINED', 'BUFFERING', 'RECEIVED', 'PERSISTED', 'ERROR', 'IDLE'];
/** FragmentAck.timestamp is in 100 ns units; the ACK's FragmentTimecode in timecode-scale units. */
const HUNDREDS_OF_NANOS_PER_MS = 10_000;

/**
 * The official FragmentAck's fields (version, ackType, timestamp, sequenceNumber, result), under
 * GStreamer names: ack-type, timestamp (100 ns units), sequence-number, result (the ErrorId of an
 * ERROR ack, 0 otherwise).
 */
function officialAckFields(fields: Record<string, StructureValue>, timecodeScaleMs: number): Record<string, StructureValue> {
  const type = typeof fields['event-type'] === 'string' ? fields['event-type'] : 'UNDEFINED';
  const timecode = fields['fragment-timecode'];
  return {
    version: 0,
    'ack-type': ACK_TYPES.includes(type) ? type : 'UNDEFINED',
    timestamp: typeof timecode === 'number' ? BigInt(timecode) * BigInt(HUNDREDS_OF_NANOS_PER_MS * timecodeScaleMs) : undefined,
    'sequence-number': typeof fields['fragment-number'] === 'string' ? fields['fragment-number'] : '',
    result: typeof fields['error-id'] === 'number' ? fields['error-id'] : 0,
  };
}
