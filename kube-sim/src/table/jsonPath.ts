/**
 * The JSONPath subset CRD additionalPrinterColumns use (client-go's jsonpath, as the apiserver runs it):
 * `.a.b`, `['a']`, `[0]`, `[-1]`, `[*]`, `.*`, `[1:3]`, `..a` and filters like `[?(@.type=="Ready")]`.
 */

type Step =
  | { k: 'field'; name: string }
  | { k: 'wild' }
  | { k: 'index'; i: number }
  | { k: 'slice'; start: number | undefined; end: number | undefined }
  | { k: 'recurse'; name: string }
  | { k: 'filter'; path: Step[]; op: string | undefined; value: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** compile a path; undefined when it cannot be parsed (the apiserver then prints no value) */
export function compileJsonPath(path: string): ((obj: unknown) => unknown[]) | undefined {
  let text = path.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  if (text.startsWith('$')) text = text.slice(1);
  const steps = parseSteps(text);
  return steps ? (obj) => evaluate(steps, [obj]) : undefined;
}

function parseSteps(text: string): Step[] | undefined {
  const steps: Step[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      if (text[i + 1] === '.') {
        const m = /^[^.[\]\s]+/.exec(text.slice(i + 2));
        if (!m) return undefined;
        steps.push({ k: 'recurse', name: m[0] });
        i += 2 + m[0].length;
        continue;
      }
      if (text[i + 1] === '*') {
        steps.push({ k: 'wild' });
        i += 2;
        continue;
      }
      const m = /^[^.[\]\s]+/.exec(text.slice(i + 1));
      if (!m) {
        if (i + 1 === text.length) break; // "." alone: the object itself
        return undefined;
      }
      steps.push({ k: 'field', name: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    if (c === '[') {
      const end = closing(text, i);
      if (end < 0) return undefined;
      const step = bracket(text.slice(i + 1, end).trim());
      if (!step) return undefined;
      steps.push(step);
      i = end + 1;
      continue;
    }
    return undefined;
  }
  return steps;
}

/** the index of the ']' closing the '[' at `from`, skipping quotes and parentheses */
function closing(text: string, from: number): number {
  let quote = '';
  let depth = 0;
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ']' && depth === 0) return i;
  }
  return -1;
}

function bracket(inner: string): Step | undefined {
  if (inner === '*') return { k: 'wild' };
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  if (quoted) return { k: 'field', name: quoted[2] ?? '' };
  if (/^-?\d+$/.test(inner)) return { k: 'index', i: Number(inner) };
  const slice = /^(-?\d+)?:(-?\d+)?$/.exec(inner);
  if (slice) {
    return {
      k: 'slice',
      start: slice[1] === undefined ? undefined : Number(slice[1]),
      end: slice[2] === undefined ? undefined : Number(slice[2]),
    };
  }
  const filter = /^\?\((.*)\)$/.exec(inner);
  if (!filter) return undefined;
  const m = /^@((?:\.[^.\s=!<>[\]]+|\[[^\]]*\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(
    (filter[1] ?? '').trim(),
  );
  if (!m) return undefined;
  const path = parseSteps(m[1] ?? '');
  if (!path) return undefined;
  const value = m[3] === undefined ? undefined : literal(m[3].trim());
  if (m[3] !== undefined && value === undefined) return undefined;
  return { k: 'filter', path, op: m[2], value };
}

function literal(text: string): unknown {
  const quoted = /^(['"])(.*)\1$/.exec(text);
  if (quoted) return quoted[2] ?? '';
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return text !== '' && !Number.isNaN(n) ? n : undefined;
}

function evaluate(steps: readonly Step[], start: unknown[]): unknown[] {
  let cur = start;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) apply(step, v, next);
    cur = next;
  }
  return cur;
}

function apply(step: Step, v: unknown, out: unknown[]): void {
  switch (step.k) {
    case 'field':
      if (isRecord(v) && v[step.name] !== undefined) out.push(v[step.name]);
      return;
    case 'wild':
      if (Array.isArray(v)) out.push(...(v as unknown[]));
      else if (isRecord(v))
        out.push(
          ...Object.keys(v)
            .sort()
            .map((k) => v[k]),
        );
      return;
    case 'index':
      if (Array.isArray(v)) {
        const i = step.i < 0 ? v.length + step.i : step.i;
        if (i >= 0 && i < v.length) out.push(v[i]);
      }
      return;
    case 'slice':
      if (Array.isArray(v)) out.push(...(v as unknown[]).slice(step.start, step.end));
      return;
    case 'recurse':
      recurse(step.name, v, out);
      return;
    case 'filter':
      for (const item of Array.isArray(v) ? (v as unknown[]) : isRecord(v) ? Object.values(v) : []) {
        const found = evaluate(step.path, [item]);
        if (
          step.op === undefined ? found.length > 0 : found.some((f) => compare(f, step.op ?? '', step.value))
        )
          out.push(item);
      }
      return;
  }
}

function recurse(name: string, v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) {
    for (const item of v as unknown[]) recurse(name, item, out);
  } else if (isRecord(v)) {
    if (name === '*') out.push(...Object.values(v));
    else if (v[name] !== undefined) out.push(v[name]);
    for (const item of Object.values(v)) recurse(name, item, out);
  }
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (op === '<') return a < b;
    if (op === '>') return a > b;
    if (op === '<=') return a <= b;
    if (op === '>=') return a >= b;
  }
  const same = typeof a === typeof b ? a === b : String(a) === String(b);
  if (op === '==') return same;
  if (op === '!=') return !same;
  return false;
}
