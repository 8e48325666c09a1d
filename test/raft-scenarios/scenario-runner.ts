// Runs Raft scenario scripts (*.txt) and renders what happened as text, for golden comparison.
import { Prng } from '../../src/core/prng.ts';
import { RawNode } from '../../src/raft/raw-node.ts';
import { MemoryStorage } from '../../src/raft/storage.ts';
import type { Message, NodeId } from '../../src/raft/types.ts';

interface Peer {
  node: RawNode;
  storage: MemoryStorage;
  applied: string[];
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function describe(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} term=${m.term}`];
  if (m.index !== undefined) parts.push(`index=${m.index}`);
  if (m.logTerm !== undefined) parts.push(`logTerm=${m.logTerm}`);
  if (m.entries !== undefined) parts.push(`entries=[${m.entries.map((e) => `${e.term}/${e.index}${e.data.length ? ':' + text(e.data) : ''}`).join(' ')}]`);
  if (m.commit !== undefined) parts.push(`commit=${m.commit}`);
  if (m.reject === true) parts.push(`reject hint=${m.rejectHint ?? ''}/${m.logTermHint ?? ''}`);
  if (m.context !== undefined) parts.push(`ctx=${m.context}`);
  return parts.join(' ');
}

/** Executes a script; each command's output follows it, so a behaviour change is a readable diff. */
export function runScenario(script: string): string {
  const peers = new Map<NodeId, Peer>();
  const cut = new Set<string>();
  const rng = new Prng(1);
  const out: string[] = [];
  let pending: Message[] = [];

  const readyAll = (): boolean => {
    let any = false;
    for (const [id, p] of peers) {
      while (p.node.hasReady()) {
        any = true;
        const rd = p.node.ready();
        if (rd.snapshot !== null) p.storage.applySnapshot(rd.snapshot);
        p.storage.append(rd.entries);
        if (rd.hardState !== null) p.storage.setHardState(rd.hardState);
        pending.push(...rd.messages);
        for (const e of rd.committedEntries) if (e.data.length > 0) p.applied.push(e.type === 'conf-change' ? `conf:${text(e.data)}` : text(e.data));
        for (const r of rd.readStates) out.push(`  ${id} read ${r.requestCtx} at index ${r.index}`);
        p.node.advance();
      }
    }
    return any;
  };

  const deliver = (): boolean => {
    const batch = pending;
    pending = [];
    for (const m of batch) {
      const lost = cut.has(`${m.from}>${m.to}`) || !peers.has(m.to);
      out.push(`  ${lost ? '(lost) ' : ''}${describe(m)}`);
      if (!lost) peers.get(m.to)!.node.step(m);
    }
    return batch.length > 0;
  };

  for (const raw of script.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(`> ${line}`);
    const [cmd, ...args] = line.split(/\s+/);
    const peer = (id: string | undefined) => {
      const p = peers.get(id ?? '');
      if (p === undefined) throw new Error(`scenario: unknown node ${id}`);
      return p;
    };
    switch (cmd) {
      case 'nodes':
        for (const id of args) {
          const storage = MemoryStorage.withVoters(args);
          peers.set(id, { storage, applied: [], node: new RawNode({ id, electionTick: 10, heartbeatTick: 1, random: (n) => rng.int(0, n - 1) }, storage) });
        }
        break;
      case 'campaign':
        peer(args[0]).node.campaign();
        break;
      case 'propose':
        out.push(`  ${peer(args[0]).node.propose(new TextEncoder().encode(args[1] ?? '')) ? 'proposed' : 'dropped'}`);
        break;
      case 'propose-leader': {
        const leader = [...peers.entries()].find(([, p]) => p.node.raft.role === 'leader' && !args.slice(1).includes(p.node.raft.id));
        out.push(leader === undefined ? '  no leader' : `  ${leader[0]} ${leader[1].node.propose(new TextEncoder().encode(args[0] ?? '')) ? 'proposed' : 'dropped'}`);
        break;
      }
      case 'tick':
        for (let i = 0; i < Number(args[1] ?? 1); i++) peer(args[0]).node.tick();
        break;
      case 'transfer':
        out.push(`  ${peer(args[0]).node.transferLeader(args[1] ?? '') ? 'transfer started' : 'transfer refused'}`);
        break;
      case 'read':
        out.push(`  ${peer(args[0]).node.readIndex(args[1] ?? 'r') ? 'read requested' : 'read refused'}`);
        break;
      case 'partition': {
        const bar = args.indexOf('|');
        const a = args.slice(0, bar);
        const b = args.slice(bar + 1);
        for (const x of a) for (const y of b) {
          cut.add(`${x}>${y}`);
          cut.add(`${y}>${x}`);
        }
        break;
      }
      case 'heal':
        cut.clear();
        break;
      case 'stabilize': {
        let rounds = 0;
        while ((readyAll() || deliver()) && rounds++ < 1000) {
          /* until quiet */
        }
        break;
      }
      case 'status':
        for (const [id, p] of peers) {
          const s = p.node.status();
          out.push(`  ${id}: ${s.role} term=${s.term} lead=${s.lead ?? '-'} commit=${s.commit} applied=${s.applied} last=${p.node.raft.log.lastIndex()}`);
        }
        break;
      case 'logs':
        for (const [id, p] of peers) {
          const log = p.node.raft.log;
          const entries = log.slice(log.firstIndex(), log.lastIndex() + 1).map((e) => `${e.term}/${e.index}${e.data.length ? ':' + text(e.data) : ''}`);
          out.push(`  ${id}: ${entries.join(' ')} | applied ${p.applied.join(',') || '-'}`);
        }
        break;
      default:
        throw new Error(`scenario: unknown command ${cmd}`);
    }
  }
  return out.join('\n') + '\n';
}
