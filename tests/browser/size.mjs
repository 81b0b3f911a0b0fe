// The browser client's size as it would ship: minified (terser) and gzipped. Fails past
// the budget (6 KiB gzipped).   node size.mjs
// Distributed under the Boost Software License, Version 1.0.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../node/', import.meta.url));
const { minify } = require('terser');
const source = readFileSync(new URL('../../include/switchboard/browser/switchboard.js', import.meta.url), 'utf8');
const min = (await minify(source, { module: true, compress: { passes: 2 }, mangle: true })).code;
const gz = (s) => gzipSync(s, { level: 9 }).length;
const budget = 6 * 1024;
console.log(`switchboard.js: ${source.length} bytes, ${gz(source)} gzipped; minified ${min.length} bytes, ${gz(min)} gzipped (budget ${budget})`);
if (gz(min) > budget) { console.error('over budget'); process.exit(1); }
