// The floor under every framework: bare Node http answering the same bytes. Used by catalog-read.js.
const http = require('node:http');
const { readFileSync } = require('node:fs');

const body = readFileSync(process.env.BENCH_BODY_FILE);
http
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
