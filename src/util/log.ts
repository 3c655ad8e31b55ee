import { pino, destination, type Logger } from 'pino';

// One root logger so every line is JSON on stderr with the component's name;
// K8TS_LOG_LEVEL lets tests silence it without touching code.
const root: Logger = pino(
  { level: process.env.K8TS_LOG_LEVEL ?? 'info', base: { pid: process.pid } },
  destination({ fd: 2, sync: false }),
);

export type { Logger };

export function logger(component: string): Logger {
  return root.child({ component });
}
