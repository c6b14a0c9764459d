/**
 * The one component contract and the one registry type. Every registered thing (dataset source,
 * preprocessor, model, loss, optimizer, metric, LR schedule, callback, tracker) is
 *
 *   { type, description, options: <schema props>, create(resolved, ctx) }
 *
 * and a config entry is `{ "type": "<registered type>", ...options }`. The options are declared
 * once with the schema toolkit, so one declaration gives validation (every issue of a file
 * collected, with its JSON path, what was expected, what was given and the nearest valid name),
 * the defaults (filled once: `create` receives resolved values and never re-validates), the
 * TypeScript type and the documentation `gymnosd schema` prints.
 */
import { ConfigError } from './errors.js';
import { tagged, type Issue, type JsonSchema, type ObjectOf, type Props, type Schema } from './schema.js';

/** A component entry as written in (and resolved from) a config file. */
export type ComponentSpec = { type: string } & Record<string, unknown>;

/** One registered component; `O` is its resolved options, `C` what `create` is given, `R` what it makes. */
// `any` defaults: a registry holds components with different option types
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Component<O = any, R = unknown, C = any> {
  /** The name a config entry selects it by (`"type"`). */
  readonly type: string;
  /** One line for `gymnosd schema` and the list commands. */
  readonly description: string;
  /** Its options (without `type`), each with a description, a type and any default. */
  readonly options: Props;
  /** Checks between options (after each passed its own schema): an error message, or nothing. */
  check?(resolved: O, path: string): string | undefined;
  /** Makes the thing from resolved options (defaults filled, already validated). */
  create(resolved: O, ctx: C): R;
}

/** Defines a component whose `create` is typed by its own options schema. */
export function component<P extends Props, R, C = unknown>(d: {
  type: string;
  description: string;
  options: P;
  check?(resolved: ObjectOf<P>, path: string): string | undefined;
  create(resolved: ObjectOf<P>, ctx: C): R;
}): Component<ObjectOf<P>, R, C> {
  return d;
}

/** The spec's options without its `type` key. */
export function optionsOf(spec: ComponentSpec): Record<string, unknown> {
  const { type: _t, ...o } = spec;
  return o;
}

/** Components of one kind by type; the one lookup, schema and create path for every kind. */
export class Registry<D extends Component = Component> {
  private readonly byType: ReadonlyMap<string, D>;

  /** `kind` names the kind in messages ("loss", "metric", ...). */
  constructor(
    readonly kind: string,
    readonly list: readonly D[],
  ) {
    this.byType = new Map(list.map((d) => [d.type, d]));
    if (this.byType.size !== list.length) throw new Error(`${kind} registry: two components share a type`);
  }

  /** Registered types, in registration order. */
  types(): string[] {
    return this.list.map((d) => d.type);
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  /** The component named `type`, if registered. */
  get(type: string): D | undefined {
    return this.byType.get(type);
  }

  /** The component a (resolved) spec names; an unregistered type is a ConfigError listing the valid ones. */
  require(type: string, where = this.kind): D {
    const d = this.byType.get(type);
    if (!d) {
      const issues: Issue[] = [];
      this.schema().parse({ type }, where, issues);
      throw new ConfigError(
        where,
        issues.filter((i) => i.path.endsWith('.type')),
      );
    }
    return d;
  }

  /** The schema of one entry `{ "type": ..., ...options }`: a tagged union over the registered types. */
  schema(o: { doc?: string; default?: ComponentSpec } = {}): Schema<ComponentSpec> {
    const variants = Object.fromEntries(this.list.map((d) => [d.type, d.options]));
    const docs = Object.fromEntries(this.list.map((d) => [d.type, d.description]));
    // a default entry is resolved once here, so it carries its options' defaults like a written one
    const dflt = o.default && this.resolve(o.default, this.kind);
    const union = tagged(variants, { doc: o.doc, default: dflt as never, docs }) as unknown as Schema<ComponentSpec>;
    if (!this.list.some((d) => d.check)) return union;
    return {
      ...union,
      parse: (v, path, issues) => {
        const r = union.parse(v, path, issues);
        const msg = r && this.byType.get(r.type)?.check?.(r, path);
        if (msg) issues.push({ path, message: msg });
        return msg ? undefined : r;
      },
    };
  }

  /** Validates one raw entry at config path `where`; throws a ConfigError listing every issue. */
  resolve(raw: unknown, where = this.kind): ComponentSpec {
    const issues: Issue[] = [];
    const r = this.schema().parse(raw, where, issues);
    if (!r || issues.length) throw new ConfigError(where, issues);
    return r;
  }

  /** Creates the component a resolved spec names (no validation: `spec` comes from `resolve` or a parsed config). */
  create(spec: ComponentSpec, ctx: Parameters<D['create']>[1], where = this.kind): ReturnType<D['create']> {
    return this.require(spec.type, where).create(optionsOf(spec), ctx) as ReturnType<D['create']>;
  }

  /** The JSON Schema of one entry (what `gymnosd schema` prints for it). */
  json(): JsonSchema {
    return this.schema().json();
  }
}
