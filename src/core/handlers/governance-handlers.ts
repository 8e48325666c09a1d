// Governance handlers: signer identities and roles, schedules, quorum parameters, machine upgrades.
import { MACHINE_VERSION, STATECHART_HASH, ROLE_NAMES, type InputsByTransition } from '../../generated/statechart.ts';
import { isStrongPublicKey, publicKeyFromSigner } from '../ed25519.ts';
import type { Identity, StateDocument } from '../state.ts';
import { done, refuse, type HandlerContext, type HandlerResult } from './handler.ts';

type I<K extends keyof InputsByTransition> = InputsByTransition[K];

/** Machine definitions this build can run, by version: an upgrade may only move to one of these. */
export const SUPPORTED_DEFINITIONS: Readonly<Record<number, string>> = { [MACHINE_VERSION]: STATECHART_HASH };

function weakKey(signer: string): string | null {
  const key = publicKeyFromSigner(signer);
  return key !== null && isStrongPublicKey(key) ? null : `${signer} is not a canonical prime-order Ed25519 key`;
}

function adminCount(ids: Readonly<Record<string, Identity>>): number {
  return Object.values(ids).filter((id) => id.roles.includes('admin')).length;
}

function withIdentities(state: StateDocument, identities: Record<string, Identity>): StateDocument {
  // Re-insert in sorted key order so the canonical form never depends on insertion history.
  const sorted: Record<string, Identity> = {};
  for (const k of Object.keys(identities).sort()) sorted[k] = identities[k]!;
  return { ...state, boot: { ...state.boot, identities: sorted } };
}

export const governanceHandlers = {
  Governance_AddSigner: (ctx: HandlerContext, i: I<'Governance_AddSigner'>): HandlerResult => {
    const ids = ctx.state.boot.identities;
    if (ids[i.signer] !== undefined) return refuse(`${i.signer} is already a signer`);
    const weak = weakKey(i.signer);
    if (weak !== null) return refuse(weak);
    const roles = ROLE_NAMES.filter((r) => i.roles.includes(r));
    return done(withIdentities(ctx.state, { ...ids, [i.signer]: { roles, label: i.label ?? null, since: ctx.stampText } }));
  },

  Governance_RemoveSigner: (ctx: HandlerContext, i: I<'Governance_RemoveSigner'>): HandlerResult => {
    const ids = { ...ctx.state.boot.identities };
    const target = ids[i.signer];
    if (target === undefined) return refuse(`${i.signer} is not a signer`);
    delete ids[i.signer];
    if (target.roles.includes('admin') && adminCount(ids) === 0) return refuse('cannot remove the last admin');
    return done(withIdentities(ctx.state, ids));
  },

  Governance_RotateSigner: (ctx: HandlerContext, i: I<'Governance_RotateSigner'>): HandlerResult => {
    const ids = { ...ctx.state.boot.identities };
    const old = ids[i.old_signer];
    if (old === undefined) return refuse(`${i.old_signer} is not a signer`);
    if (ids[i.new_signer] !== undefined) return refuse(`${i.new_signer} is already a signer`);
    const weak = weakKey(i.new_signer);
    if (weak !== null) return refuse(weak);
    delete ids[i.old_signer];
    ids[i.new_signer] = { ...old, since: ctx.stampText };
    return done(withIdentities(ctx.state, ids));
  },

  Governance_UpdateSchedule: (ctx: HandlerContext, i: I<'Governance_UpdateSchedule'>): HandlerResult => {
    const e = ctx.state.execution;
    if (i.schedule.version <= e.schedule.version) return refuse(`schedule version ${i.schedule.version} is not newer than ${e.schedule.version}`);
    const schedule = { version: i.schedule.version, phases: i.schedule.phases, tidal: i.schedule.tidal ?? null };
    return done({ ...ctx.state, execution: { ...e, schedule } });
  },

  Governance_UpdateQuorum: (ctx: HandlerContext, i: I<'Governance_UpdateQuorum'>): HandlerResult =>
    done({ ...ctx.state, council: { ...ctx.state.council, min_votes: i.min_votes, approvals_threshold: i.approvals_threshold } }),

  Meta_Upgrade: (ctx: HandlerContext, i: I<'Meta_Upgrade'>): HandlerResult => {
    const meta = ctx.state.meta;
    if (i.to_version === meta.machine_version) return refuse(`the state already runs machine version ${i.to_version}`);
    if (SUPPORTED_DEFINITIONS[i.to_version] !== i.statechart_hash) {
      return refuse(`this build cannot run machine version ${i.to_version} with statechart ${i.statechart_hash}`, 'unsupported_machine_version');
    }
    return done({ ...ctx.state, meta: { ...meta, machine_version: i.to_version, statechart_hash: i.statechart_hash as typeof meta.statechart_hash } });
  },
};
