import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

// The `yaml` package costs ~0.9 MB of heap once loaded, and an idle server
// parses no YAML: only a YAML request body, a kubeconfig read from a file or a
// config file given on the command line does. It is a CommonJS package, so a
// require on first use loads it synchronously and the parsers stay synchronous.
// The kubeconfigs a server writes at every start are JSON, which is YAML too.

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}

/**
 * A document for YAML readers, written without the yaml package: JSON is YAML
 * (a subset of 1.2, and read as well by go-yaml, with which kubectl and
 * kubeadm load kubeconfigs), so the kubeconfigs a server writes at every start
 * cost no YAML library.
 */
export function jsonYaml(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
