// Entry point of `npm run codegen`: writes the generated files, or with --check reports stale ones.
import { fileURLToPath } from 'node:url';
import { runCodegen } from './generate.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--check');
if (unknown.length > 0) {
  process.stderr.write(`codegen: unknown argument ${unknown.join(' ')}\nusage: npm run codegen [-- --check]\n`);
  process.exitCode = 2;
} else {
  process.exitCode = runCodegen({
    input: fileURLToPath(new URL('../statechart.yaml', import.meta.url)),
    outRoot: root,
    check: args.includes('--check'),
    log: (line) => process.stdout.write(line + '\n'),
    error: (line) => process.stderr.write(line + '\n'),
  });
}
