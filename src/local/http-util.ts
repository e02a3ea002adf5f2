/** HTTP helpers shared by the handlers: JSON responses and AWS-style JSON errors. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from './errors.js';

export function requestId(): string {
  return randomUUID();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, reqId: string): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': reqId,
    date: new Date().toUTCString(),
  });
  res.end(text);
}

/**
 * Sends an error the way AWS JSON services do: `x-amzn-ErrorType` header and a
 * `{"__type","message"}` body (what the AWS SDKs parse). Media APIs also get the
 * `x-amz-ErrorType` / `x-amz-RequestId` headers the PutMedia and GetMedia references name.
 */
export function sendError(res: ServerResponse, error: ApiError, reqId: string, media = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ __type: error.errorType, message: error.message, Message: error.message });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-errortype': error.errorType,
    'x-amzn-requestid': reqId,
    date: new Date().toUTCString(),
  };
  if (media) {
    headers['x-amz-errortype'] = error.errorType;
    headers['x-amz-requestid'] = reqId;
  }
  res.writeHead(error.status, headers);
  res.end(text);
}

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new BodyTooLargeError(`request body larger than ${maxBytes} bytes`));
        req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts, size)));
    req.on('error', reject);
  });
}
