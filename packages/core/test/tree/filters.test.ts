import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  applyFrameFilters,
  CallTreeBuilder,
  callTreeFromProfile,
  CinderError,
  collapsedFromTree,
  decodePprof,
  detectFrameLanguage,
  formatFrameFilter,
  parseFrameFilter,
  parseFrameFilters,
  treeTotal,
  type CallTree,
  type FrameFilter,
} from '@cinder/core';
import { testdataDir } from '../testdata.js';

/** `a;b;c 3` lines → tree (frames root first). */
function tree(collapsed: string): CallTree {
  const builder = new CallTreeBuilder();
  for (const line of collapsed.trim().split('\n')) {
    const space = line.lastIndexOf(' ');
    builder.addStack(line.slice(0, space).split(';'), Number(line.slice(space + 1)));
  }
  return builder.build();
}

const filtered = (collapsed: string, ...filters: string[]): CallTree => applyFrameFilters(tree(collapsed), parseFrameFilters(filters));

/** Checks CallTree's invariants: parents before children, totals = self + children, unique siblings. */
function expectWellFormed(result: CallTree): void {
  const sums = Float64Array.from(result.self);
  const seen = new Set<string>();
  for (let node = result.nodeCount - 1; node > 0; node--) {
    const parent = result.parent[node]!;
    expect(parent).toBeLessThan(node);
    sums[parent]! += sums[node]!;
    const key = `${parent}/${result.nameIndex[node]}`;
    expect(seen.has(key)).toBe(false);
    seen.add(key);
  }
  for (let node = 0; node < result.nodeCount; node++) expect(result.total[node]).toBeCloseTo(sums[node]!, 6);
  expect(new Set(result.names).size).toBe(result.names.length);
}

const SAMPLE = `
main;runtime.mallocgc;runtime.memclr 5
main;handler;runtime.mallocgc 3
main;handler;db.query 7
main;handler 2
runtime.gcBgMarkWorker;runtime.scanobject 4
`;

describe('hide', () => {
  it('removes the frame, merges its callees into its caller and keeps the root total', () => {
    const result = filtered(SAMPLE, 'hide:re:^runtime\\.');
    expectWellFormed(result);
    expect(treeTotal(result)).toBe(21);
    expect(collapsedFromTree(result)).toBe(['main 5', 'main;handler 5', 'main;handler;db.query 7'].join('\n'));
    // The gc stack had only runtime frames: its 4 stay on the root (counted, attributed to no frame).
    expect(result.self[0]).toBe(4);
  });

  it('merges callees that meet a same-named sibling after the hidden frame is gone', () => {
    const result = filtered('a;x;b;c 2\na;b;c 3\na;b 1', 'hide:name:x');
    expectWellFormed(result);
    expect(collapsedFromTree(result)).toBe('a;b 1\na;b;c 5');
    expect(treeTotal(result)).toBe(6);
  });

  it('by exact name does not hide names that only contain it', () => {
    const result = filtered(SAMPLE, 'hide:name:runtime.mallocgc');
    expect(collapsedFromTree(result)).toContain('main;runtime.memclr 5');
    expect(collapsedFromTree(result)).toContain('runtime.gcBgMarkWorker;runtime.scanobject 4');
    expect(treeTotal(result)).toBe(21);
  });
});

describe('focus and show-from', () => {
  it('focus keeps stacks through the frame with their callers; the root total becomes the frame’s total', () => {
    const result = filtered(SAMPLE, 'focus:name:handler');
    expectWellFormed(result);
    expect(collapsedFromTree(result)).toBe('main;handler 2\nmain;handler;db.query 7\nmain;handler;runtime.mallocgc 3');
    expect(treeTotal(result)).toBe(12);
  });

  it('focus counts a sample once when the frame appears twice on its stack (recursion)', () => {
    const result = filtered('a;f;b;f;c 4\na;f 1\nz 9', 'focus:name:f');
    expect(treeTotal(result)).toBe(5);
    expect(collapsedFromTree(result)).toBe('a;f 1\na;f;b;f;c 4');
  });

  it('focus by regex matching several frames totals their outermost occurrences', () => {
    const result = filtered(SAMPLE, 'focus:re:mallocgc$');
    // main;runtime.mallocgc (5) + main;handler;runtime.mallocgc (3)
    expect(treeTotal(result)).toBe(8);
  });

  it('show-from re-roots at the frame and merges its occurrences', () => {
    const result = filtered(SAMPLE, 'show-from:name:runtime.mallocgc');
    expectWellFormed(result);
    expect(collapsedFromTree(result)).toBe('runtime.mallocgc 3\nruntime.mallocgc;runtime.memclr 5');
    expect(treeTotal(result)).toBe(8);
  });

  it('a frame that is not there gives an empty tree', () => {
    const result = filtered(SAMPLE, 'focus:name:nope');
    expect(result.nodeCount).toBe(1);
    expect(treeTotal(result)).toBe(0);
  });
});

describe('collapse recursion', () => {
  it('folds direct recursion and keeps the root total', () => {
    const result = filtered('main;fib;fib;fib;leaf 3\nmain;fib;fib 2\nmain;fib;other;fib 1', 'collapse-recursion');
    expectWellFormed(result);
    expect(collapsedFromTree(result)).toBe('main;fib 2\nmain;fib;leaf 3\nmain;fib;other;fib 1');
    expect(treeTotal(result)).toBe(6);
  });

  it('after hiding the frame between two calls, the recursion becomes direct and folds', () => {
    const result = filtered('a;b;a;c 2', 'hide:name:b', 'collapse-recursion');
    expect(collapsedFromTree(result)).toBe('a;c 2');
  });
});

describe('presets and my code', () => {
  it('my-code keeps only frames under the prefixes and the root total', () => {
    const result = filtered('runtime.main;github.com/acme/svc.main;net/http.serve;github.com/acme/svc.handle 3\nruntime.gc 2', 'my-code:github.com/acme/');
    expect(collapsedFromTree(result)).toBe('github.com/acme/svc.main;github.com/acme/svc.handle 3');
    expect(treeTotal(result)).toBe(5);
  });

  const presetCases: [string, string, string[], string[]][] = [
    ['go', 'preset:go-runtime', ['runtime.mcall', 'net/http.(*conn).serve', 'sync.(*Mutex).Lock', 'internal/poll.(*FD).Read'], ['main.main', 'github.com/acme/svc.handle', 'golang.org/x/net/http2.(*Framer).ReadFrame']],
    ['java', 'preset:java-runtime', ['java/lang/Thread.run', 'jdk/internal/misc.Unsafe.park', 'sun/nio/ch.EPoll.wait', 'VMThread::run', '__pthread_mutex_lock'], ['com/example/Something.funcBaz', 'org/springframework/web.Dispatcher.doDispatch']],
    ['python', 'preset:python-runtime', ['socketserver.py:-1 - process_request', 'logging/__init__.py:-1 - acquire', 'run (/usr/lib/python3.11/threading.py:870)', '<frozen importlib._bootstrap>'], ['lib/utility/utility.py:-1 - find_nearest_vehicle', 'flask/app.py:-1 - wsgi_app']],
    ['node', 'preset:nodejs-runtime', ['node:internal/timers:processTimers:502', ':(garbage collector):0', '(program)'], ['./index.js:bikeSearchHandler:44', './node_modules/express/lib/router/index.js:handle:174']],
    ['rust', 'preset:rust-runtime', ['panicking.rs:502 - std::panicking::try::do_call', 'core.rs:328 - tokio::runtime::task::core::Core<T,S>::poll', ':0 - __clock_gettime', 'alloc.rs:98 - alloc::alloc::alloc'], ['main.rs:112 - server::order_bike', 'or.rs:87 - <warp::filter::or::EitherFuture<T,U> as core::future::future::Future>::poll']],
    ['dotnet', 'preset:dotnet-runtime', ['System.Threading!ThreadPoolWorkQueue.Dispatch', 'Microsoft.AspNetCore.Mvc.Infrastructure!ResourceInvoker.InvokeAsync', '!.op_Equality'], ['WebApplication1.Controllers!CpuController.fib', 'Swashbuckle.AspNetCore.Swagger!SwaggerMiddleware.Invoke']],
    ['ruby', 'preset:ruby-runtime', ['(unknown):-1 - raise [c function]', 'monitor.rb:-1 - new_cond'], ['app/controllers/scooter_controller.rb:-1 - index', 'gems/puma-5.6.7/lib/puma/reactor.rb:-1 - select_loop']],
  ];
  for (const [language, filter, hidden, kept] of presetCases) {
    it(`${language}: hides the runtime and standard library, keeps application and library code`, () => {
      const stack = [...hidden, ...kept];
      const result = filtered(`${stack.join(';')} 7`, filter);
      expect(collapsedFromTree(result)).toBe(`${kept.join(';')} 7`);
      expect(treeTotal(result)).toBe(7);
    });
  }

  it('detects the language of real fixtures from their frame names', () => {
    const cases: [string, string][] = [
      ['go/cpu.pb.gz', 'go-runtime'],
      ['java/profile_java', 'java-runtime'],
      ['dotnet/dotnet-pprof-211.pb.gz', 'dotnet-runtime'],
      ['nodejs/nodejs-wall.pb.gz', 'nodejs-runtime'],
      ['python/profile_python', 'python-runtime'],
      ['rust/profile_rust', 'rust-runtime'],
      ['ruby/profile_ruby', 'ruby-runtime'],
    ];
    for (const [file, expected] of cases) {
      let bytes: Uint8Array = readFileSync(path.join(testdataDir, file));
      if (bytes[0] === 0x1f) bytes = gunzipSync(bytes);
      const profile = decodePprof(bytes);
      expect([file, detectFrameLanguage(profile.names)]).toEqual([file, expected]);
      // The preset keeps the root total on real data too, and hides something.
      const fixtureTree = callTreeFromProfile(profile, 0);
      const hidden = applyFrameFilters(fixtureTree, [parseFrameFilter(`preset:${expected}`)]);
      expectWellFormed(hidden);
      expect(treeTotal(hidden)).toBe(treeTotal(fixtureTree));
      expect(hidden.nodeCount).toBeLessThan(fixtureTree.nodeCount);
    }
  });
});

describe('repeated requests', () => {
  it('the same filters on the same tree give the same result object; other filters or another tree do not', () => {
    const input = tree(SAMPLE);
    const filters = parseFrameFilters(['hide:re:^runtime\\.']);
    const first = applyFrameFilters(input, filters);
    expect(applyFrameFilters(input, parseFrameFilters(['hide:re:^runtime\\.']))).toBe(first);
    const other = applyFrameFilters(input, parseFrameFilters(['focus:name:handler']));
    expect(other).not.toBe(first);
    expect(treeTotal(other)).toBe(12);
    expect(applyFrameFilters(tree(SAMPLE), filters)).not.toBe(first);
    expect(applyFrameFilters(input, [])).toBe(input);
    // A name containing the text of two filters is not the same request as those two filters.
    const joined = applyFrameFilters(input, parseFrameFilters(['hide:name:main\nhide:name:handler']));
    const separate = applyFrameFilters(input, parseFrameFilters(['hide:name:main', 'hide:name:handler']));
    expect(collapsedFromTree(joined)).toBe(collapsedFromTree(input));
    expect(collapsedFromTree(separate)).not.toBe(collapsedFromTree(input));
  });
});

describe('parsing', () => {
  it('round-trips every kind', () => {
    for (const text of ['hide:name:a:b', 'hide:re:^runtime\\.', 'focus:name:main.handler', 'show-from:re:x', 'collapse-recursion', 'preset:go-runtime', 'my-code:github.com/acme/,example.com/']) {
      expect(formatFrameFilter(parseFrameFilter(text))).toBe(text);
    }
    expect(parseFrameFilter('hide:name:a:b')).toEqual<FrameFilter>({ kind: 'hide', match: { kind: 'name', value: 'a:b' } });
  });

  it('refuses bad filters with QUERY_INVALID_ARGUMENT and says what to send', () => {
    const bad = ['hide:runtime', 'hide:name:', 'hide:re:(a', 'hide:re:(?=x)', 'preset:cobol-runtime', 'my-code:', 'zoom:name:x', 'nonsense', `hide:re:${'a'.repeat(3000)}`];
    for (const text of bad) {
      let error: unknown;
      try {
        parseFrameFilter(text);
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeInstanceOf(CinderError);
      expect((error as CinderError).code).toBe('CINDER_QUERY_INVALID_ARGUMENT');
      expect((error as CinderError).message).toMatch(/hide:name:<frame>/);
    }
    expect(() => parseFrameFilters(Array.from({ length: 40 }, () => 'collapse-recursion'))).toThrow(/at most 32/);
  });
});

describe('random trees (property: totals against a reference over collapsed stacks)', () => {
  let seed = 11;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const names = ['a', 'b', 'c', 'd', 'runtime.x', 'runtime.y'];

  /** Reference semantics on plain stacks. */
  const referenceTotal = (stacks: [string[], number][], filter: (stack: string[]) => string[] | null): Map<string, number> => {
    const out = new Map<string, number>();
    for (const [stack, value] of stacks) {
      const result = filter(stack);
      if (result === null) continue;
      const key = result.join(';');
      out.set(key, (out.get(key) ?? 0) + value);
    }
    return out;
  };
  const selfMap = (result: CallTree): Map<string, number> => {
    const out = new Map<string, number>();
    if (result.self[0]) out.set('', result.self[0]);
    for (const line of collapsedFromTree(result).split('\n').filter(Boolean)) {
      const space = line.lastIndexOf(' ');
      out.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
    return out;
  };

  for (let round = 0; round < 30; round++) {
    it(`round ${round}: hide, focus, show-from and collapse-recursion match the reference`, () => {
      const stacks: [string[], number][] = [];
      for (let s = 0; s < 60; s++) stacks.push([Array.from({ length: 1 + random(7) }, () => names[random(names.length)]!), 1 + random(9)]);
      const builder = new CallTreeBuilder();
      for (const [stack, value] of stacks) builder.addStack(stack, value);
      const input = builder.build();
      const cases: [string, (stack: string[]) => string[] | null][] = [
        ['hide:re:^runtime\\.', (stack) => stack.filter((f) => !f.startsWith('runtime.'))],
        ['focus:name:b', (stack) => (stack.includes('b') ? stack : null)],
        ['show-from:name:b', (stack) => (stack.includes('b') ? stack.slice(stack.indexOf('b')) : null)],
        ['collapse-recursion', (stack) => stack.filter((f, i) => i === 0 || stack[i - 1] !== f)],
      ];
      for (const [text, reference] of cases) {
        const result = applyFrameFilters(input, [parseFrameFilter(text)]);
        expectWellFormed(result);
        expect(selfMap(result), text).toEqual(referenceTotal(stacks, reference));
      }
    });
  }
});
