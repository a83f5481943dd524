/**
 * Makes a failed Map stop starting iterations, as Step Functions does.
 *
 * aws-local-stepfunctions 3.0.0 (`MapStateAction.execute`) queues every item in p-limit and
 * awaits `Promise.all`. When an iteration fails it aborts the iterations started so far, but the
 * queued ones still start afterwards and run their Tasks: with MaxConcurrency 1, waves 2 and 3 of
 * a restore ran after wave 1 had failed, after the execution had FAILED, or while a Catch on the
 * Map had moved on. On AWS no iteration starts once its Map has failed.
 *
 * The one handle the library gives is `StateMachine.prototype.run`: `processItem` calls `run` on
 * an iterator `StateMachine` that the Map creates for each attempt (a Retry of the Map makes a new
 * one). So `run` is wrapped once per process, idempotently (a `Symbol.for` marker on the
 * prototype, since test runners may load this module more than once over one copy of the library),
 * and the wrapper acts only on machines whose definition was registered here by
 * `gateMapIterations`: the `ItemProcessor`/`Iterator` objects `runLocalStateMachine` prepares.
 * The root machine, Parallel branches and anyone else's machines run the library's `run` as is.
 *
 * Each iterator machine (one Map attempt) has a gate, closed when the Map aborts one of its
 * iterations: the Map does that only on its way out after a failure (an iteration failed, was
 * aborted with the execution around it, or an item's ItemSelector failed before its iteration
 * existed), and every iteration it has asked for by then is among those it aborts. An iteration starts only after the promise jobs running when
 * the Map asked for it have drained (`process.nextTick` from a promise job runs once the microtask
 * queue is empty, and vitest's fake timers leave it alone): p-limit asks for the next item a few
 * promise jobs before the Map's failure path runs, so starting at once would let one through. An
 * iteration is refused when its gate is closed: it runs no state and emits no event, and its
 * result rejects with `ExecutionAbortedError`, which nothing reads because the Map has failed.
 */
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';

type RunArgs = Parameters<StateMachine['run']>;
type Execution = ReturnType<StateMachine['run']>;

/** Shared by every copy of this module: the definitions that are Map iterators. */
interface IterationHook {
  readonly iterators: WeakSet<object>;
}

interface Gate {
  closed: boolean;
}

const HOOK = Symbol.for('lifeboat.local-step-functions.map-iteration-gate');

const hook = installHook();

/**
 * Marks `definition` (a Map's `ItemProcessor` or `Iterator`, the very object the Map state will
 * hand to `new StateMachine`) as a Map iterator, whose iterations stop once their Map has failed.
 */
export function gateMapIterations(definition: object): void {
  hook.iterators.add(definition);
}

function installHook(): IterationHook {
  const proto = StateMachine.prototype as StateMachine & { [HOOK]?: IterationHook };
  const installed = proto[HOOK];
  if (installed) return installed;

  const libraryRun = proto.run;
  const iterators = new WeakSet<object>();
  const gates = new WeakMap<StateMachine, Gate>();
  function run(this: StateMachine, ...args: RunArgs): Execution {
    // `definition` is private in the library's types; it is the object the Map passed in.
    const definition: unknown = Reflect.get(this, 'definition');
    if (typeof definition !== 'object' || definition === null || !iterators.has(definition)) {
      return libraryRun.apply(this, args);
    }
    let gate = gates.get(this);
    if (!gate) {
      gate = { closed: false };
      gates.set(this, gate);
    }
    return startWhenOpen(() => libraryRun.apply(this, args), gate);
  }
  Object.defineProperty(proto, 'run', { value: run, writable: true, configurable: true, enumerable: false });
  const created: IterationHook = { iterators };
  Object.defineProperty(proto, HOOK, { value: created });
  return created;
}

/** An execution handle for one iteration that starts it only while its Map has not failed. */
function startWhenOpen(start: () => Execution, gate: Gate): Execution {
  let execution: Execution | undefined;
  const started = new Promise<Execution | undefined>((resolve) => {
    process.nextTick(() => {
      if (gate.closed) {
        resolve(undefined);
        return;
      }
      execution = start();
      resolve(execution);
    });
  });
  const result = started.then((e) => {
    if (!e) throw new ExecutionAbortedError();
    return e.result;
  });
  async function* eventLogs() {
    const e = await started;
    if (e) yield* e.eventLogs;
  }
  return {
    abort: () => {
      gate.closed = true;
      execution?.abort();
    },
    eventLogs: eventLogs(),
    result,
  };
}
