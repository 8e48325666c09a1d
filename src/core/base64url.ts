// RFC 4648 §5 base64url without padding: the text form of keys and signatures on the wire.

const PATTERN = /^[A-Za-z0-9_-]*$/;

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Strict decode: returns null for padding, foreign characters, or a length that is not canonical. */
export function fromBase64url(text: string): Uint8Array | null {
  if (!PATTERN.test(text) || text.length % 4 === 1) return null;
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  // Reject non-canonical trailing bits so each byte string has exactly one text form.
  return toBase64url(bytes) === text ? bytes : null;
}
