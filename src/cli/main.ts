// The swoosh command line: subcommand dispatch, usage, and exit codes (0 ok, 1 check failed, 2 usage error).
import { acceptanceCommand } from './acceptance-command.ts';
import { benchCommand } from './bench-command.ts';
import { clusterCommand } from './cluster-commands.ts';
import { keygenCommand, signCommand } from './key-commands.ts';
import { leaderCommand, memberCommand } from './member-commands.ts';
import { doctorCommand } from './doctor-command.ts';
import { endpointCommand } from './endpoint-command.ts';
import { simCommand } from './sim-command.ts';
import { snapshotCommand } from './snapshot-commands.ts';
import { proposeCommand } from './propose-command.ts';
import { initCommand, serveCommand, startCommand } from './replica-commands.ts';
import { UsageError } from './cli-io.ts';
import { secretsCommand } from './secrets-command.ts';
import { fakesCommand } from '../../chaos/fakes/fakes-command.ts';
import { chaosCommand } from '../../chaos/harness/chaos-command.ts';
import { demoCommand, replayCommand, workloadCommand } from './stream-commands.ts';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  acceptance: { run: acceptanceCommand, help: 'acceptance [--replicas 3|5] [--count 10000] [--seed S]  the brief\'s seeded run through a real local cluster' },
  bench: { run: benchCommand, help: 'bench [--replicas 1] [--concurrency 1,16,64] [--count N]  core reducer, or a real replica under load' },
  demo: { run: demoCommand, help: 'demo [--seed S] [--count N]              generate a workload, replay it twice, print state hashes' },
  start: { run: startCommand, help: 'start [--data DIR] [--port 7070]         init DIR on first use (default .swoosh/data), then serve it' },
  cluster: { run: clusterCommand, help: 'cluster up|init [--replicas 3|5] [--data DIR] [--no-demo]  a local Raft cluster on loopback with the demo (default .swoosh/cluster)' },
  init: { run: initCommand, help: 'init --data DIR [--project NAME]         new data directory: genesis, one key per role, empty WAL' },
  serve: { run: serveCommand, help: 'serve --data DIR --port P [--host H]     run a replica: recover from disk, serve the HTTP API' },
  propose: { run: proposeCommand, help: 'propose --key F --url U --transition T --inputs JSON  sign and send; retries on a stale hash' },
  endpoint: { run: endpointCommand, help: 'endpoint health|status|hash [--endpoints U,U] [-w table|json]  operator views (SWOOSH_ENDPOINTS)' },
  member: { run: memberCommand, help: 'member list|add|promote|remove [--learner] --key ADMIN.key  cluster membership, one change at a time' },
  leader: { run: leaderCommand, help: 'leader transfer ID --key ADMIN.key       hand leadership to another voter (rolling restarts)' },
  snapshot: { run: snapshotCommand, help: 'snapshot save|inspect|restore FILE [--data NEWDIR]  save applied state; check a file; new cluster from one' },
  doctor: { run: doctorCommand, help: 'doctor --data DIR                        rebuild from snapshot+WAL and genesis+WAL; diff with live' },
  sim: { run: simCommand, help: 'sim (--seed S | --seeds A..B) [--steps N]  deterministic Raft+reducer cluster simulation with faults' },
  secrets: { run: (argv) => secretsCommand(argv), help: 'secrets keygen|encrypt|show|check           age-encrypted secrets for the adapters (docs/secrets.md)' },
  chaos: { run: chaosCommand, help: 'chaos --scenario NAME | suite | soak --minutes M  faults against a real local cluster, checked' },
  fakes: { run: fakesCommand, help: 'fakes up [--port-base 7300] [--seed S]     the fake external systems on loopback (docs/integrations/)' },
  keygen: { run: keygenCommand, help: 'keygen --out FILE                        write a new Ed25519 key file (mode 0600)' },
  sign: { run: signCommand, help: 'sign --key FILE --proposal FILE          fill signer and inputs_hash, sign, print the proposal' },
  workload: { run: workloadCommand, help: 'workload --seed S --count N --out FILE   write a seeded stream of signed proposals (JSONL)' },
  replay: { run: replayCommand, help: 'replay (--input FILE | --data DIR) [--expect F | --against F] [--hashes] [--trust-signatures]\n                                           replay a stream (signatures verified); report hashes, rejections, invariants' },
};

function usage(): string {
  return ['usage: swoosh <command> [options]', '', ...Object.values(COMMANDS).map((c) => '  swoosh ' + c.help), ''].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`swoosh: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`swoosh ${name}: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}
