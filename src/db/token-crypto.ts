/** Encrypts OAuth tokens at rest with AES-256-GCM (Web Crypto: Node, workerd, Lambda). Stored as `v1.<iv>.<ciphertext>`. */
const PREFIX = 'v1';

const b64 = {
  encode: (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)),
  decode: (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)),
};

/** The keys tokens are sealed with: `current` (`TOKEN_ENCRYPTION_KEY`) writes, `old` (`TOKEN_ENCRYPTION_KEY_OLD`) still reads. */
export interface TokenKeys {
  current: string;
  old?: string;
}

async function aesKey(base64Key: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', b64.decode(base64Key), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** Encrypts `token` with `TOKEN_ENCRYPTION_KEY` (32 bytes, base64). */
export async function encryptToken(base64Key: string, token: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv },
    await aesKey(base64Key),
    new TextEncoder().encode(token),
  );
  return `${PREFIX}.${b64.encode(iv)}.${b64.encode(new Uint8Array(sealed))}`;
}

/** Decrypts a value written by `encryptToken`; throws when the key is wrong or the value was altered. */
export async function decryptToken(base64Key: string, stored: string): Promise<string> {
  const [prefix, iv, sealed] = stored.split('.');
  if (prefix !== PREFIX || !iv || !sealed) throw new Error('stored token is not in the v1 format');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: b64.decode(iv) },
    await aesKey(base64Key),
    b64.decode(sealed),
  );
  return new TextDecoder().decode(plain);
}

/**
 * Decrypts with the current key, then the old one (key rotation). `stale` says the old key was
 * needed, so the row should be written again under the current key. Throws when neither opens it.
 */
export async function openToken(keys: TokenKeys, stored: string): Promise<{ token: string; stale: boolean }> {
  try {
    return { token: await decryptToken(keys.current, stored), stale: false };
  } catch (error) {
    if (!keys.old) throw error;
    return { token: await decryptToken(keys.old, stored), stale: true };
  }
}
