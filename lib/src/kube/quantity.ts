/**
 * Kubernetes resource quantities (`resource.Quantity` of k8s.io/apimachinery) as numbers, in the API's grammar:
 *
 * ```
 * quantity        ::= signedNumber suffix
 * suffix          ::= binarySI | decimalExponent | decimalSI
 * binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei
 * decimalSI       ::= n | u | m | "" | k | M | G | T | P | E
 * decimalExponent ::= ( e | E ) [ + | - ] digits
 * signedNumber    ::= [ + | - ] ( digits | digits . | digits . digits | . digits )
 * ```
 *
 * Nothing else is accepted: no spaces, no `K` (decimal kilo is `k`), no suffix after an exponent. `1E` is one exa,
 * `1E3` is a thousand. kube-sim keeps its own parser (kube-sim/src/controllers/util.ts): it imports no lib code.
 */

/** decimalSI suffixes as powers of ten */
const DECIMAL_SI: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** binarySI suffixes as powers of two */
const BINARY_SI: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?))$/;

/**
 * A Kubernetes quantity as a number (`"500m"` → 0.5, `"2Gi"` → 2147483648, `"1e3"` → 1000, `"-1.5k"` → -1500);
 * null when absent, malformed, or too large for a number.
 */
export function parseQuantity(q: string | null | undefined): number | null {
  if (q === undefined || q === null) return null;
  const m = QUANTITY.exec(q);
  if (!m) return null;
  const [, number = '', exponent, binary, decimal] = m;
  let value: number;
  if (binary !== undefined) value = Number(number) * 2 ** (BINARY_SI[binary] ?? 0);
  // a decimal power goes through the number's text, so "3m" is exactly 0.003 (not 3 × 0.001)
  else if (exponent !== undefined) value = Number(`${number}e${exponent}`);
  else value = Number(`${number}e${DECIMAL_SI[decimal ?? ''] ?? 0}`);
  return Number.isFinite(value) ? value : null;
}
