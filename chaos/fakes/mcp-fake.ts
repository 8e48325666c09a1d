// MCP registry fake (docs/integrations/mcp.md): health and published tool versions, both controllable.
import { startFakeServer, type CommonControls, type CommonOptions, type ControlCheck, type RunningFake } from './fake-server.ts';

export interface McpFakeOptions extends CommonOptions {
  /** Published tool versions: name → version. */
  tools?: Record<string, string>;
  /** The registry's own version in /v1/health. */
  version?: string;
  registry?: string;
}

export interface McpExtraControls {
  tools: Record<string, string>;
  status: 'ok' | 'degraded';
}

export interface McpControls extends CommonControls, McpExtraControls {}

export const DEFAULT_MCP_TOOLS: Readonly<Record<string, string>> = { 'fs.read': '1.2.0', git: '2.4.1', 'web.search': '0.9.3' };

const isTools: ControlCheck = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object {name: version}';
  for (const [name, version] of Object.entries(v)) {
    if (name === '' || name.length > 256) return `tool name ${JSON.stringify(name)} must be 1..256 characters`;
    if (typeof version !== 'string' || version === '' || version.length > 128) return `${name}: version must be a string of 1..128 characters`;
  }
  return null;
};

export function startMcpFake(options: McpFakeOptions = {}): Promise<RunningFake<McpControls>> {
  const registry = options.registry ?? 'mcp-registry';
  const version = options.version ?? '1.4.2';
  let current: McpExtraControls = { tools: { ...(options.tools ?? DEFAULT_MCP_TOOLS) }, status: 'ok' };

  return startFakeServer<McpExtraControls>(
    {
      kind: 'mcp',
      system: 'mcp',
      controls: {
        defaults: { tools: { ...current.tools }, status: 'ok' },
        checks: { tools: isTools, status: (v) => (v === 'ok' || v === 'degraded' ? null : 'must be ok or degraded') },
      },
      onControl: (_prev, next) => {
        current = { tools: next.tools, status: next.status };
      },
      reset: () => {},
      routes: [
        { method: 'GET', pattern: '/v1/health', handler: () => ({ status: 200, body: { type: 'mcp.health.v1', status: current.status, registry, version } }) },
        {
          method: 'GET',
          pattern: '/v1/tools',
          handler: () => ({
            status: 200,
            body: {
              type: 'mcp.tools.v1',
              registry,
              tools: Object.keys(current.tools)
                .sort()
                .map((name) => ({ name, version: current.tools[name]! })),
            },
          }),
        },
      ],
    },
    options,
  );
}
