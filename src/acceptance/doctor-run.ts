// `swoosh doctor --data DIR` as its own process, the way an operator runs it against a stopped replica.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'swoosh.mjs');

export interface DoctorVerdict {
  readonly verdict: 'healthy' | 'unhealthy' | 'error';
  readonly exit_code: number | null;
  /** The failed checks, or what went wrong running the doctor. */
  readonly problems: readonly string[];
}

export function runDoctorProcess(dataDir: string): Promise<DoctorVerdict> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'doctor', '--data', dataDir], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      let report: { verdict?: string; checks?: { name: string; ok: boolean; detail: string }[] };
      try {
        report = JSON.parse(stdout) as typeof report;
      } catch {
        resolve({ verdict: 'error', exit_code: code, problems: [`no JSON report (exit ${code}): ${stderr.trim().slice(-2000)}`] });
        return;
      }
      const failed = (report.checks ?? []).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      const healthy = report.verdict === 'healthy' && code === 0;
      resolve({ verdict: healthy ? 'healthy' : 'unhealthy', exit_code: code, problems: failed });
    });
  });
}
