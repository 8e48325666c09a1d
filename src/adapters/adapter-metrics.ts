// Prometheus metrics of the adapter host, on the replica's registry (docs/integrations/README.md).
import { Counter, Gauge, type Registry } from 'prom-client';

export interface AdapterMetrics {
  readonly active: Gauge;
  readonly requests: Counter<'system' | 'result'>;
  readonly invalid: Counter<'system'>;
  readonly refused: Counter<'system' | 'code'>;
  readonly facts: Counter<'system' | 'transition' | 'outcome'>;
  readonly breakerOpen: Gauge<'system'>;
}

export function createAdapterMetrics(registry: Registry): AdapterMetrics {
  const registers = [registry];
  return {
    active: new Gauge({ name: 'swoosh_adapter_active', help: '1 while this replica runs the adapters (it is the leader).', registers }),
    requests: new Counter({ name: 'swoosh_adapter_requests_total', help: 'Requests to external systems, by system and result (ok, network, timeout, http, invalid_json, refused).', labelNames: ['system', 'result'], registers }),
    invalid: new Counter({ name: 'swoosh_adapter_invalid_total', help: 'Messages from external systems that failed their contract, by system.', labelNames: ['system'], registers }),
    refused: new Counter({ name: 'swoosh_adapter_outbound_refused_total', help: 'Outbound calls refused by the license gate, by system and code.', labelNames: ['system', 'code'], registers }),
    facts: new Counter({ name: 'swoosh_adapter_facts_total', help: 'Fact transitions proposed by adapters, by system, transition and outcome.', labelNames: ['system', 'transition', 'outcome'], registers }),
    breakerOpen: new Gauge({ name: 'swoosh_adapter_breaker_open', help: '1 while the circuit breaker around an external system is open.', labelNames: ['system'], registers }),
  };
}
