/** Keys and values of the store, at the bottom of src/store (the adapters and the documents use them). */

/** A JSON value as it is kept on disk (or in Redis). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** A key's directory (`checkin/pool/members/07`) and its last segment (`wxid_a`). */
export function splitKey(key: string): { dir: string; leaf: string } {
  const cut = key.lastIndexOf('/')
  return { dir: key.slice(0, cut), leaf: key.slice(cut + 1) }
}
