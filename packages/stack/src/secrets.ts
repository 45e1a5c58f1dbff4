import { randomBytes } from 'node:crypto';

/** A random password for a local service (URL-safe, so it can sit in a connection URL). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
