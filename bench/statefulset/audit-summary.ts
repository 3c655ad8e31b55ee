// Requests per pod, by component, verb and resource, for each row of a
// StatefulSet bench run made with --audit FILE: which writes the API server
// does per pod, and who asks for them. A row runs from the bench's create
// (the set, or the first bare pod) to its drain request (the scale to zero,
// or the delete of the bare pods): its pods' deletions are left out. Timed
// rows drain once the pipeline is quiet, so their trailing events count;
// the warm-up drains at its last Ready, with most kubelet events still queued.
// Rows come in the bench's order: the warm-up set, then per round OrderedReady, Parallel, bare pods.
// Run: node dist/bench/statefulset/audit-summary.js AUDIT.jsonl [--pods 100]
import { readFile } from 'node:fs/promises';
import { option as opt } from '../lib/args.js';
import { table } from '../lib/stats.js';

interface AuditEvent {
  verb: string;
  userAgent?: string;
  requestReceivedTimestamp: string;
  objectRef?: { resource?: string; subresource?: string; name?: string };
}

const file = process.argv[2];
if (!file || file.startsWith('--')) throw new Error('usage: audit-summary.js AUDIT.jsonl [--pods 100]');
const PODS = Number(opt('--pods', '100'));
const events = (await readFile(file, 'utf8'))
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as AuditEvent)
  .sort((a, b) => a.requestReceivedTimestamp.localeCompare(b.requestReceivedTimestamp));

const component = (e: AuditEvent): string => (e.userAgent ?? '').split('/').pop() ?? '';
const resourceOf = (e: AuditEvent): string => (e.objectRef?.subresource ? `${e.objectRef.resource}/${e.objectRef.subresource}` : (e.objectRef?.resource ?? ''));

// Row boundaries from the bench's own requests.
const rows: { label: string; from: number; to: number }[] = [];
let open: { label: string; from: number } | undefined;
events.forEach((e, i) => {
  if (component(e) !== 'bench') return;
  const r = resourceOf(e);
  if (e.verb === 'create' && r === 'statefulsets') open = { label: `set (${rows.length + 1})`, from: i };
  else if (e.verb === 'create' && r === 'pods' && !open) open = { label: `bare pods (${rows.length + 1})`, from: i };
  else if (open && ((e.verb === 'patch' && r === 'statefulsets') || e.verb === 'deletecollection')) {
    rows.push({ ...open, to: i });
    open = undefined;
  }
});
if (open) rows.push({ ...open, to: events.length });

for (const row of rows) {
  const counts = new Map<string, number>();
  for (const e of events.slice(row.from, row.to)) {
    const k = `${component(e)}\t${e.verb}\t${resourceOf(e)}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const writes = sorted.filter(([k]) => !/\t(get|list|watch)\t/.test(k)).reduce((a, [, n]) => a + n, 0);
  console.log(`${row.label}: ${row.to - row.from} requests, ${writes} writes (${(writes / PODS).toFixed(1)} per pod)`);
  console.log(table([['component', 'verb', 'resource', 'requests', 'per pod'], ...sorted.map(([k, n]) => [...k.split('\t'), String(n), (n / PODS).toFixed(2)])]));
}
