export type { SchemaNode, SchemaRegistry } from './types.js';
export { loadSchemaRegistry, schemaRegistryFrom } from './registry.js';
export { checkFields, goType, type FieldCheck, type FieldTypeError } from './fieldcheck.js';
export { findDuplicateKeys } from './duplicates.js';
export {
  fieldValidationOutcome, parseFieldValidation, typeErrorMessage, type DecodeOutcome, type FieldValidation,
} from './decode-errors.js';
