// Parses statechart.yaml and validates it, mapping every problem to a line and column.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { digestJson } from '../src/core/digest.ts';
import { Diagnostics } from './diagnostics.ts';
import type { Diagnostic } from './diagnostics.ts';
import { createSchemaCompiler, inlineSchema, isRecord, locateInSchema, schemaHasPath } from './json-schema.ts';
import type { SchemaCompiler, SchemaContext } from './json-schema.ts';
import { ANY_SOURCE, HISTORY_TARGET, SELF_TARGET, SUBJECT_ROLE, WINDOW_GUARD, allStates } from './model.ts';
import type { JsonSchema, NamedItem, StateNode, Statechart, Transition } from './model.ts';
import { reachableStates } from './reachability.ts';

export type LoadResult =
  | { readonly ok: true; readonly statechart: Statechart }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

const TOP_KEYS = ['machine', 'initial', 'roles', 'guards', 'regions', 'window_classes', 'states', 'definitions', 'transitions'];
const MACHINE_KEYS = ['id', 'version'];
const STATE_KEYS = ['type', 'initial', 'states', 'regions', 'sticky', 'description'];
const REGION_KEYS = ['initial', 'states', 'description'];
const TRANSITION_KEYS = [
  'name',
  'event',
  'description',
  'from',
  'to',
  'guards',
  'window_class',
  'advances',
  'roles',
  'compensation',
  'redact',
  'inputs',
];

const TRANSITION_NAME = /^[A-Z][A-Za-z]*_[A-Z][A-Za-z]*$/;
const LOWER_NAME = /^[a-z][a-z0-9_]*$/;
const STATE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const MACHINE_ID = /^[a-z][a-z0-9_-]*$/;
const REDACT_PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | null;
}

interface Located<T> {
  readonly value: T;
  readonly node: Node;
}

/** Loads and validates statechart YAML text; `compile` is shared across calls because Ajv setup is slow. */
export function loadStatechart(source: string, compile: SchemaCompiler = createSchemaCompiler()): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const diagnostics = new Diagnostics(lineCounter);
  for (const err of doc.errors) {
    const what = err.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'YAML syntax error';
    diagnostics.atOffset(err.pos[0], `${what}: ${err.message}`);
  }
  if (diagnostics.count > 0) return { ok: false, diagnostics: diagnostics.list() };
  // The checks below walk the node tree; aliases would make a node appear in two places.
  visit(doc, {
    Alias(_key, node) {
      diagnostics.at(node, 'YAML anchors and aliases are not supported');
    },
  });
  if (diagnostics.count > 0) return { ok: false, diagnostics: diagnostics.list() };

  const statechart = new Loader(doc, diagnostics, compile).load();
  if (statechart === null || diagnostics.count > 0) return { ok: false, diagnostics: diagnostics.list() };
  return { ok: true, statechart };
}

class Loader {
  readonly #doc: Document;
  readonly #diag: Diagnostics;
  readonly #compile: SchemaCompiler;
  /** Each state's key node, so later checks (reachability) can point at the state. */
  readonly #stateKeys = new Map<string, Node>();

  constructor(doc: Document, diagnostics: Diagnostics, compile: SchemaCompiler) {
    this.#doc = doc;
    this.#diag = diagnostics;
    this.#compile = compile;
  }

  load(): Statechart | null {
    const root = this.#doc.contents;
    if (!isMap(root)) {
      this.#diag.at(root, 'the statechart must be a mapping');
      return null;
    }
    const top = this.#entries(root, TOP_KEYS, 'top level');
    const required = (key: string): Entry | null => {
      const entry = top.get(key) ?? null;
      if (entry === null) this.#diag.at(root, `missing top-level key '${key}'`);
      return entry;
    };

    const machine = this.#machine(required('machine'));
    const roles = this.#namedItems(required('roles'), 'roles', true);
    const guards = this.#namedItems(required('guards'), 'guards', false);
    const regions = this.#namedItems(required('regions'), 'regions', true);
    const windowClasses = this.#windowClasses(required('window_classes'));
    const states = this.#topStates(required('states'));
    const initial = this.#initial(required('initial'), states);
    const definitions = this.#definitions(top.get('definitions') ?? null);
    const transitions = this.#transitions(required('transitions'), {
      states: new Map(allStates(states).map((s) => [s.path, s])),
      guards: new Set(guards.map((g) => g.name)),
      roles: new Set(roles.map((r) => r.name)),
      regions: new Set(regions.map((r) => r.name)),
      windowClasses: new Set(windowClasses),
      definitions,
    });

    if (initial !== null && this.#diag.count === 0) this.#checkReachability(states, initial, transitions);
    if (machine === null || initial === null) return null;
    return {
      machineId: machine.id,
      machineVersion: machine.version,
      hash: digestJson(this.#doc.toJS()),
      initial,
      roles,
      guards,
      regions,
      windowClasses,
      states,
      transitions,
    };
  }

  // ------------------------------------------------------------------ generic node helpers

  /** The entries of a mapping, reporting unknown keys and non-string keys. */
  #entries(map: YAMLMap, allowed: readonly string[] | null, where: string): Map<string, Entry> {
    const out = new Map<string, Entry>();
    for (const pair of map.items) {
      const keyNode = pair.key as Node;
      if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
        this.#diag.at(keyNode, `keys in ${where} must be strings`);
        continue;
      }
      const key = keyNode.value;
      if (allowed !== null && !allowed.includes(key)) {
        this.#diag.at(keyNode, `unknown key '${key}' in ${where} (allowed: ${allowed.join(', ')})`);
        continue;
      }
      out.set(key, { key, keyNode, value: (pair.value as Node | null) ?? null });
    }
    return out;
  }

  #map(entry: Entry, what: string): YAMLMap | null {
    if (isMap(entry.value)) return entry.value;
    this.#diag.at(entry.value ?? entry.keyNode, `${what} must be a mapping`);
    return null;
  }

  #string(entry: Entry, what: string): string | null {
    if (isScalar(entry.value) && typeof entry.value.value === 'string' && entry.value.value !== '') return entry.value.value;
    this.#diag.at(entry.value ?? entry.keyNode, `${what} must be a non-empty string`);
    return null;
  }

  #boolean(entry: Entry, what: string): boolean {
    if (isScalar(entry.value) && typeof entry.value.value === 'boolean') return entry.value.value;
    this.#diag.at(entry.value ?? entry.keyNode, `${what} must be true or false`);
    return false;
  }

  /** A list of strings; duplicates are reported, since every list in the format is a set. */
  #stringList(entry: Entry, what: string): Located<string>[] {
    if (!isSeq(entry.value)) {
      this.#diag.at(entry.value ?? entry.keyNode, `${what} must be a list`);
      return [];
    }
    const out: Located<string>[] = [];
    for (const item of entry.value.items) {
      const node = item as Node;
      if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
        this.#diag.at(node, `${what} entries must be non-empty strings`);
        continue;
      }
      if (out.some((o) => o.value === node.value)) {
        this.#diag.at(node, `${what} lists '${node.value}' twice`);
        continue;
      }
      out.push({ value: node.value, node });
    }
    return out;
  }

  // ------------------------------------------------------------------ top-level sections

  #machine(entry: Entry | null): { id: string; version: number } | null {
    if (entry === null) return null;
    const map = this.#map(entry, 'machine');
    if (map === null) return null;
    const keys = this.#entries(map, MACHINE_KEYS, 'machine');
    const idEntry = keys.get('id');
    const versionEntry = keys.get('version');
    if (idEntry === undefined) this.#diag.at(map, "machine is missing 'id'");
    if (versionEntry === undefined) this.#diag.at(map, "machine is missing 'version'");
    if (idEntry === undefined || versionEntry === undefined) return null;
    const id = this.#string(idEntry, 'machine.id');
    if (id !== null && !MACHINE_ID.test(id)) this.#diag.at(idEntry.value, `machine.id '${id}' must match ${MACHINE_ID}`);
    const version = isScalar(versionEntry.value) ? versionEntry.value.value : null;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
      this.#diag.at(versionEntry.value ?? versionEntry.keyNode, 'machine.version must be an integer >= 1');
      return null;
    }
    return id === null ? null : { id, version };
  }

  #namedItems(entry: Entry | null, section: string, nonEmpty: boolean): NamedItem[] {
    if (entry === null) return [];
    const map = this.#map(entry, section);
    if (map === null) return [];
    const out: NamedItem[] = [];
    for (const item of this.#entries(map, null, section).values()) {
      if (!LOWER_NAME.test(item.key)) this.#diag.at(item.keyNode, `${section} name '${item.key}' must match ${LOWER_NAME}`);
      const description = this.#string(item, `the description of ${section}.${item.key}`);
      out.push({ name: item.key, description: description ?? '' });
    }
    if (nonEmpty && out.length === 0) this.#diag.at(entry.keyNode, `${section} must not be empty`);
    return out;
  }

  #windowClasses(entry: Entry | null): string[] {
    if (entry === null) return [];
    const list = this.#stringList(entry, 'window_classes');
    for (const item of list) {
      if (!LOWER_NAME.test(item.value)) this.#diag.at(item.node, `window class '${item.value}' must match ${LOWER_NAME}`);
    }
    return list.map((item) => item.value);
  }

  #initial(entry: Entry | null, states: readonly StateNode[]): string | null {
    if (entry === null) return null;
    const initial = this.#string(entry, 'initial');
    if (initial === null) return null;
    if (!states.some((s) => s.path === initial)) {
      this.#diag.at(entry.value, `initial '${initial}' is not a top-level state`);
      return null;
    }
    return initial;
  }

  #definitions(entry: Entry | null): Map<string, Node> {
    const out = new Map<string, Node>();
    if (entry === null) return out;
    const map = this.#map(entry, 'definitions');
    if (map === null) return out;
    for (const item of this.#entries(map, null, 'definitions').values()) out.set(item.key, item.value ?? item.keyNode);
    return out;
  }

  // ------------------------------------------------------------------ states

  #topStates(entry: Entry | null): StateNode[] {
    if (entry === null) return [];
    const map = this.#map(entry, 'states');
    if (map === null) return [];
    const out = [...this.#entries(map, null, 'states').values()].map((e) => this.#state(e, null));
    if (out.length === 0) this.#diag.at(entry.keyNode, 'states must not be empty');
    return out;
  }

  #state(entry: Entry, parentPath: string | null): StateNode {
    const path = parentPath === null ? entry.key : `${parentPath}.${entry.key}`;
    if (!STATE_NAME.test(entry.key)) this.#diag.at(entry.keyNode, `state name '${entry.key}' must match ${STATE_NAME}`);
    const line = this.#diag.lineOf(entry.keyNode);
    this.#stateKeys.set(path, entry.keyNode);
    // `FOO:` with no value is an atomic state, like `FOO: {}`.
    if (entry.value !== null && !(isScalar(entry.value) && entry.value.value === null) && !isMap(entry.value)) {
      this.#diag.at(entry.value, `state ${path} must be a mapping`);
    }
    const keys = isMap(entry.value) ? this.#entries(entry.value, STATE_KEYS, `state ${path}`) : new Map<string, Entry>();
    const typeEntry = keys.get('type');
    const type = typeEntry === undefined ? null : this.#string(typeEntry, `the type of ${path}`);
    if (type !== null && type !== 'parallel' && type !== 'final') {
      this.#diag.at(typeEntry?.value, `state ${path} has unknown type '${type}' (allowed: parallel, final)`);
    }
    const sticky = keys.has('sticky') ? this.#boolean(keys.get('sticky') as Entry, `sticky of ${path}`) : false;
    const descriptionEntry = keys.get('description');
    const description = descriptionEntry === undefined ? null : this.#string(descriptionEntry, `the description of ${path}`);
    const statesEntry = keys.get('states');
    const regionsEntry = keys.get('regions');
    const initialEntry = keys.get('initial');

    const base = { name: entry.key, path, parentPath, sticky, description, line };
    if (type === 'parallel') {
      if (statesEntry !== undefined) this.#diag.at(statesEntry.keyNode, `parallel state ${path} has regions, not states`);
      if (initialEntry !== undefined) this.#diag.at(initialEntry.keyNode, `parallel state ${path} cannot have an initial; its regions do`);
      if (regionsEntry === undefined) {
        this.#diag.at(entry.keyNode, `parallel state ${path} has no regions`);
        return { ...base, kind: 'parallel', initial: null, children: [] };
      }
      const regionsMap = this.#map(regionsEntry, `the regions of ${path}`);
      const children = regionsMap === null ? [] : [...this.#entries(regionsMap, null, `the regions of ${path}`).values()].map((r) => this.#region(r, path));
      if (regionsMap !== null && children.length === 0) this.#diag.at(regionsEntry.keyNode, `parallel state ${path} has no regions`);
      return { ...base, kind: 'parallel', initial: null, children };
    }
    if (regionsEntry !== undefined) this.#diag.at(regionsEntry.keyNode, `state ${path} has regions but is not 'type: parallel'`);
    if (type === 'final') {
      for (const e of [statesEntry, initialEntry]) {
        if (e !== undefined) this.#diag.at(e.keyNode, `final state ${path} cannot have '${e.key}'`);
      }
      return { ...base, kind: 'final', initial: null, children: [] };
    }
    if (statesEntry === undefined) {
      if (initialEntry !== undefined) this.#diag.at(initialEntry.keyNode, `state ${path} has an initial but no states`);
      return { ...base, kind: 'atomic', initial: null, children: [] };
    }
    const children = this.#children(statesEntry, path);
    return { ...base, kind: 'compound', initial: this.#initialChild(initialEntry, path, children, false), children };
  }

  #region(entry: Entry, parentPath: string): StateNode {
    const path = `${parentPath}.${entry.key}`;
    if (!STATE_NAME.test(entry.key)) this.#diag.at(entry.keyNode, `region name '${entry.key}' must match ${STATE_NAME}`);
    const line = this.#diag.lineOf(entry.keyNode);
    this.#stateKeys.set(path, entry.keyNode);
    const map = this.#map(entry, `region ${path}`);
    const keys = map === null ? new Map<string, Entry>() : this.#entries(map, REGION_KEYS, `region ${path}`);
    const descriptionEntry = keys.get('description');
    const description = descriptionEntry === undefined ? null : this.#string(descriptionEntry, `the description of ${path}`);
    const statesEntry = keys.get('states');
    if (statesEntry === undefined) this.#diag.at(entry.keyNode, `region ${path} of parallel state ${parentPath} has no states`);
    const children = statesEntry === undefined ? [] : this.#children(statesEntry, path);
    const initialEntry = keys.get('initial');
    if (initialEntry === undefined) this.#diag.at(entry.keyNode, `region ${path} of parallel state ${parentPath} has no initial`);
    const initial = this.#initialChild(initialEntry, path, children, true);
    return { name: entry.key, path, parentPath, kind: 'region', initial, sticky: false, description, children, line };
  }

  #children(entry: Entry, path: string): StateNode[] {
    const map = this.#map(entry, `the states of ${path}`);
    if (map === null) return [];
    const children = [...this.#entries(map, null, `the states of ${path}`).values()].map((c) => this.#state(c, path));
    if (children.length === 0) this.#diag.at(entry.keyNode, `the states of ${path} must not be empty`);
    return children;
  }

  #initialChild(entry: Entry | undefined, path: string, children: readonly StateNode[], isRegion: boolean): string | null {
    if (entry === undefined) return null;
    const name = this.#string(entry, `the initial of ${path}`);
    if (name === null) return null;
    const child = children.find((c) => c.name === name);
    if (child === undefined) {
      const kind = isRegion ? 'region' : 'compound state';
      this.#diag.at(entry.value, `initial '${name}' of ${kind} ${path} is not one of its children (${children.map((c) => c.name).join(', ')})`);
      return null;
    }
    return child.path;
  }

  // ------------------------------------------------------------------ transitions

  #transitions(entry: Entry | null, known: KnownNames): Transition[] {
    if (entry === null) return [];
    if (!isSeq(entry.value)) {
      this.#diag.at(entry.value ?? entry.keyNode, 'transitions must be a list');
      return [];
    }
    const schemaContext: SchemaContext = { doc: this.#doc, diagnostics: this.#diag, definitions: known.definitions };
    // Definitions are checked on their own too, so an unused one still gets the number/$ref checks.
    for (const [name, node] of known.definitions) inlineSchema(node, schemaContext, [name]);

    const out: Transition[] = [];
    const firstLine = new Map<string, number>();
    for (const item of entry.value.items) {
      const node = item as Node;
      if (!isMap(node)) {
        this.#diag.at(node, 'each transition must be a mapping');
        continue;
      }
      const t = this.#transition(node, known, schemaContext);
      if (t === null) continue;
      const previous = firstLine.get(t.name);
      if (previous !== undefined) {
        this.#diag.at(node, `duplicate transition name '${t.name}' (first defined at line ${previous})`);
        continue;
      }
      firstLine.set(t.name, t.line);
      out.push(t);
    }
    return out;
  }

  #transition(map: YAMLMap, known: KnownNames, schemaContext: SchemaContext): Transition | null {
    const keys = this.#entries(map, TRANSITION_KEYS, 'a transition');
    const nameEntry = keys.get('name');
    const name = nameEntry === undefined ? null : this.#string(nameEntry, 'the transition name');
    if (name === null) {
      if (nameEntry === undefined) this.#diag.at(map, "transition is missing 'name'");
      return null;
    }
    if (!TRANSITION_NAME.test(name)) this.#diag.at(nameEntry?.value, `transition name '${name}' must match ${TRANSITION_NAME}`);
    const where = `transition ${name}`;
    const need = (key: string): Entry | null => {
      const e = keys.get(key) ?? null;
      if (e === null) this.#diag.at(map, `${where} is missing '${key}'`);
      return e;
    };

    const eventEntry = need('event');
    const event = eventEntry === null ? null : this.#string(eventEntry, `the event of ${where}`);
    if (event !== null && !LOWER_NAME.test(event)) this.#diag.at(eventEntry?.value, `event '${event}' must match ${LOWER_NAME}`);
    const descriptionEntry = keys.get('description');
    const description = descriptionEntry === undefined ? null : this.#string(descriptionEntry, `the description of ${where}`);

    const fromEntry = need('from');
    const from = fromEntry === null ? [] : this.#stringList(fromEntry, `from of ${where}`);
    if (fromEntry !== null && isSeq(fromEntry.value) && fromEntry.value.items.length === 0) this.#diag.at(fromEntry.value, `from of ${where} must not be empty`);
    for (const source of from) {
      if (source.value !== ANY_SOURCE && !known.states.has(source.value)) {
        this.#diag.at(source.node, `unknown state '${source.value}' in from of ${where}`);
      }
    }

    const toEntry = need('to');
    const to = toEntry === null ? null : this.#string(toEntry, `the target of ${where}`);
    if (toEntry !== null && to !== null) this.#checkTarget(to, toEntry, where, known);

    const guards = keys.has('guards') ? this.#stringList(keys.get('guards') as Entry, `guards of ${where}`) : [];
    for (const g of guards) {
      if (!known.guards.has(g.value)) this.#diag.at(g.node, `unknown guard '${g.value}' in ${where} (guards: ${[...known.guards].join(', ')})`);
    }
    const windowEntry = keys.get('window_class');
    const windowClass = windowEntry === undefined ? null : this.#string(windowEntry, `the window_class of ${where}`);
    if (windowClass !== null && !known.windowClasses.has(windowClass)) {
      this.#diag.at(windowEntry?.value, `unknown window_class '${windowClass}' in ${where} (window_classes: ${[...known.windowClasses].join(', ')})`);
    }
    // The window guard reads the transition's class, and a class is only enforced by that guard.
    const windowGuard = guards.find((g) => g.value === WINDOW_GUARD);
    if (windowEntry !== undefined && windowGuard === undefined) {
      this.#diag.at(windowEntry.keyNode, `${where} has a window_class but does not list the '${WINDOW_GUARD}' guard`);
    }
    if (windowGuard !== undefined && windowEntry === undefined) {
      this.#diag.at(windowGuard.node, `${where} lists the '${WINDOW_GUARD}' guard but has no window_class`);
    }

    const advancesEntry = need('advances');
    const advances = advancesEntry === null ? [] : this.#stringList(advancesEntry, `advances of ${where}`);
    if (advancesEntry !== null && isSeq(advancesEntry.value) && advancesEntry.value.items.length === 0) {
      this.#diag.at(advancesEntry.value, `advances of ${where} must not be empty: every transition advances at least one region epoch`);
    }
    for (const r of advances) {
      if (!known.regions.has(r.value)) this.#diag.at(r.node, `unknown region '${r.value}' in advances of ${where} (regions: ${[...known.regions].join(', ')})`);
    }

    const rolesEntry = need('roles');
    const roles = rolesEntry === null ? [] : this.#stringList(rolesEntry, `roles of ${where}`);
    if (rolesEntry !== null && isSeq(rolesEntry.value) && rolesEntry.value.items.length === 0) {
      this.#diag.at(rolesEntry.value, `roles of ${where} must not be empty: someone must be able to sign it`);
    }
    for (const r of roles) {
      if (r.value !== SUBJECT_ROLE && !known.roles.has(r.value)) this.#diag.at(r.node, `unknown role '${r.value}' in ${where}`);
    }

    const compensation = keys.has('compensation') ? this.#boolean(keys.get('compensation') as Entry, `compensation of ${where}`) : false;
    const redact = keys.has('redact') ? this.#stringList(keys.get('redact') as Entry, `redact of ${where}`) : [];

    const inputsEntry = keys.get('inputs');
    let inputsSchema: JsonSchema = {};
    if (inputsEntry === undefined) {
      this.#diag.at(map, `${where} has no inputs schema`);
    } else {
      inputsSchema = this.#inputs(inputsEntry, where, schemaContext);
    }
    for (const r of redact) {
      if (!REDACT_PATH.test(r.value) || !schemaHasPath(inputsSchema, r.value)) {
        this.#diag.at(r.node, `redact path '${r.value}' of ${where} does not name a property of its inputs`);
      }
    }

    if (event === null || to === null) return null;
    return {
      name,
      event,
      description,
      from: from.map((f) => f.value),
      to,
      guards: guards.map((g) => g.value),
      windowClass,
      advances: advances.map((a) => a.value),
      roles: roles.map((r) => r.value),
      compensation,
      redact: redact.map((r) => r.value),
      inputsSchema,
      line: this.#diag.lineOf(map),
    };
  }

  #checkTarget(to: string, entry: Entry, where: string, known: KnownNames): void {
    if (to === SELF_TARGET || to === HISTORY_TARGET) return;
    const target = known.states.get(to);
    if (target === undefined) {
      this.#diag.at(entry.value, `unknown target '${to}' in ${where} (a state path, ${SELF_TARGET} or ${HISTORY_TARGET})`);
    } else if (target.kind === 'region') {
      this.#diag.at(entry.value, `target '${to}' of ${where} is a region of a parallel state; target the parallel state or a state inside the region`);
    } else if (target.kind === 'compound' && target.initial === null) {
      this.#diag.at(entry.value, `target '${to}' of ${where} is a compound state with no initial; target one of its children`);
    }
  }

  #inputs(entry: Entry, where: string, schemaContext: SchemaContext): JsonSchema {
    const before = this.#diag.count;
    const schema = inlineSchema(entry.value ?? entry.keyNode, schemaContext);
    // Ajv messages about a half-inlined schema would only repeat the problem already reported.
    if (this.#diag.count > before || !isRecord(schema)) return isRecord(schema) ? schema : {};
    if (schema['type'] !== 'object') {
      this.#diag.at(entry.value ?? entry.keyNode, `inputs of ${where} must be an object schema (type: object)`);
    }
    const error = this.#compile(schema);
    if (error !== null) {
      const node = entry.value === null ? entry.keyNode : locateInSchema(entry.value, error);
      this.#diag.at(node, `inputs schema of ${where} does not compile with Ajv (strict): ${error}`);
    }
    return schema;
  }

  #checkReachability(states: readonly StateNode[], initial: string, transitions: readonly Transition[]): void {
    const reached = reachableStates(states, initial, transitions);
    for (const state of allStates(states)) {
      if (!reached.has(state.path)) {
        this.#diag.at(this.#stateKeys.get(state.path), `state ${state.path} is unreachable from the initial state ${initial}`);
      }
    }
  }
}

interface KnownNames {
  readonly states: ReadonlyMap<string, StateNode>;
  readonly guards: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  readonly regions: ReadonlySet<string>;
  readonly windowClasses: ReadonlySet<string>;
  readonly definitions: ReadonlyMap<string, Node>;
}
