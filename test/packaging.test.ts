/**
 * The packaging files parse and say what they must (no Docker engine on the
 * development machine: the image is not built here). promtool checks the
 * rules when it is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
/** YAML → JSON through yq (Debian's python yq or mikefarah's); skipped where neither exists. */
function yaml(file: string): any {
  return JSON.parse(execFileSync('yq', ['-o=json', '.', path.join(root, file)], { encoding: 'utf8' }).trim() || 'null');
}
function yamlOrSkip(file: string): any {
  try {
    return yaml(file);
  } catch {
    return JSON.parse(execFileSync('yq', ['.', path.join(root, file)], { encoding: 'utf8' }));
  }
}

describe('packaging', () => {
  it('Dockerfile: multi-stage, non-root, HEALTHCHECK on /healthz, the npx entrypoint, OCI labels', () => {
    for (const file of ['Dockerfile', 'Dockerfile.ghcr']) {
      const text = read(file);
      expect(text.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/^USER node$/m);
      expect(text).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
      expect(text).toMatch(/^ENTRYPOINT \["node", "bin\/pgtrickle\.js"\]$/m);
      expect(text).toMatch(/org\.opencontainers\.image\.source/);
    }
  });

  it.runIf(has('yq'))('compose: PostgreSQL 18, NATS with JetStream, three nodes, Prometheus and Grafana', () => {
    const compose = yamlOrSkip('docker-compose.yml');
    expect(compose.services.postgres.image).toBe('postgres:18');
    expect(compose.services.nats.command).toContain('-js');
    const nodes = Object.keys(compose.services).filter((s) => s.startsWith('pgtrickle-'));
    expect(nodes).toHaveLength(3);
    expect(compose.services.prometheus).toBeDefined();
    expect(compose.services.grafana).toBeDefined();
    const prom = yamlOrSkip('monitoring/prometheus/prometheus.yml');
    expect(prom.scrape_configs[0].static_configs[0].targets).toEqual(nodes.map((n) => `${n}:9187`));
  });

  it.runIf(has('yq'))('workflows: CI runs .ci/run on PostgreSQL 15-18; release pushes a multi-arch image on v* tags', () => {
    const ci = yamlOrSkip('.github/workflows/ci.yml');
    expect(ci.jobs.test.strategy.matrix.postgres).toEqual(['15', '16', '17', '18']);
    expect(ci.jobs.test.steps.map((s: { run?: string }) => s.run)).toContain('bash .ci/run');
    const release = yamlOrSkip('.github/workflows/release.yml');
    expect(release.on.push.tags).toEqual(['v*']);
    const build = release.jobs.image.steps.find((s: { uses?: string }) => s.uses?.startsWith('docker/build-push-action'));
    expect(build.with).toMatchObject({ file: 'Dockerfile.ghcr', platforms: 'linux/amd64,linux/arm64', push: true });
  });

  it('monitoring: every metric the rules and the dashboard use is one the coordinator exports', () => {
    const exported = new Set([...read('src/coordinator/metrics.ts').matchAll(/name: '(pgtrickle_[a-z_]+)'/g)].map((m) => m[1]!));
    const recorded = new Set([...read('monitoring/prometheus/rules.yml').matchAll(/record: (pgtrickle:[a-z0-9_:]+)/g)].map((m) => m[1]!));
    const dashboard = JSON.parse(read('monitoring/grafana/pgtrickle.json')) as { panels: { targets: { expr: string }[] }[] };
    const exprs = [read('monitoring/prometheus/rules.yml'), ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))].join('\n');
    const used = [...exprs.matchAll(/\b(pgtrickle_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(5);
    for (const metric of used) expect([metric, exported.has(metric)]).toEqual([metric, true]);
    for (const rec of exprs.matchAll(/\b(pgtrickle:[a-z0-9_:]+)/g)) expect([rec[1], recorded.has(rec[1]!)]).toEqual([rec[1], true]);
  });

  it.runIf(has('promtool'))('promtool check rules', () => {
    expect(() => execFileSync('promtool', ['check', 'rules', path.join(root, 'monitoring/prometheus/rules.yml')])).not.toThrow();
  });
});
