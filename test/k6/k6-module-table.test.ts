// The export's k6 module table against k6's own module lists, release by
// release: the lists in fixtures/k6-jsmodules were read from grafana/k6's
// registry (js/jsmodules.go, internal/js/jsmodules.go) and release notes,
// each file naming its commit and how far it is confirmed. The script is
// bundled for every one of those releases and each import is checked
// against that release's list, by a checker written here, apart from the
// table it checks.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { exportK6, scriptFileName } from '../../scenarios/k6/export-k6.ts';
import { defaultModuleSetFor, k6ModulePaths, k6NamedModuleSets, k6Releases, k6TargetFor, pinnedK6Version } from '../../scenarios/k6/k6-versions.ts';
import { builtInScenarios } from '../../scenarios/library/index.ts';
import { validateScenario } from '../../scenarios/validate-scenario.ts';

interface RegistryList {
  release: string;
  source: { repo: string; file: string; commit: string; basis: string };
  registered: string[];
  deprecated: string[];
  removed: string[];
}

const fixtures = new URL('./fixtures/k6-jsmodules/', import.meta.url);
const lists: RegistryList[] = readdirSync(fixtures)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, fixtures), 'utf8')) as RegistryList)
  .sort((a, b) => a.release.localeCompare(b.release, 'en', { numeric: true }));
const listOf = (release: string): RegistryList => lists.find((l) => l.release === release)!;

/** Why a script with these imports fails to load on the release of `list` (missing or removed modules), and its deprecated imports. */
function checkImports(imports: string[], list: RegistryList): { problems: string[]; deprecated: string[] } {
  const problems: string[] = [];
  for (const path of imports) {
    if (list.removed.includes(path)) problems.push(`${path} is removed in v${list.release}`);
    else if (!list.registered.includes(path)) problems.push(`${path} does not exist in v${list.release}`);
  }
  return { problems, deprecated: imports.filter((p) => list.deprecated.includes(p)) };
}
const importsOf = (script: string): string[] => [...script.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]).sort();

const scenario = validateScenario(builtInScenarios['hard-kill'], 'hard-kill');
const dirs: string[] = [];
async function exportFor(k6Version: string, modules?: (typeof k6NamedModuleSets)[string]) {
  const outDir = mkdtempSync(join(tmpdir(), 'aftershock-k6-table-'));
  dirs.push(outDir);
  const result = await exportK6({ scenario, outDir, k6Version, ...(modules ? { modules } : {}) });
  return { result, imports: importsOf(readFileSync(join(outDir, scriptFileName), 'utf8')) };
}
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the k6 module table against k6 releases', () => {
  test('the fixtures cover the supported range, mid-range releases included, each with its source', () => {
    expect(lists.map((l) => l.release)).toEqual(['0.48.0', '0.49.0', '0.50.0', '0.51.0', '0.52.0', '0.53.0', '0.54.0', '1.0.0', '1.2.0', '1.5.0', '1.6.0', '2.0.0', '2.2.0']);
    for (const l of lists) {
      expect(l.source.repo).toBe('grafana/k6');
      expect(l.source.commit).toMatch(/^[0-9a-f]{40}$/);
      for (const path of l.deprecated) expect(l.registered).toContain(path);
      for (const path of l.removed) expect(l.registered).not.toContain(path);
    }
  });

  test.each(lists.map((l) => [l.release, l] as const))('v%s: the table says what the registry says of every module the script may import', (release, list) => {
    const { release: row } = k6TargetFor(release);
    for (const path of k6ModulePaths) {
      const registry = list.removed.includes(path) ? 'removed' : list.deprecated.includes(path) ? 'deprecated' : list.registered.includes(path) ? 'present' : undefined;
      expect({ path, status: row.modules[path] }).toEqual({ path, status: registry });
    }
  });

  test.each(lists.map((l) => [l.release, l] as const))('v%s: the default export imports only modules that load there, none deprecated, and pins that image', async (release, list) => {
    const { result, imports } = await exportFor(release);
    expect(imports.length).toBeGreaterThanOrEqual(4);
    expect(checkImports(imports, list)).toEqual({ problems: [], deprecated: [] });
    expect(result.image).toBe(`grafana/k6:${release}`);
  });

  test.each(lists.map((l) => [l.release, l] as const))('v%s: --k6-modules is refused exactly when the registry lacks or removed one of its modules', async (release, list) => {
    for (const [name, set] of Object.entries(k6NamedModuleSets)) {
      const expected = checkImports([set.websockets, set.timers], list).problems;
      const outcome = await exportFor(release, set).then(
        ({ imports }) => ({ refused: false, imports }),
        (error: { code?: string }) => ({ refused: error.code === 'k6-modules-unavailable', imports: [] as string[] }),
      );
      expect({ name, refused: outcome.refused }).toEqual({ name, refused: expected.length > 0 });
      if (!outcome.refused) expect(checkImports(outcome.imports, list).problems).toEqual([]);
    }
  });

  test('the check fails a script for the wrong release: v0.48 imports on v0.54 (timers removed), v2.2 imports on v1.5 (no k6/websockets)', async () => {
    const old = await exportFor('0.48');
    expect(checkImports(old.imports, listOf('0.54.0')).problems).toEqual(['k6/experimental/timers is removed in v0.54.0']);
    const current = await exportFor('2.2');
    expect(checkImports(current.imports, listOf('1.5.0')).problems).toEqual(['k6/websockets does not exist in v1.5.0']);
    // And what the users met: the v0.48 set on today's k6.
    expect(checkImports(old.imports, listOf('2.2.0'))).toEqual({ problems: ['k6/experimental/timers is removed in v2.2.0'], deprecated: ['k6/experimental/websockets'] });
  });
});

describe("the README's k6 section", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('**Which k6.**'), readme.indexOf('**Devices across the cluster.**'));

  test('states the pinned version, the supported range and, per range, the modules the export picks', () => {
    expect(section).toContain(`default **v${pinnedK6Version}**`);
    expect(section).toContain(`Supported: k6 v${k6Releases[0].version.replace(/\.0$/, '')} to v${pinnedK6Version.split('.')[0]}.x`);
    const rows = [...section.matchAll(/^\| v([\d.]+) to v([\d.x]+) \| `([^`]+)` \| `([^`]+)` \|/gm)];
    expect(rows.length).toBe(4);
    for (const [, from, to, websockets, timers] of rows) {
      // Both ends of each range get the modules the row names, from the same table the export uses.
      for (const version of [from, to.replace('x', '2')]) {
        expect({ version, ...defaultModuleSetFor(k6TargetFor(version).release) }).toEqual({ version, websockets, timers });
      }
    }
    // The ranges meet: each starts where the table changes the module set.
    expect(rows.map((r) => r[1])).toEqual(['0.48', '0.50', '0.54', '1.6']);
  });

  test('its commands for k6 v2 and for a cluster on v1.2 give what it says', async () => {
    expect(section).toContain('export k6 hard-kill --k6-version 2.2 --out k6-hard-kill');
    expect(section).toContain('export k6 hard-kill --k6-version 1.2 --out k6-hard-kill-v1');
    const v2 = await exportFor('2.2');
    expect({ image: v2.result.image, imports: v2.imports }).toEqual({ image: 'grafana/k6:2.2.0', imports: ['k6/execution', 'k6/metrics', 'k6/timers', 'k6/websockets'] });
    const v1 = await exportFor('1.2');
    expect(section).toContain('experimental websockets, k6/timers, image grafana/k6:1.2.0');
    expect({ image: v1.result.image, imports: v1.imports }).toEqual({ image: 'grafana/k6:1.2.0', imports: ['k6/execution', 'k6/experimental/websockets', 'k6/metrics', 'k6/timers'] });
  });
});
