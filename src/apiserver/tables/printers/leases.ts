// Leases: who holds the lock.

import { DESC } from '../descriptions.js';
import { since } from '../duration.js';
import { rec, str } from '../fields.js';
import { ageCol, col, nameCol, type Printer } from '../model.js';

export const leasePrinter: Printer = {
  columns: [nameCol(), col('Holder', 'string', DESC.leaseHolder), ageCol()],
  print: (lease, now) => ({ cells: [str(lease.metadata.name), str(rec(lease.spec).holderIdentity), since(lease.metadata.creationTimestamp, now)] }),
};
