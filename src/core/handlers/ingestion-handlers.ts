// Ingestion handlers: DISCOVER -> FETCH -> VALIDATE -> INDEX -> READY, new versions and ROLLBACK_INDEX.
import type { InputsByTransition } from '../../generated/statechart.ts';
import type { Digest } from '../digest.ts';
import { done, refuse, type HandlerContext, type HandlerResult } from './handler.ts';
import { quarantinePolicy } from './policy-handlers.ts';

type I<K extends keyof InputsByTransition> = InputsByTransition[K];

export const ingestionHandlers = {
  Ingestion_SourcesResolved: (ctx: HandlerContext, i: I<'Ingestion_SourcesResolved'>): HandlerResult =>
    done({ ...ctx.state, ingestion: { ...ctx.state.ingestion, sources: [...i.sources] } }),

  Ingestion_BytesOk: (ctx: HandlerContext, i: I<'Ingestion_BytesOk'>): HandlerResult =>
    done({ ...ctx.state, ingestion: { ...ctx.state.ingestion, content_hash: i.content_hash as Digest, bytes: i.bytes } }),

  Ingestion_SchemaOk: (ctx: HandlerContext, i: I<'Ingestion_SchemaOk'>): HandlerResult =>
    done({ ...ctx.state, ingestion: { ...ctx.state.ingestion, schema_hash: i.schema_hash as Digest, records: i.records } }),

  Ingestion_PolicyViolation: (ctx: HandlerContext, i: I<'Ingestion_PolicyViolation'>): HandlerResult =>
    done({ ...ctx.state, policy: quarantinePolicy(ctx.state.policy, i.rule_id, i.rationale) }),

  Ingestion_CorpusBuilt: (ctx: HandlerContext, i: I<'Ingestion_CorpusBuilt'>): HandlerResult => {
    const ing = ctx.state.ingestion;
    if (ing.content_hash === null) return refuse('no content hash has been fetched for this version');
    const ready = { version: ing.version, content_hash: ing.content_hash, index_hash: i.index_hash as Digest };
    return done({ ...ctx.state, ingestion: { ...ing, index_hash: ready.index_hash, ready } });
  },

  Ingestion_NewVersion: (ctx: HandlerContext): HandlerResult => {
    const ing = ctx.state.ingestion;
    return done({
      ...ctx.state,
      ingestion: { ...ing, version: ing.version + 1, content_hash: null, bytes: 0, schema_hash: null, records: 0, index_hash: null },
    });
  },

  Ingestion_RollbackIndex: (ctx: HandlerContext): HandlerResult => {
    const ing = ctx.state.ingestion;
    if (ing.ready === null) return refuse('no earlier READY version to roll back to');
    const r = ing.ready;
    return done({ ...ctx.state, ingestion: { ...ing, version: r.version, content_hash: r.content_hash, index_hash: r.index_hash } });
  },
};
