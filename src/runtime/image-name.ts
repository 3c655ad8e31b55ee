// Kept apart from the fake runtime, which the exec runtime's image list would
// otherwise load (with its timers, IP pool and behaviours) for this one function.

/** docker.io/library/nginx:latest for "nginx", as registries normalize names. */
export function normalizeImage(image: string): string {
  let name = image;
  let digest = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    digest = name.slice(at);
    name = name.slice(0, at);
  }
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) name = slash >= 0 ? `docker.io/${name}` : `docker.io/library/${name}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!digest && !lastPart.includes(':')) name += ':latest';
  return name + digest;
}
