import { describe, expect, it } from 'vitest';

import { IDENTITY_HEADERS, signIdentity, stripIdentityHeaders, verifyIdentity } from '@fleetgraph/lib/auth';

const secret = 'a-shared-secret-of-enough-length';
const id = {
  name: 'alice',
  groups: ['retail,ops', 'system:authenticated'],
  timestamp: 1_000_000,
  requestId: 'r1',
};

describe('signed identity headers', () => {
  it('round-trips user, groups (even with commas), timestamp and request id', () => {
    const r = verifyIdentity(secret, signIdentity(secret, id), { now: 1_000_500 });
    expect(r).toEqual({ ok: true, identity: id });
  });

  it('refuses a missing signature, another secret, a changed field and a stale timestamp', () => {
    const headers = signIdentity(secret, id);
    expect(verifyIdentity(secret, {}, { now: 1_000_000 })).toEqual({
      ok: false,
      reason: 'no signed identity',
    });
    expect(verifyIdentity('another-secret', headers, { now: 1_000_000 })).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    for (const [name, value] of [
      [IDENTITY_HEADERS.user, 'admin'],
      [IDENTITY_HEADERS.groups, 'system:masters'],
      [IDENTITY_HEADERS.timestamp, '1000001'],
      [IDENTITY_HEADERS.requestId, 'r2'],
    ] as const) {
      expect(verifyIdentity(secret, { ...headers, [name]: value }, { now: 1_000_000 })).toEqual({
        ok: false,
        reason: 'bad signature',
      });
    }
    expect(verifyIdentity(secret, headers, { now: 1_000_000 + 60_001 })).toEqual({
      ok: false,
      reason: 'stale signature',
    });
    expect(verifyIdentity(secret, headers, { now: 1_000_000 - 60_001 })).toEqual({
      ok: false,
      reason: 'stale signature',
    });
    expect(
      verifyIdentity(secret, { ...headers, [IDENTITY_HEADERS.signature]: 'v2=abc' }, { now: 1_000_000 }),
    ).toEqual({
      ok: false,
      reason: 'unknown signature version',
    });
  });

  it('strips client-supplied identity headers but keeps the request id', () => {
    const headers: Record<string, string | undefined> = { ...signIdentity(secret, id), accept: 'x' };
    stripIdentityHeaders(headers);
    expect(Object.keys(headers).sort()).toEqual(['accept', IDENTITY_HEADERS.requestId]);
  });
});
