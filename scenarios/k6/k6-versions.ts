import { AftershockError } from '../errors.ts';

/**
 * Which of the modules the exported script imports each k6 release has, as
 * k6's own module registry says: `js/jsmodules.go` (`internal/js/jsmodules.go`
 * from the v0.55 era on) of github.com/grafana/k6, with the release notes
 * (`release notes/vX.Y.Z.md`) for what changed at each release. A row stands
 * for every release from it up to the next row. Statuses: `present` loads;
 * `deprecated` loads with a warning that it will be removed; `removed` is an
 * error on import; a module not listed does not exist in that release.
 *
 * `read` says how far each row is confirmed. The stored copies of the
 * registry could not be read at the release tags themselves: a row is read
 * from the nearest stored registry copy and the release notes that date it
 * (`release-notes`), or from a copy whose version string is one release on
 * (`nearest-stored`, v1.6.0: the copy says 1.7.0). The per-release lists,
 * 13 releases from v0.48.0 to v2.2.0 with their sources, are in
 * test/k6/fixtures/k6-jsmodules, and a test holds this table to them.
 *
 * Kept as data: the export picks its modules from it, and a test bundles the
 * script for every release there and checks each import against that list.
 */
export type K6ModuleStatus = 'present' | 'deprecated' | 'removed';

/** The k6 modules the exported script may import. */
export const k6ModulePaths = [
  'k6/execution',
  'k6/metrics',
  'k6/websockets',
  'k6/experimental/websockets',
  'k6/timers',
  'k6/experimental/timers',
] as const;
export type K6ModulePath = (typeof k6ModulePaths)[number];

export interface K6Release {
  /** X.Y.Z, no leading v; also the grafana/k6 image tag. */
  version: string;
  /** Where the row was read in github.com/grafana/k6: "file @ commit", and how far that is confirmed. */
  read: { basis: 'release-notes' | 'nearest-stored'; sources: readonly string[]; change: string };
  modules: Partial<Record<K6ModulePath, K6ModuleStatus>>;
}

const always = { 'k6/execution': 'present', 'k6/metrics': 'present' } as const;
/** From v1.6.0 on (unchanged through v2.2.0): stable websockets, the experimental ones warning. */
const stableWebsockets = { ...always, 'k6/websockets': 'present', 'k6/experimental/websockets': 'deprecated', 'k6/experimental/timers': 'removed', 'k6/timers': 'present' } as const;

export const k6Releases: readonly K6Release[] = [
  {
    version: '0.48.0',
    read: {
      basis: 'release-notes',
      sources: ['release notes/v0.48.0.md @ 022e93a31dd04fda10a12aaa816e89b448db9b4b', 'release notes/v0.49.0.md @ 4bcbc1330d6ca588b1e0f8fa653baeac917358b6'],
      change: 'the oldest release supported: experimental websockets and experimental timers only',
    },
    modules: { ...always, 'k6/experimental/websockets': 'present', 'k6/experimental/timers': 'present' },
  },
  {
    version: '0.50.0',
    read: {
      basis: 'release-notes',
      sources: ['js/jsmodules.go @ 4bcbc1330d6ca588b1e0f8fa653baeac917358b6', 'release notes/v0.50.0.md @ 57304f02 (PR #3587)'],
      change: 'k6/timers added; k6/experimental/timers warns that it will be removed',
    },
    modules: { ...always, 'k6/experimental/websockets': 'present', 'k6/experimental/timers': 'deprecated', 'k6/timers': 'present' },
  },
  {
    version: '0.54.0',
    read: {
      basis: 'release-notes',
      sources: ['release notes/v0.54.0.md @ baba871c8a760352290f0402cd421b79f2a3e948 (PR #3838)', 'js/jsmodules.go @ 78831caaa6ef010e89c69c69e9efa3d9e392a090'],
      change: 'k6/experimental/timers removed: importing it is an error',
    },
    modules: { ...always, 'k6/experimental/websockets': 'present', 'k6/experimental/timers': 'removed', 'k6/timers': 'present' },
  },
  {
    version: '1.6.0',
    read: {
      basis: 'nearest-stored',
      sources: ['internal/js/jsmodules.go @ 48344c0d1abd32cdb25a2b003aa2e0203546d37d (version.go there: 1.7.0)', 'release notes/v1.6.0.md @ 857d8105 (PR #5586)'],
      change: 'k6/websockets added; k6/experimental/websockets warns that it will be removed',
    },
    modules: stableWebsockets,
  },
  {
    version: '2.0.0',
    read: {
      basis: 'release-notes',
      sources: ['internal/js/jsmodules.go @ 527d9a6974789f67ee1f76892d6720d8fbf509d9 (go.k6.io/k6/v2)', 'release notes/v2.0.0.md @ b0b411b2'],
      change: 'major release; no change to these modules (k6/experimental/websockets still warns)',
    },
    modules: stableWebsockets,
  },
  {
    // The same modules as 2.0.0; a row of its own so that the pinned version is the newest read.
    version: '2.2.0',
    read: {
      basis: 'release-notes',
      sources: ['internal/js/jsmodules.go @ 527d9a6974789f67ee1f76892d6720d8fbf509d9', 'release notes/v2.1.0.md, v2.2.0.md (no module added or removed)'],
      change: 'no change to these modules',
    },
    modules: stableWebsockets,
  },
];

/** The k6 the export targets when not told: the newest release in the table. */
export const pinnedK6Version = k6Releases[k6Releases.length - 1].version;

/** The websockets and timers modules a script imports. */
export interface K6ModuleSet {
  websockets: 'k6/websockets' | 'k6/experimental/websockets';
  timers: 'k6/timers' | 'k6/experimental/timers';
}

/** Named sets for `--k6-modules`. */
export const k6NamedModuleSets: Record<string, K6ModuleSet> = {
  experimental: { websockets: 'k6/experimental/websockets', timers: 'k6/experimental/timers' },
  stable: { websockets: 'k6/websockets', timers: 'k6/timers' },
  'experimental-websockets': { websockets: 'k6/experimental/websockets', timers: 'k6/timers' },
};

export interface K6Target {
  /** The version asked for, as X.Y.Z (a bare X.Y means X.Y.0). */
  version: string;
  /** The table row it falls under. */
  release: K6Release;
  /** Set when the version is newer than the table's newest in the same major. */
  note?: string;
}

const parts = (version: string): number[] => version.split('.').map(Number);
const compare = (a: string, b: string): number => {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
};

/** The table row for a k6 version given as X.Y or X.Y.Z (a leading v allowed); bad or unsupported versions are refused. */
export function k6TargetFor(text: string): K6Target {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  const oldest = k6Releases[0];
  const newest = k6Releases[k6Releases.length - 1];
  const range = `v${oldest.version.replace(/\.0$/, '')} to v${parts(newest.version)[0]}.x`;
  if (!match) throw new AftershockError('bad-flag', `--k6-version must be a k6 release such as ${newest.version.replace(/\.0$/, '')} or ${newest.version}, got "${text}"`);
  const version = `${Number(match[1])}.${Number(match[2])}.${Number(match[3] ?? 0)}`;
  if (compare(version, oldest.version) < 0) {
    throw new AftershockError('bad-flag', `k6 v${version} is older than the oldest release in the module table (${range}), so the export cannot say which modules it has; upgrade k6 or choose --k6-version ${oldest.version}`);
  }
  if (parts(version)[0] > parts(newest.version)[0]) {
    throw new AftershockError('bad-flag', `k6 v${version} is newer than any release this aftershock knows (${range}); its modules are unknown, so choose --k6-version ${newest.version} or a newer aftershock`);
  }
  const release = [...k6Releases].reverse().find((r) => compare(r.version, version) <= 0)!;
  const note = compare(version, newest.version) > 0 ? `k6 v${version} is newer than the newest release in the module table (v${newest.version}); its modules are assumed to be those of v${newest.version}` : undefined;
  return { version, release, ...(note ? { note } : {}) };
}

/** The module set the export uses for a release: the stable modules where they exist, else the experimental ones that still load. */
export function defaultModuleSetFor(release: K6Release): K6ModuleSet {
  const loads = (path: K6ModulePath): boolean => release.modules[path] === 'present';
  return {
    websockets: loads('k6/websockets') ? 'k6/websockets' : 'k6/experimental/websockets',
    timers: loads('k6/timers') ? 'k6/timers' : 'k6/experimental/timers',
  };
}

/** Why a release cannot run a script importing `set`: one line per module it lacks or has removed; warnings for deprecated ones. */
export function checkModuleSet(target: K6Target, set: K6ModuleSet): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const path of [set.websockets, set.timers]) {
    const status = target.release.modules[path];
    const since = k6Releases.find((r) => r.modules[path] === status)?.version;
    if (status === undefined) problems.push(`k6 v${target.version} has no module ${path}`);
    else if (status === 'removed') problems.push(`k6 v${target.version} has removed ${path} (since v${since}; importing it is an error)`);
    else if (status === 'deprecated') warnings.push(`k6 v${target.version} warns that ${path} is deprecated (since v${since}) and will be removed`);
  }
  return { problems, warnings };
}

/** The module set `--k6-modules` names: a named set or "WEBSOCKETS,TIMERS" module paths. */
export function parseModuleSet(text: string): K6ModuleSet {
  if (Object.hasOwn(k6NamedModuleSets, text)) return k6NamedModuleSets[text];
  const [websockets, timers, ...rest] = text.split(',').map((s) => s.trim());
  const ws = ['k6/websockets', 'k6/experimental/websockets'];
  const tm = ['k6/timers', 'k6/experimental/timers'];
  if (rest.length > 0 || !ws.includes(websockets) || !tm.includes(timers)) {
    throw new AftershockError(
      'bad-flag',
      `--k6-modules must be one of ${Object.keys(k6NamedModuleSets).join(', ')} or "WEBSOCKETS,TIMERS" with WEBSOCKETS one of ${ws.join(', ')} and TIMERS one of ${tm.join(', ')}, got "${text}"`,
    );
  }
  return { websockets: websockets as K6ModuleSet['websockets'], timers: timers as K6ModuleSet['timers'] };
}

/** The module set each stretch of releases gets by default, for the help: "0.48-0.49  k6/experimental/websockets, k6/experimental/timers". */
export function moduleSetRanges(): string[] {
  const sets = k6Releases.map((r) => defaultModuleSetFor(r));
  const short = (version: string): string => version.replace(/\.0$/, '');
  const lines: string[] = [];
  let from = 0;
  for (let i = 1; i <= k6Releases.length; i++) {
    const same = i < k6Releases.length && sets[i].websockets === sets[from].websockets && sets[i].timers === sets[from].timers;
    if (same) continue;
    const next = k6Releases[i]?.version;
    // Up to the minor before the next stretch, or open-ended for the last one.
    const upTo = next === undefined ? '+' : `-${parts(next)[1] === 0 ? `${parts(next)[0] - 1}.x` : `${parts(next)[0]}.${parts(next)[1] - 1}`}`;
    lines.push(`${(short(k6Releases[from].version) + upTo).padEnd(11)}${sets[from].websockets}, ${sets[from].timers}`);
    from = i;
  }
  return lines;
}
