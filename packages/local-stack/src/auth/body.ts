import type http from 'node:http';
import { ApiError, badRequest } from './errors';

/**
 * Request bodies: a size cap that answers 413 without reading a huge body to the end, and JSON
 * decoding with GoTrue's error (`bad_json`, 400) for anything that is not a JSON object of the
 * expected field types. GoTrue decodes into typed Go structs, so a number where a string belongs
 * is `bad_json` there, and `null` is the same as leaving the field out.
 */

/** Auth requests are small; a megabyte leaves room for generous user_metadata. */
export const MAX_BODY_BYTES = 1024 * 1024;

export function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'request_entity_too_large', `Request body too large (max ${limit} bytes)`);
}

/** Reads the whole body, or fails with 413 as soon as it is known to exceed `limit`. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the reply closes the connection so the rest is never read.
        req.pause();
        finish(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (error: unknown) => finish(error);
    // A client that goes away mid-body must not leave the request waiting forever.
    const onClose = () => finish(new Error('client closed the connection before the body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export type JsonObject = Record<string, unknown>;

const goTypeNames: Record<string, string> = {
  string: 'string',
  number: 'number',
  boolean: 'bool',
  object: 'object',
};

function jsonTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return goTypeNames[typeof value] ?? 'value';
}

function unmarshalError(detail: string): ApiError {
  return badRequest('bad_json', `Could not parse request body as JSON: ${detail}`);
}

/** A JSON object body; `null` and `{}` are both an empty object, as Go's decoder treats them. */
export function parseJsonObject(raw: Buffer, structName: string): JsonObject {
  const text = raw.toString('utf8');
  if (text.trim() === '') throw unmarshalError('unexpected end of JSON input');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw unmarshalError(error instanceof Error ? error.message : 'invalid JSON');
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw unmarshalError(`json: cannot unmarshal ${jsonTypeName(value)} into Go value of type api.${structName}`);
  }
  return value as JsonObject;
}

/** Typed field readers for one decoded body; the struct name only shapes error messages. */
export class Fields {
  constructor(
    private readonly body: JsonObject,
    private readonly structName: string,
  ) {}

  private mismatch(field: string, value: unknown, goType: string): ApiError {
    return unmarshalError(
      `json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${this.structName}.${field} of type ${goType}`,
    );
  }

  /** A string field; absent or null is "". */
  string(field: string): string {
    const value = this.body[field];
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') throw this.mismatch(field, value, 'string');
    return value;
  }

  /** A `*string` field: undefined when absent or null, so "" stays distinguishable. */
  optionalString(field: string): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw this.mismatch(field, value, 'string');
    return value;
  }

  boolean(field: string): boolean {
    const value = this.body[field];
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw this.mismatch(field, value, 'bool');
    return value;
  }

  /** A `map[string]interface{}` field; undefined when absent or null. */
  object(field: string): JsonObject | undefined {
    const value = this.body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.mismatch(field, value, 'map[string]interface {}');
    return value as JsonObject;
  }
}
