/** A tenant, `accountID:projectID`, both u32; `0:0` is the default. Part of every index key. */
export interface Tenant {
  readonly accountID: number;
  readonly projectID: number;
}

export const DEFAULT_TENANT: Tenant = Object.freeze({ accountID: 0, projectID: 0 });

const U32_MAX = 0xffffffff;

/** Parses `12` or `12:34` (VictoriaMetrics URL form, also used for `X-Scope-OrgID`). */
export function parseTenant(s: string): Tenant {
  const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(s.trim());
  if (!m) throw new Error(`invalid tenant ${JSON.stringify(s)}: want accountID or accountID:projectID (u32 integers)`);
  const accountID = Number(m[1]);
  const projectID = m[2] === undefined ? 0 : Number(m[2]);
  if (accountID > U32_MAX || projectID > U32_MAX) throw new Error(`invalid tenant ${JSON.stringify(s)}: ids must fit in u32`);
  return { accountID, projectID };
}

export function formatTenant(t: Tenant): string {
  return `${t.accountID}:${t.projectID}`;
}
