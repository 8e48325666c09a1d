// Preloaded into replica processes by the acceptance harness (NODE_OPTIONS=--import): Date.now() reads a
// shared virtual clock, SWOOSH_VIRTUAL_CLOCK="virtualMs,realMs,rate" (virtualMs at real time realMs, running
// `rate` times as fast). Plain JavaScript because it loads before the CLI registers the TypeScript loader.
const spec = process.env['SWOOSH_VIRTUAL_CLOCK'];
if (spec !== undefined && spec !== '') {
  const [virtualMs, realMs, rate] = spec.split(',').map(Number);
  if (![virtualMs, realMs, rate].every(Number.isFinite) || rate <= 0) throw new Error(`SWOOSH_VIRTUAL_CLOCK is malformed: ${spec}`);
  const real = Date.now;
  Date.now = () => Math.floor(virtualMs + (real() - realMs) * rate);
}
