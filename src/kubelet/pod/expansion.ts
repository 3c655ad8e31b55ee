// $(VAR) references in env values, command and args, with upstream's rules
// (third_party/forked/golang/expansion): "$$" is an escaped "$", a reference
// to an undefined variable is left as written, and an unterminated "$(" is
// kept literally.

export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')');
      if (close < 0) {
        out += '$(';
      } else {
        const name = rest.slice(1, close);
        const v = lookup(name);
        out += v ?? `$(${name})`;
        advance = close + 1;
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** command and args with $(VAR) expanded from the container's final environment. */
export function expandCommandAndArgs(command: string[] | undefined, args: string[] | undefined, env: { name: string; value: string }[]): { command: string[]; args: string[] } {
  const m = new Map(env.map((e) => [e.name, e.value]));
  const look = (n: string): string | undefined => m.get(n);
  return { command: (command ?? []).map((c) => expand(c, look)), args: (args ?? []).map((a) => expand(a, look)) };
}
