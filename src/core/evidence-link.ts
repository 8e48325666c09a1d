// Syntax of evidence links: UCXL addresses and BUBBLE decision-record links (docs/proposal-contract.md).

// ucxl://agent:role@project[:task]/temporal/path. Components are [A-Za-z0-9_-]+ or `any`; the temporal
// segment is `*^` (latest), `*~` (first), `~~N` (N back), `^^N` (N forward) or absent; the path is any
// non-space text (the brief's own example ends in an ellipsis).
const COMPONENT = '(?:[A-Za-z0-9_-]+)';
const UCXL = new RegExp(
  `^ucxl://(${COMPONENT}):(${COMPONENT})@(${COMPONENT})(?::(${COMPONENT}))?(?:/(\\*\\^|\\*~|~~[0-9]{1,9}|\\^\\^[0-9]{1,9}))?(?:/[^\\s]*)?$`,
  'u',
);
const BUBBLE = /^bubble:\/\/dr\/[^\s]+$/u;
const CONTROL = /[\u0000-\u001f\u007f]/u;

export type LinkCheck = { ok: true; kind: 'ucxl' | 'bubble' } | { ok: false; reason: string };

export function checkEvidenceLink(link: string): LinkCheck {
  if (CONTROL.test(link)) return { ok: false, reason: 'contains control characters' };
  if (link.startsWith('ucxl://')) {
    return UCXL.test(link) ? { ok: true, kind: 'ucxl' } : { ok: false, reason: `not a UCXL address: ${link}` };
  }
  if (link.startsWith('bubble://')) {
    return BUBBLE.test(link) ? { ok: true, kind: 'bubble' } : { ok: false, reason: `not a bubble://dr/ link: ${link}` };
  }
  return { ok: false, reason: `unknown scheme (want ucxl:// or bubble://): ${link}` };
}

/** Every accepted transition carries at least one UCXL backlink (brief §15), and every link is well formed. */
export function checkEvidence(links: readonly string[]): { ok: true } | { ok: false; reasons: string[] } {
  const reasons: string[] = [];
  let ucxl = 0;
  for (const link of links) {
    const c = checkEvidenceLink(link);
    if (!c.ok) reasons.push(c.reason);
    else if (c.kind === 'ucxl') ucxl++;
  }
  if (ucxl === 0) reasons.push('evidence must include at least one ucxl:// link');
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}
