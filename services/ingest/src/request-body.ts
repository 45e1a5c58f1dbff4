import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ApiError } from './api-error.ts';
import type { Limits } from './config.ts';

const gunzipAsync = promisify(gunzip);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The body bytes as sent, refused with 413 as soon as they pass the limit. */
export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    req.resume();
    throw tooLarge(maxBytes, 'body');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) {
      req.resume();
      throw tooLarge(maxBytes, 'body');
    }
    chunks.push(buffer);
  }
  return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size);
}

/** Decodes Content-Encoding (identity or gzip); a gzip bomb stops at the decompressed cap. */
export async function decodeBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  limits: Limits,
): Promise<Buffer> {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return raw;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new ApiError(
      'unsupported_encoding',
      `Content-Encoding ${JSON.stringify(encoding)} is not supported; use gzip or none`,
      { supported: ['gzip', 'identity'] },
    );
  }
  try {
    return await gunzipAsync(raw, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge(limits.maxDecompressedBytes, 'decompressed body');
    }
    throw new ApiError('invalid_encoding', 'the body is not valid gzip', {
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Refuses anything but JSON (UTF-8), the only type the API reads. */
export function checkContentType(contentType: string | undefined): void {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';');
  const media = mediaType.trim().toLowerCase();
  const isJson = media === 'application/json' || /^application\/[\w.+-]+\+json$/.test(media);
  const charset = parameters
    .map((parameter) => parameter.trim().toLowerCase())
    .find((parameter) => parameter.startsWith('charset='));
  if (!isJson || (charset !== undefined && charset !== 'charset=utf-8')) {
    throw new ApiError(
      'unsupported_media_type',
      'the body must be JSON: send Content-Type: application/json',
      { received: contentType ?? null },
    );
  }
}

/** UTF-8 JSON text to a value; 400 naming the problem otherwise. */
export function parseJsonBody(body: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new ApiError('invalid_encoding', 'the body is not valid UTF-8', {});
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError('invalid_json', 'the body is not valid JSON', {
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}

function tooLarge(limit: number, what: string): ApiError {
  return new ApiError('payload_too_large', `the ${what} is larger than ${limit} bytes`, {
    limitBytes: limit,
  });
}
