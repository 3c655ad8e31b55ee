import http from 'node:http';

// A closed-loop HTTP load generator: `node load.js URL SECONDS CONCURRENCY`;
// one new TCP connection per request; prints JSON figures on stdout.
const [url = '', seconds = '5', concurrency = '16'] = process.argv.slice(2);
const u = new URL(url);
const until = performance.now() + Number(seconds) * 1000;
const latencies: number[] = [];
let errors = 0;

function one(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get({ host: u.hostname, port: Number(u.port), path: u.pathname, agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        resolve();
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      errors++;
      resolve();
    });
  });
}

const t0 = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (performance.now() < until) await one();
  }),
);
const wall = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
process.stdout.write(JSON.stringify({ requests: latencies.length, errors, seconds: wall, rps: latencies.length / wall, p50: pct(50), p99: pct(99) }) + '\n');
