#!/usr/bin/env node
// Lint Neo4j Cypher files with Neo4j's own parser and semantic analysis
// (npm @neo4j-cypher/language-support, `lintCypherQuery`).
//
//   node tools/lint-cypher.mjs <file-or-directory>...
//
// Every `*.cypher` file under the arguments is read. A file may hold several named
// blocks, each starting with a line `// name: <block>`; each block is linted on its
// own; a statement before the first marker is an error (the loader drops it). A file
// without such a line is one block, named after the file. Parameters (`$id`) are
// accepted. Prints `path:block:line:col: message` per error (warnings too, marked
// `warning:`), then a summary line; exits 1 on any error, 2 on bad usage.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isNotParamError, lintCypherQuery } from '@neo4j-cypher/language-support';

const ERROR = 1; // vscode DiagnosticSeverity.Error
const MARKER = /^\/\/\s*name:\s*(\S+)\s*$/;
const COMMENT_ONLY = /^\s*(\/\/.*|\/\*.*\*\/\s*)?$/;
const DB_SCHEMA = { defaultLanguage: 'CYPHER 5' };

function cypherFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = join(path, e.name);
      if (e.isDirectory()) return cypherFiles(p);
      return e.name.endsWith('.cypher') ? [p] : [];
    });
}

/** Split a file into blocks: {name, firstLine (0-based), lines}. */
function blocks(path, text) {
  const lines = text.split(/\r?\n/);
  const found = [];
  let current = { name: basename(path, '.cypher'), firstLine: 0, lines: [] };
  lines.forEach((line, i) => {
    const m = MARKER.exec(line);
    if (m) {
      found.push(current);
      current = { name: m[1], firstLine: i + 1, lines: [] };
    } else {
      current.lines.push(line);
    }
  });
  found.push(current);
  const [head, ...named] = found;
  const headIsCode = !head.lines.every((l) => COMMENT_ONLY.test(l));
  if (named.length === 0) return headIsCode ? [head] : [];
  // The loader (tracegraph.store.cypher) drops what precedes the first marker.
  if (headIsCode) head.misplaced = true;
  return headIsCode ? found : named;
}

function lintBlock(block) {
  if (block.misplaced) {
    const line = block.lines.findIndex((l) => !COMMENT_ONLY.test(l));
    const message = 'statement before the first `// name:` line: the loader never runs it';
    return [{ severity: ERROR, range: { start: { line, character: 0 } }, message }];
  }
  const lines = [...block.lines];
  // The parser takes a comment after a final `;` for a missing statement: drop trailing comments.
  while (lines.length && COMMENT_ONLY.test(lines.at(-1))) lines.pop();
  const { diagnostics } = lintCypherQuery(lines.join('\n'), DB_SCHEMA, {
    consoleCommandsEnabled: false,
  });
  return diagnostics.filter(isNotParamError);
}

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error('usage: node tools/lint-cypher.mjs <file-or-directory>...');
  process.exit(2);
}
let files;
try {
  files = args.flatMap(cypherFiles);
} catch (e) {
  console.error(`lint-cypher: ${e.message}`);
  process.exit(2);
}

let errors = 0;
let warnings = 0;
let blockCount = 0;
for (const path of files) {
  for (const block of blocks(path, readFileSync(path, 'utf8'))) {
    blockCount += 1;
    for (const d of lintBlock(block)) {
      const line = block.firstLine + d.range.start.line + 1;
      const col = d.range.start.character + 1;
      const isError = d.severity === ERROR;
      if (isError) errors += 1;
      else warnings += 1;
      const message = d.message.replace(/\s*\n\s*/g, ' ');
      console.log(`${path}:${block.name}:${line}:${col}: ${isError ? '' : 'warning: '}${message}`);
    }
  }
}
console.log(
  `lint-cypher: ${errors} error(s), ${warnings} warning(s) in ${blockCount} block(s) of ${files.length} file(s)`,
);
process.exit(errors > 0 ? 1 : 0);
