// Every transition's handler, checked against the generated TransitionHandlers type: a missing one fails to compile.
import type { TransitionHandlers } from '../../generated/dispatch.ts';
import { bootHandlers } from './boot-handlers.ts';
import { controlHandlers } from './control-handlers.ts';
import { councilHandlers } from './council-handlers.ts';
import { environmentHandlers } from './environment-handlers.ts';
import { executionHandlers } from './execution-handlers.ts';
import { factHandlers } from './fact-handlers.ts';
import { governanceHandlers } from './governance-handlers.ts';
import type { HandlerContext, HandlerResult } from './handler.ts';
import { ingestionHandlers } from './ingestion-handlers.ts';
import { policyHandlers } from './policy-handlers.ts';

export const HANDLERS: TransitionHandlers<HandlerContext, HandlerResult> = {
  ...bootHandlers,
  ...ingestionHandlers,
  ...councilHandlers,
  ...environmentHandlers,
  ...executionHandlers,
  ...controlHandlers,
  ...policyHandlers,
  ...factHandlers,
  ...governanceHandlers,
};
