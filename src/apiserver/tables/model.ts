// The shapes printers produce: column definitions as meta.k8s.io/v1
// TableColumnDefinition has them, and one row of cells per object.

import type { KubeObject } from '../../api/types.js';
import { DESC } from './descriptions.js';

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

export interface Column {
  name: string;
  type: ColumnType;
  format: string;
  description: string;
  priority: number;
}

export type Cell = string | number | boolean;

export interface RowCondition {
  type: 'Completed';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface PrintedRow {
  cells: Cell[];
  conditions?: RowCondition[];
}

/** Upstream prints server-side with Wide set, so a row always carries every column; kubectl hides priority > 0. */
export interface Printer {
  columns: Column[];
  print(obj: KubeObject, now: Date): PrintedRow;
}

export function col(name: string, type: ColumnType, description: string, priority = 0): Column {
  return { name, type, format: '', description, priority };
}

export function nameCol(): Column {
  return { name: 'Name', type: 'string', format: 'name', description: DESC.name, priority: 0 };
}

export function ageCol(): Column {
  return col('Age', 'string', DESC.creationTimestamp);
}

/** The CONTAINERS and IMAGES pair that workload kinds show with -o wide. */
export function templateCols(): Column[] {
  return [
    col('Containers', 'string', 'Names of each container in the template.', 1),
    col('Images', 'string', 'Images referenced by each container in the template.', 1),
  ];
}
