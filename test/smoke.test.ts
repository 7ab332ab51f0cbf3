import test from 'ava';
import { readFileSync } from 'node:fs';

test('golden fixture is vendored into the repository', (t) => {
  const golden = JSON.parse(readFileSync(new URL('../../test/fixtures/opensm-3.3.23-mads.json', import.meta.url), 'utf8'));
  t.true(Array.isArray(golden.mads));
  t.true(golden.mads.length >= 6);
});
