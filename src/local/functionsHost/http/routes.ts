/**
 * Route templates of HTTP triggers, matched the way the Functions host's ASP.NET Core routing does:
 * `{name}` one segment, `{name?}` optional (only at the end), `{*name}` / `{**name}` catch-all,
 * `{name:constraint}` (only `int`, `bool`, `alpha`, `guid` checked), case-insensitive literals,
 * and precedence: literal segments before parameters before catch-alls, so `results/{id}` and a
 * catch-all `{*path}` can coexist. A function without a route is served at its name.
 * With host.json `routePrefix: ""`, a `{*path}` route also owns `/`, which is how a function can
 * serve the site root in Azure too (the prefix "api" cannot be applied to some routes only).
 */

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean; constraint?: string }
  | { kind: 'catchAll'; name: string };

export interface CompiledRoute {
  template: string;
  segments: Segment[];
  /** Higher sorts first: literal segments weigh most (ASP.NET's route precedence, simplified). */
  precedence: number;
}

const constraints: Record<string, RegExp> = {
  int: /^-?\d+$/,
  bool: /^(true|false)$/i,
  alpha: /^[a-z]+$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
};

function parseSegment(text: string): Segment {
  const m = /^\{(\*{1,2})?([A-Za-z_][\w]*)(\?)?(?::([a-z]+)[^}]*)?(\?)?\}$/.exec(text);
  if (!m) return { kind: 'literal', text: text.toLowerCase() };
  const [, star, name, opt1, constraint, opt2] = m;
  if (star) return { kind: 'catchAll', name };
  return { kind: 'param', name, optional: Boolean(opt1 || opt2), constraint };
}

/** Compiles `prefix/route` (both without surrounding slashes). */
export function compileRoute(prefix: string, route: string): CompiledRoute {
  const template = [prefix, route.replace(/^\/+|\/+$/g, '')].filter(Boolean).join('/');
  const segments = template.split('/').filter(Boolean).map(parseSegment);
  const precedence = segments.reduce((sum, s, i) => {
    const weight = s.kind === 'literal' ? 3 : s.kind === 'param' ? (s.optional ? 1 : 2) : 0;
    return sum + weight * 10 ** (6 - Math.min(i, 6));
  }, 0);
  return { template, segments, precedence };
}

/** Route values when `pathname` matches, else undefined. Values are URL-decoded. */
export function matchRoute(route: CompiledRoute, pathname: string): Record<string, string> | undefined {
  const parts = pathname.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const seg = route.segments[i];
    const part = parts[i];
    if (seg.kind === 'catchAll') {
      const rest = parts.slice(i).map(safeDecode).join('/');
      if (rest) params[seg.name] = rest;
      return params;
    }
    if (part === undefined) {
      return seg.kind === 'param' && seg.optional && i === route.segments.length - 1 ? params : undefined;
    }
    const value = safeDecode(part);
    if (seg.kind === 'literal') {
      if (value.toLowerCase() !== seg.text) return undefined;
    } else {
      const check = seg.constraint ? constraints[seg.constraint] : undefined;
      if (check && !check.test(value)) return undefined;
      params[seg.name] = value;
    }
  }
  return parts.length === route.segments.length ? params : undefined;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
