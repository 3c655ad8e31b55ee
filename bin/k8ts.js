#!/usr/bin/env node
// The compiled entry point lives in dist/; `npm run build` (or scripts/up) creates it.
import('../dist/src/cmd/k8ts.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cmd/k8ts.js')) {
    console.error('k8ts is not built yet: run `npm ci && npm run build` (or scripts/up) first.');
    process.exit(1);
  }
  throw err;
});
