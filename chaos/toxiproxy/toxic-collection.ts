import { ApiError } from './api-errors.ts';
import { ToxicLink, type LinkContext } from './toxic-link.ts';
import { ToxicWrapper, type Direction } from './toxic-wrapper.ts';
import type { ToxicTypeName } from './toxics/index.ts';

/**
 * A proxy's toxics: one chain per direction, and the live links they apply
 * to. A change is made to the chain at once (so a connection that starts
 * meanwhile gets the new chain) and then to every live link of that
 * direction. Callers make one change at a time.
 */
export class ToxicCollection {
  private readonly chains: Record<Direction, ToxicWrapper[]> = { upstream: [], downstream: [] };
  private readonly links = new Set<ToxicLink>();
  private readonly context: LinkContext;

  constructor(context: LinkContext) {
    this.context = context;
  }

  /** Every toxic, upstream ones first, each direction in the order added (as Toxiproxy lists them). */
  list(): ToxicWrapper[] {
    return [...this.chains.upstream, ...this.chains.downstream];
  }

  get(name: string): ToxicWrapper {
    const found = this.list().find((toxic) => toxic.name === name);
    if (!found) throw new ApiError('toxicNotFound');
    return found;
  }

  hasType(type: ToxicTypeName): boolean {
    return this.list().some((toxic) => toxic.type === type);
  }

  async add(body: unknown): Promise<ToxicWrapper> {
    const wrapper = ToxicWrapper.fromCreate(body, (name) => this.list().some((toxic) => toxic.name === name));
    this.chains[wrapper.stream].push(wrapper);
    await Promise.all(this.linksOf(wrapper.stream).map((link) => link.addToxic(wrapper)));
    return wrapper;
  }

  async update(name: string, body: unknown): Promise<ToxicWrapper> {
    const wrapper = this.get(name);
    wrapper.applyUpdate(body);
    await Promise.all(this.linksOf(wrapper.stream).map((link) => link.updateToxic(wrapper)));
    return wrapper;
  }

  async remove(name: string): Promise<void> {
    const wrapper = this.get(name);
    const chain = this.chains[wrapper.stream];
    chain.splice(chain.indexOf(wrapper), 1);
    await Promise.all(this.linksOf(wrapper.stream).map((link) => link.removeToxic(wrapper)));
  }

  async reset(): Promise<void> {
    for (const toxic of this.list()) await this.remove(toxic.name);
  }

  /** A link for a new connection, with the chain as it is now. */
  openLink(direction: Direction): ToxicLink {
    const link = new ToxicLink(direction, this.chains[direction], this.context);
    this.links.add(link);
    return link;
  }

  closeLink(link: ToxicLink): void {
    this.links.delete(link);
    link.dispose();
  }

  private linksOf(direction: Direction): ToxicLink[] {
    return [...this.links].filter((link) => link.direction === direction);
  }
}
