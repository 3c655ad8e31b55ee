import http from 'node:http';

// A minimal HTTP server for the data-path benchmark: `node server.js HOST PORT`.
const [host = '0.0.0.0', port = '8080'] = process.argv.slice(2);
const server = http.createServer((_req, res) => res.end('ok\n'));
server.listen(Number(port), host, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
