// The active configuration: which state paths the machine is in, and how a transition target moves it.
import type { ControlPhase, TopState } from '../generated/statechart.ts';
import type { SavedConfiguration, StateDocument } from './state.ts';

const REGION_SECTION = { Ingestion: 'ingestion', Council: 'council', Environment: 'environment' } as const;

/** True when the machine is in `path` (or in a descendant of it). `*` is any state but TERMINATED and QUARANTINED. */
export function inState(state: StateDocument, path: string): boolean {
  const top = state.configuration.top;
  if (path === '*') return top !== 'TERMINATED' && top !== 'QUARANTINED';
  const [head, ...rest] = path.split('.');
  if (head !== top) return false;
  if (rest.length === 0) return true;
  switch (top) {
    case 'BOOT': {
      const sub = rest.join('.');
      return state.boot.phase === sub || state.boot.phase.startsWith(sub + '.');
    }
    case 'PROJECT_LIFECYCLE': {
      const section = REGION_SECTION[rest[0] as keyof typeof REGION_SECTION];
      if (section === undefined) return false;
      return rest.length === 1 || state[section].phase === rest[1];
    }
    case 'EXECUTION':
      return state.execution.phase === rest[0];
    case 'CONTROL':
      return state.control.phase === rest[0];
    default:
      return false;
  }
}

/** The current configuration as a list of leaf paths (parallel regions give three), for logs and DRs. */
export function activePaths(state: StateDocument): string[] {
  const top = state.configuration.top;
  switch (top) {
    case 'BOOT':
      return [`BOOT.${state.boot.phase}`];
    case 'PROJECT_LIFECYCLE':
      return [
        `PROJECT_LIFECYCLE.Ingestion.${state.ingestion.phase}`,
        `PROJECT_LIFECYCLE.Council.${state.council.phase}`,
        `PROJECT_LIFECYCLE.Environment.${state.environment.phase}`,
      ];
    case 'EXECUTION':
      return [`EXECUTION.${state.execution.phase}`];
    case 'CONTROL':
      return [`CONTROL.${state.control.phase ?? '?'}`];
    default:
      return [top];
  }
}

function saved(state: StateDocument): SavedConfiguration {
  return { top: state.configuration.top, control_phase: state.control.phase };
}

/**
 * Moves the configuration to `to` (a state path, `$self` or `$history`). Region phases persist while the
 * machine is elsewhere, so leaving PROJECT_LIFECYCLE for EXECUTION and coming back keeps READY regions READY.
 */
export function enterTarget(state: StateDocument, to: string): StateDocument {
  if (to === '$self') return state;
  const history = state.configuration.history;
  if (to === '$history') {
    const last = history[history.length - 1];
    if (last === undefined) return state;
    return {
      ...state,
      configuration: { top: last.top, history: history.slice(0, -1) },
      control: last.control_phase === state.control.phase ? state.control : { ...state.control, phase: last.control_phase },
    };
  }
  const [head, ...rest] = to.split('.') as [TopState, ...string[]];
  let next: StateDocument = state;
  let newHistory = history;
  if ((head === 'CONTROL' || head === 'QUARANTINED') && state.configuration.top !== head) {
    newHistory = [...history, saved(state)];
  } else if (head === 'TERMINATED') {
    newHistory = [];
  } else if (head !== 'CONTROL' && head !== 'QUARANTINED') {
    newHistory = [];
  }
  switch (head) {
    case 'BOOT': {
      const phase = rest.length === 0 ? 'UNINITIALIZED' : rest.join('.') === 'LICENSE_CHECK' ? 'LICENSE_CHECK.VERIFYING' : rest.join('.');
      next = { ...next, boot: { ...next.boot, phase: phase as StateDocument['boot']['phase'] } };
      break;
    }
    case 'PROJECT_LIFECYCLE': {
      const section = REGION_SECTION[rest[0] as keyof typeof REGION_SECTION];
      if (section !== undefined && rest[1] !== undefined) {
        next = { ...next, [section]: { ...next[section], phase: rest[1] } } as StateDocument;
      }
      break;
    }
    case 'EXECUTION':
      next = { ...next, execution: { ...next.execution, phase: (rest[0] ?? 'PLAN') as StateDocument['execution']['phase'] } };
      break;
    case 'CONTROL':
      next = { ...next, control: { ...next.control, phase: rest[0] as ControlPhase } };
      break;
    default:
      break;
  }
  if (head !== 'CONTROL' && next.control.phase !== null && newHistory.every((h) => h.top !== 'CONTROL')) {
    next = { ...next, control: { ...next.control, phase: null } };
  }
  return { ...next, configuration: { top: head, history: newHistory } };
}
