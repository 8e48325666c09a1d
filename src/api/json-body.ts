// Reading a JSON request body with the API's limits: content type, size, and JSON syntax, each its own code.
import type { Context } from 'hono';
import { problem } from './problem.ts';

export const MAX_REQUEST_BYTES = 512 * 1024;

export type JsonBody = { readonly ok: true; readonly text: string; readonly body: unknown } | { readonly ok: false; readonly response: Response };

export async function readJsonBody(c: Context): Promise<JsonBody> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) return { ok: false, response: problem(c, 'unsupported_media_type', [`Content-Type is ${type || 'missing'}; send application/json`]) };
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_REQUEST_BYTES) return { ok: false, response: problem(c, 'payload_too_large', [`the body is ${declared} bytes; the maximum is ${MAX_REQUEST_BYTES}`]) };
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_REQUEST_BYTES) return { ok: false, response: problem(c, 'payload_too_large', [`the body exceeds ${MAX_REQUEST_BYTES} bytes`]) };
  try {
    return { ok: true, text, body: JSON.parse(text) };
  } catch (e) {
    return { ok: false, response: problem(c, 'invalid_json', [(e as Error).message]) };
  }
}
