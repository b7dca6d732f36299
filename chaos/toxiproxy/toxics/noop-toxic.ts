import { interrupted, type ToxicStub } from '../toxic-stub.ts';
import type { Toxic } from './toxic.ts';

/**
 * Passes everything through. It heads every link, so that adding the first
 * toxic has a stage to interrupt, and it stands in for a toxic on the
 * connections its toxicity spared.
 */
export const noopToxic: Toxic = {
  async pipe(stub: ToxicStub) {
    for (;;) {
      const item = await stub.read();
      if (item === interrupted) return;
      if (item === null) return stub.close();
      await stub.write(item);
    }
  },
};
