import { messageSchema, PROTOCOL_VERSION, type Message } from './messages.js';

/** The outcome of decoding one frame: a valid message, or why it was refused. */
export type Decoded =
  { readonly ok: true; readonly message: Message } | { readonly ok: false; readonly error: string };

/** Encodes a message as one UTF-8 JSON frame. */
export function encodeMessage(message: Message): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/**
 * Decodes and validates one frame. Refuses non-JSON, another protocol version and any shape
 * error, with a sentence saying which.
 */
export function decodeMessage(frame: Buffer | Uint8Array | string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof frame === 'string' ? frame : Buffer.from(frame).toString('utf8'));
  } catch {
    return { ok: false, error: 'frame is not JSON' };
  }
  const version = (raw as { v?: unknown } | null)?.v;
  if (version !== PROTOCOL_VERSION) {
    return { ok: false, error: `protocol version ${JSON.stringify(version)} is not ${PROTOCOL_VERSION}` };
  }
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      ok: false,
      error: `invalid message: ${first ? `${first.path.join('.')}: ${first.message}` : 'unknown'}`,
    };
  }
  return { ok: true, message: parsed.data };
}

/** The key of one task attempt, for maps and idempotency sets. */
export function taskRefKey(ref: {
  readonly job: string;
  readonly task: string;
  readonly attempt: number;
}): string {
  return `${ref.job}/${ref.task}#${ref.attempt}`;
}
