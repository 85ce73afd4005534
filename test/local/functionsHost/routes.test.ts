import { compileRoute, matchRoute } from '../../../src/local/functionsHost/http/routes';

describe('route templates', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    expect(matchRoute(compileRoute('api', 'results/{id}'), '/API/Results/a%20b')).toEqual({ id: 'a b' });
  });

  it('treats a trailing {name?} as optional', () => {
    const route = compileRoute('api', 'items/{id}/{part?}');
    expect(matchRoute(route, '/api/items/1')).toEqual({ id: '1' });
    expect(matchRoute(route, '/api/items/1/x')).toEqual({ id: '1', part: 'x' });
    expect(matchRoute(route, '/api/items')).toBeUndefined();
  });

  it('lets {*path} take the rest, and the empty path when the prefix is empty', () => {
    expect(matchRoute(compileRoute('', '{*path}'), '/')).toEqual({});
    expect(matchRoute(compileRoute('', '{*path}'), '/a/b')).toEqual({ path: 'a/b' });
  });

  it('checks int constraints', () => {
    const route = compileRoute('api', 'jobs/{n:int}');
    expect(matchRoute(route, '/api/jobs/12')).toEqual({ n: '12' });
    expect(matchRoute(route, '/api/jobs/x')).toBeUndefined();
  });

  it('ranks literal routes above parameters above catch-alls', () => {
    const [literal, param, catchAll] = ['jobs/new', 'jobs/{id}', '{*path}'].map((r) =>
      compileRoute('api', r),
    );
    expect(literal.precedence).toBeGreaterThan(param.precedence);
    expect(param.precedence).toBeGreaterThan(catchAll.precedence);
  });
});
