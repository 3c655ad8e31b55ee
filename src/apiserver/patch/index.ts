// Every PATCH type and server-side apply, as pure functions over plain JSON
// values; the REST layer picks one by Content-Type (parsePatchType).

export { parsePatchType, type PatchType } from './patch-type.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export { updateManagedFields, serverSideApply, LAST_APPLIED, type ManagedFieldsOptions, type ApplyOptions } from './field-manager.js';
