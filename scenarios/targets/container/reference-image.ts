import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AftershockError } from '../../errors.ts';
import { aftershockLabels, dockerClient, engineStatus, managedLabel, type DockerApi } from './docker-engine.ts';
import { tarArchive, type TarEntry } from './tar-archive.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** The reference backend's image; a scenario's container target uses it when it names no image. */
export const referenceImageName = `aftershock/reference-backend:${version}`;

/** Where things live inside the image. */
export const referenceImagePaths = {
  node: '/usr/local/bin/node',
  app: '/app',
  main: '/app/simulators/backend/main.ts',
  data: '/data',
  /** Present when the backend starts: it starts held closed (`--hold-closed-if`) and removes it. */
  holdClosed: '/data/hold-closed',
} as const;

/** Label with a hash of everything copied into the image: an image with the same hash needs no rebuild. */
const sourceHashLabel = 'aftershock.source-hash';

/** One file of the image: where it comes from on this machine, where it goes in the image. */
export interface ImageFile {
  source: string;
  /** Absolute path inside the image. */
  path: string;
}

/** What goes into the reference image: nothing but these files (the image is built FROM scratch). */
export interface ReferenceImageRecipe {
  /** The running Node runtime, its shared libraries (at the paths the dynamic loader looks for) and the app. */
  files: ImageFile[];
  /** Empty directories to create (/tmp, the database's folder). */
  directories: string[];
  /** Directories of the shared libraries, for LD_LIBRARY_PATH (the image has no ld.so.cache). */
  libraryPath: string[];
  /** npm packages the backend imports, with their dependencies. */
  packages: string[];
  dockerfile: string;
}

/**
 * The shared libraries a dynamically linked executable needs, as `ldd`
 * reports them: `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` and
 * the loader itself (`/lib64/ld-linux-x86-64.so.2 (0x...)`). Empty for a
 * static executable. Pure: give it ldd's output.
 */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /=>\s+(\/\S+)\s+\(0x/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(0x/.exec(line);
    const path = arrow?.[1] ?? bare?.[1];
    if (path && !paths.includes(path)) paths.push(path);
  }
  return paths;
}

function sharedLibrariesOf(executable: string): string[] {
  let output: string;
  try {
    output = execFileSync('ldd', [executable], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const text = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    if (/not a dynamic executable|statically linked/.test(text)) return [];
    throw new AftershockError('image-build-failed', `could not list the shared libraries of ${executable} with ldd (${(error as Error).message.split('\n')[0]}); install ldd (Debian: libc-bin)`);
  }
  return parseLdd(output);
}

const importPatterns = [
  /\bfrom\s+['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /^\s*import\s+['"]([^'"]+)['"]/gm,
  // Files started by path, such as a worker: new URL('./worker-main.ts', import.meta.url).
  /new\s+URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
];

/** The package a bare specifier names: 'ws' -> ws, '@scope/pkg/sub' -> @scope/pkg. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Every source file reachable from `entries` through relative imports (and
 * `new URL('./x.ts', import.meta.url)`), and the npm packages they import.
 */
export function importGraph(entries: readonly string[]): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    if (!existsSync(file)) throw new AftershockError('image-build-failed', `the reference backend imports ${file}, which does not exist`);
    files.add(file);
    if (!/\.[cm]?[jt]s$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    for (const pattern of importPatterns) {
      for (const match of text.matchAll(pattern)) {
        const specifier = match[1];
        if (specifier.startsWith('node:')) continue;
        // A directory URL (the hook's own package root, '../../') is not a file to copy.
        if (specifier.endsWith('/')) continue;
        if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
        else packages.add(packageOf(specifier));
      }
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** An npm package copied into the image: its folder here and its folder in the image. */
export interface ImagePackage {
  name: string;
  source: string;
  /** Absolute folder inside the image, under /app/node_modules. */
  path: string;
}

/**
 * The folder of package `name` as Node finds it from a module in `fromDir`:
 * the first `node_modules/<name>` up the folder tree. So the packages are
 * found wherever npm put them: under this repository, or, in a project that
 * installed aftershock, beside it in the project's node_modules.
 */
function packageFolder(name: string, fromDir: string): string | undefined {
  const lookup = createRequire(join(fromDir, 'index.js')).resolve.paths(name) ?? [];
  for (const dir of lookup) {
    if (existsSync(join(dir, name, 'package.json'))) return realpathSync(join(dir, name));
  }
  return undefined;
}

/**
 * `names` (imported from `root`) and everything they depend on, found by
 * Node's module resolution from the requiring package's own folder, and
 * laid out in the image as npm hoists them: /app/node_modules/<name>, or
 * inside the requiring package's node_modules when another version took
 * that place. Breadth first, so the backend's own imports get the top level.
 */
export function withDependencies(root: string, names: readonly string[]): ImagePackage[] {
  const placed = new Map<string, ImagePackage>();
  const taken = new Set<string>();
  const queue = names.map((name) => ({ name, fromDir: root, requiredBy: undefined as ImagePackage | undefined }));
  while (queue.length > 0) {
    const { name, fromDir, requiredBy } = queue.shift()!;
    const source = packageFolder(name, fromDir);
    if (source === undefined) {
      const by = requiredBy ? `"${requiredBy.name}", which the reference backend needs, depends on` : 'the reference backend needs';
      throw new AftershockError('image-build-failed', `${by} the npm package "${name}", which Node cannot find from ${fromDir}; run npm install (or npm ci) where aftershock is installed`);
    }
    if (placed.has(source)) continue;
    const top = posix.join(referenceImagePaths.app, 'node_modules', name);
    const path = taken.has(top) && requiredBy ? posix.join(requiredBy.path, 'node_modules', name) : top;
    const entry: ImagePackage = { name, source, path };
    placed.set(source, entry);
    taken.add(path);
    const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(pkg.dependencies ?? {}).sort()) queue.push({ name: dependency, fromDir: source, requiredBy: entry });
  }
  return [...placed.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** Files of a package folder; its own node_modules are left out (each dependency is placed by itself). */
function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !relative(directory, entry.parentPath).split(sep).includes('node_modules'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * Works out the reference image from this machine: the running Node runtime
 * (`runtime`, default process.execPath) with its shared libraries, the
 * backend's sources and the packages it imports. Reads files, starts
 * nothing.
 */
export function referenceImageRecipe(runtime = process.execPath, root = repoRoot): ReferenceImageRecipe {
  if (process.platform !== 'linux') {
    throw new AftershockError('image-build-failed', `the reference image copies the running Node runtime into a Linux image; this is ${process.platform}: run \`aftershock image build\` on Linux (or in a Linux VM)`);
  }
  const node = realpathSync(runtime);
  const libraries = sharedLibrariesOf(node);
  const entries = ['simulators/backend/main.ts', 'simulators/backend/worker-main.ts'].map((p) => join(root, p)).filter((p) => existsSync(p));
  const graph = importGraph(entries);
  const packages = withDependencies(root, graph.packages);
  const files: ImageFile[] = [
    { source: node, path: referenceImagePaths.node },
    // Same paths as here: the loader's path is written into the executable.
    ...libraries.map((path) => ({ source: realpathSync(path), path })),
    ...graph.files.map((source) => ({ source, path: posix.join(referenceImagePaths.app, relative(root, source).split('\\').join('/')) })),
    ...packages.flatMap((pkg) => filesUnder(pkg.source).map((source) => ({ source, path: posix.join(pkg.path, relative(pkg.source, source).split(sep).join('/')) }))),
  ];
  const libraryPath = [...new Set(libraries.map((path) => posix.dirname(path)))];
  const dockerfile = [
    'FROM scratch',
    'COPY rootfs/ /',
    `ENV LD_LIBRARY_PATH=${libraryPath.join(':')}`,
    `WORKDIR ${referenceImagePaths.app}`,
    `LABEL ${managedLabel}="true" org.opencontainers.image.title="aftershock reference backend" org.opencontainers.image.version="${version}"`,
    `ENTRYPOINT ["${referenceImagePaths.node}", "${referenceImagePaths.main}"]`,
    '',
  ].join('\n');
  return { files, directories: ['/tmp', referenceImagePaths.data], libraryPath, packages: packages.map((pkg) => pkg.name), dockerfile };
}

/** Files bigger than this are fingerprinted by size and modification time, not read (the runtime is over 100 MB). */
const contentHashLimitBytes = 4 * 1024 * 1024;

/** A hash of the recipe: paths, contents (or size and time of big files) and the Dockerfile. */
export function recipeHash(recipe: ReferenceImageRecipe): string {
  const hash = createHash('sha256');
  hash.update(recipe.dockerfile);
  for (const file of [...recipe.files].sort((a, b) => a.path.localeCompare(b.path))) {
    hash.update(`\0${file.path}\0`);
    const stat = statSync(file.source);
    hash.update(stat.size > contentHashLimitBytes ? `${stat.size}:${stat.mtimeMs}` : readFileSync(file.source));
  }
  for (const directory of recipe.directories) hash.update(`\0dir ${directory}`);
  return hash.digest('hex').slice(0, 16);
}

/** The build context as tar entries: the Dockerfile and rootfs/ (every parent directory listed, /tmp sticky). */
export function contextEntries(recipe: ReferenceImageRecipe, hash: string): TarEntry[] {
  const directories = new Map<string, number>();
  const addParents = (path: string): void => {
    for (let dir = posix.dirname(path); dir !== '/' && !directories.has(dir); dir = posix.dirname(dir)) directories.set(dir, 0o755);
  };
  for (const file of recipe.files) addParents(file.path);
  for (const dir of recipe.directories) {
    addParents(`${dir}/x`);
    directories.set(dir, dir === '/tmp' ? 0o1777 : 0o755);
  }
  const dockerfile = recipe.dockerfile.replace('LABEL ', `LABEL ${sourceHashLabel}="${hash}" `);
  return [
    { type: 'file', name: 'Dockerfile', mode: 0o644, content: Buffer.from(dockerfile) },
    { type: 'directory', name: 'rootfs', mode: 0o755 },
    ...[...directories.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([dir, mode]): TarEntry => ({ type: 'directory', name: `rootfs${dir}`, mode })),
    ...recipe.files.map((file): TarEntry => ({ type: 'file', name: `rootfs${file.path}`, mode: statSync(file.source).mode, source: file.source })),
  ];
}

export interface ImageBuildResult {
  tag: string;
  imageId: string;
  sizeBytes: number;
  /** False when an image with the same contents already had the tag. */
  built: boolean;
  /** Wall time of the whole call. */
  durationMs: number;
  /** An older image that had the tag and was removed. */
  replaced?: string;
}

async function inspectImage(docker: DockerApi, tag: string): Promise<{ Id: string; Size: number; Config?: { Labels?: Record<string, string> | null } } | undefined> {
  try {
    return (await docker.getImage(tag).inspect()) as { Id: string; Size: number; Config?: { Labels?: Record<string, string> | null } };
  } catch (error) {
    if (engineStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Reads a build's JSON message stream; rejects with the engine's own error and the last lines of output. */
async function followBuild(stream: NodeJS.ReadableStream, onLine?: (line: string) => void): Promise<void> {
  const recent: string[] = [];
  let error: string | undefined;
  let buffer = '';
  const handle = (raw: string): void => {
    if (!raw.trim()) return;
    let message: { stream?: string; error?: string };
    try {
      message = JSON.parse(raw) as { stream?: string; error?: string };
    } catch {
      message = { stream: raw };
    }
    if (message.error) error = message.error;
    for (const line of (message.stream ?? '').split('\n').filter((l) => l.trim())) {
      recent.push(line);
      if (recent.length > 10) recent.shift();
      onLine?.(line);
    }
  };
  for await (const chunk of stream) {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    lines.forEach(handle);
  }
  handle(buffer);
  if (error) throw new AftershockError('image-build-failed', `the engine could not build the reference image: ${error.trim()}; last output: ${recent.join(' | ') || '(none)'}`);
}

/** Serialises builds of one tag across processes (test files run in parallel workers). */
async function withBuildLock<T>(tag: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const lock = join(tmpdir(), `aftershock-image-build-${createHash('sha256').update(tag).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than the budget belongs to a build that died.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > timeoutMs) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new AftershockError('image-build-failed', `another build of ${tag} held ${lock} for more than ${timeoutMs} ms; remove it if no build is running`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the reference backend's image FROM scratch, with no registry: the
 * running Node runtime, its shared libraries and the backend copied into one
 * layer. Skips the build when an image with the same contents already has
 * the tag (`force` builds anyway, without the engine's layer cache);
 * removes the image a rebuild replaces, unless a container still uses it.
 */
export async function buildReferenceImage(options: { tag?: string; force?: boolean; onLine?: (line: string) => void } = {}): Promise<ImageBuildResult> {
  const started = performance.now();
  const tag = options.tag ?? referenceImageName;
  const recipe = referenceImageRecipe();
  const hash = recipeHash(recipe);
  const docker = (await dockerClient()).container.dockerode;
  return withBuildLock(tag, async () => {
    const existing = await inspectImage(docker, tag);
    if (existing && !options.force && existing.Config?.Labels?.[sourceHashLabel] === hash) {
      return { tag, imageId: existing.Id, sizeBytes: existing.Size, built: false, durationMs: performance.now() - started };
    }
    const stream = await docker.buildImage(tarArchive(contextEntries(recipe, hash)), { t: tag, rm: true, forcerm: true, nocache: options.force === true, labels: aftershockLabels() });
    await followBuild(stream, options.onLine);
    const image = await inspectImage(docker, tag);
    if (!image) throw new AftershockError('image-build-failed', `the engine reported no error but has no image ${tag}; see the engine's log`);
    let replaced: string | undefined;
    if (existing && existing.Id !== image.Id) {
      // The old image is now untagged: remove it rather than leave a dangling layer (409: a container uses it).
      await docker
        .getImage(existing.Id)
        .remove()
        .then(() => (replaced = existing.Id))
        .catch((error: unknown) => {
          if (engineStatus(error) !== 409 && engineStatus(error) !== 404) throw error;
        });
    }
    return { tag, imageId: image.Id, sizeBytes: image.Size, built: true, durationMs: performance.now() - started, replaced };
  });
}
