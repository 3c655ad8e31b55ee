// The Content-Types a PATCH may carry, in the order upstream lists them when it
// refuses another one.

import { unsupportedMediaType } from '../../api/errors.js';

export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml'
  | 'application/apply-patch+cbor';

const SERVED: readonly PatchType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/**
 * The patch type of a Content-Type header (parameters such as charset
 * ignored). Anything else, CBOR apply included (upstream serves it only behind
 * a feature gate), is 415. Pass strategic=false for kinds without a schema,
 * which upstream serves no strategic merge patch for.
 */
export function parsePatchType(contentType: string | undefined, opts: { strategic?: boolean } = {}): PatchType {
  const served = opts.strategic === false ? SERVED.filter((t) => t !== 'application/strategic-merge-patch+json') : SERVED;
  const semi = (contentType ?? '').indexOf(';');
  const type = (semi > 0 ? contentType!.slice(0, semi) : (contentType ?? '')).trim();
  if ((served as readonly string[]).includes(type)) return type as PatchType;
  throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${served.join(', ')}`);
}
