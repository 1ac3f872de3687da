import { describe, expect, it } from 'vitest';

import { defineErrorCode, errorCodes } from '../src/errors/index.ts';
import {
  collectErrorCodes,
  formatErrorsDoc,
  generateErrorsDoc,
  renderErrorsDoc,
} from '../../scripts/errorsDoc.ts';

describe('renderErrorsDoc', () => {
  it('lists every registered code with its status, description and version', () => {
    const doc = renderErrorsDoc(errorCodes());
    expect(errorCodes().length).toBeGreaterThan(0);
    for (const c of errorCodes()) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${c.code}\` |`));
      expect(row, c.code).toBeDefined();
      expect(row).toContain(c.addedIn);
      if (c.http !== undefined) expect(row).toContain(` ${c.http} `);
    }
    expect(doc).toMatch(/^# Error codes\n/);
    expect(doc).toContain('extensions.code');
  });

  it('includes a code defined at runtime, so errors:check fails until the doc is regenerated', async () => {
    const before = renderErrorsDoc(await collectErrorCodes());
    defineErrorCode({
      code: 'ZZ_DOC_TEST_ONLY',
      description: 'Only for the errors doc test | with a pipe.',
      addedIn: '9.9.9',
    });
    const after = renderErrorsDoc(await collectErrorCodes());
    expect(before).not.toContain('ZZ_DOC_TEST_ONLY');
    expect(after).toContain(
      '| `ZZ_DOC_TEST_ONLY` |  | Only for the errors doc test \\| with a pipe. | 9.9.9 |',
    );
  });

  it('sorts by code and is deterministic', () => {
    const codes = [
      { code: 'B_CODE', description: 'b', addedIn: '0.2.0', package: 'p' },
      { code: 'A_CODE', description: 'a', http: 400, addedIn: '0.1.0', package: 'q' },
    ];
    const doc = renderErrorsDoc(codes);
    expect(doc).toBe(renderErrorsDoc([...codes].reverse()));
    expect(doc.indexOf('A_CODE')).toBeLessThan(doc.indexOf('B_CODE'));
    expect(doc).toContain('| `A_CODE` | 400 | a | 0.1.0 | `q` |');
    expect(doc).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('formats with prettier idempotently', async () => {
    const once = await formatErrorsDoc(renderErrorsDoc(errorCodes()));
    expect(await formatErrorsDoc(once)).toBe(once);
  });
});

describe('docs/errors.md', () => {
  it('attributes lib codes to @fleetgraph/lib', async () => {
    const codes = await collectErrorCodes();
    expect(codes.find((c) => c.code === 'NOT_FOUND')?.package).toBe('@fleetgraph/lib');
  });

  it('the generated file mentions every registered code', async () => {
    const generated = await generateErrorsDoc();
    for (const c of await collectErrorCodes()) expect(generated).toContain(`\`${c.code}\``);
  });
});
