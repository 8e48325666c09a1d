// The guard registry: one pure function per guard name in statechart.yaml (a missing one fails to type-check).
import type { GuardName } from '../../generated/statechart.ts';
import { approvalsGuard } from './approvals-guard.ts';
import type { Guard } from './guard.ts';
import { licenseGuard, licenseValidGuard } from './license-guard.ts';
import { lifecycleReadyGuard } from './lifecycle-ready-guard.ts';
import { mcpHealthGuard } from './mcp-health-guard.ts';
import { policyGuard } from './policy-guard.ts';
import { quorumCertificateGuard } from './quorum-certificate-guard.ts';
import { windowGuard } from './window-guard.ts';

export const GUARDS: { readonly [K in GuardName]: Guard } = {
  license: licenseGuard,
  license_valid: licenseValidGuard,
  window: windowGuard,
  quorum_certificate: quorumCertificateGuard,
  mcp_health: mcpHealthGuard,
  policy: policyGuard,
  lifecycle_ready: lifecycleReadyGuard,
  approvals: approvalsGuard,
};
