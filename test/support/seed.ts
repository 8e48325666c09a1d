// The one seed all randomized tests derive from: SWOOSH_TEST_SEED, printed on failure by each test.
export const TEST_SEED = Number(process.env['SWOOSH_TEST_SEED'] ?? 20261122);

export function seedNote(extra = ''): string {
  return `(reproduce with SWOOSH_TEST_SEED=${TEST_SEED}${extra ? ' ' + extra : ''})`;
}
