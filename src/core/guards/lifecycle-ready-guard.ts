// EXECUTION entry guard: all three regions READY and the proposal's pins equal their content/version hashes.
import type { StateDocument } from '../state.ts';
import type { Guard } from './guard.ts';

interface StartInputs {
  readonly pins: { ingestion_version: number; content_hash: string; council_set_hash: string; environment_hash: string };
  readonly plan_change?: string;
}

/** Why the lifecycle is not ready for these pins (empty when it is). Also used by the invariant check. */
export function lifecycleProblems(state: StateDocument, pins: StartInputs['pins']): string[] {
  const out: string[] = [];
  if (state.ingestion.phase !== 'READY') out.push(`Ingestion is ${state.ingestion.phase}, not READY`);
  if (state.council.phase !== 'READY') out.push(`Council is ${state.council.phase}, not READY`);
  if (state.environment.phase !== 'READY') out.push(`Environment is ${state.environment.phase}, not READY`);
  const ready = state.ingestion.ready;
  if (ready === null || ready.version !== pins.ingestion_version) out.push(`pinned ingestion version ${pins.ingestion_version} is not the READY version ${ready?.version ?? 'none'}`);
  if (ready === null || ready.content_hash !== pins.content_hash) out.push(`pinned content hash ${pins.content_hash} is not the READY content hash ${ready?.content_hash ?? 'none'}`);
  if (state.council.member_set_hash !== pins.council_set_hash) out.push(`pinned council set ${pins.council_set_hash} is not the elected set ${state.council.member_set_hash ?? 'none'}`);
  if (state.environment.health_hash !== pins.environment_hash) out.push(`pinned environment ${pins.environment_hash} is not the healthy environment ${state.environment.health_hash ?? 'none'}`);
  return out;
}

export const lifecycleReadyGuard: Guard = (ctx) => {
  const inputs = ctx.proposal.inputs as unknown as StartInputs;
  const problems = lifecycleProblems(ctx.state, inputs.pins);
  if (problems.length > 0) return { ok: false, code: 'lifecycle_not_ready', reasons: problems };
  const previous = ctx.state.execution.pins;
  if (previous !== null && previous.ingestion_version !== inputs.pins.ingestion_version && inputs.plan_change === undefined) {
    return {
      ok: false,
      code: 'plan_change_required',
      reasons: [`the plan was pinned to ingestion version ${previous.ingestion_version}; version ${inputs.pins.ingestion_version} needs an explicit plan_change`],
    };
  }
  return { ok: true, reasons: [`all regions READY; pins match ingestion v${inputs.pins.ingestion_version}, council ${inputs.pins.council_set_hash}, environment ${inputs.pins.environment_hash}`] };
};
