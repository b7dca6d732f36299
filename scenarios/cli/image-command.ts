import { AftershockError, exitCodes } from '../errors.ts';
import { buildReferenceImage, referenceImageName } from '../targets/container/reference-image.ts';
import { parseFlags } from './parse-flags.ts';

export const imageUsage = `usage: aftershock image build [--tag TAG] [--force] [--quiet]

Builds the reference backend's image for container targets, with no
registry: FROM scratch, with the running Node runtime, its shared libraries
and the backend copied into one layer. A container target with no image
uses it (and builds it when it is missing or out of date).

  --tag TAG   image name (default: ${referenceImageName})
  --force     build even when an image with the same contents has the tag,
              without the engine's layer cache
  --quiet     print only the result

Needs a container engine (Docker: \`docker info\` must work).
Exit codes: 0 built or up to date, 2 bad input or no engine.`;

export async function imageCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('image', {
    args: argv,
    allowPositionals: true,
    options: {
      tag: { type: 'string' },
      force: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(imageUsage);
    return exitCodes.passed;
  }
  if (positionals.length !== 1 || positionals[0] !== 'build') {
    throw new AftershockError('bad-usage', `image takes one subcommand, build; got ${positionals.length ? `"${positionals.join(' ')}"` : 'none'}; see \`aftershock image --help\``);
  }
  const result = await buildReferenceImage({ tag: values.tag, force: values.force, onLine: values.quiet ? undefined : (line) => console.error(`  ${line}`) });
  const size = `${(result.sizeBytes / 1e6).toFixed(1)} MB`;
  const seconds = `${(result.durationMs / 1000).toFixed(1)} s`;
  console.log(
    result.built
      ? `aftershock: built ${result.tag} (${result.imageId.slice(7, 19)}, ${size}) in ${seconds}${result.replaced ? `; removed the image it replaced (${result.replaced.slice(7, 19)})` : ''}`
      : `aftershock: ${result.tag} is up to date (${result.imageId.slice(7, 19)}, ${size}); --force builds it anyway`,
  );
  return exitCodes.passed;
}
