import type { Injector, InjectorContext } from './injector.ts';

/**
 * Kill, freeze or stop through the user's hook commands, for a target whose
 * process the harness does not own (an external backend). Undo runs the
 * undo hook (restart, thaw) and, for a restart, waits until the backend is
 * ready again. A hook that fails or times out rejects with its command.
 */
export function hookInjector(kind: 'kill' | 'freeze' | 'stop', context: InjectorContext): Injector {
  const hook = context.target.hooks?.[kind];
  if (!hook) throw new Error(`chaos "${kind}": the target has no ${kind} hook`);
  let injected = false;
  return {
    kind,
    describe: () => `${kind} the backend through its ${kind} hook command`,
    async inject() {
      injected = true;
      await hook.inject();
      context.note(`${kind} hook done`);
    },
    async undo() {
      if (!injected) return;
      injected = false;
      await hook.undo();
      context.note(`${kind} undo hook done; backend ready`);
    },
  };
}
