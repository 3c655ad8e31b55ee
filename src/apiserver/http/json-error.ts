// V8's JSON.parse messages name the position only sometimes; this scanner
// finds where a JSON text first goes wrong so the 400 can say
// "line L, column C" every time. It runs only after JSON.parse has failed.

const WS = new Set([' ', '\t', '\n', '\r']);

export interface JsonErrorAt {
  offset: number;
  expected: string;
}

export function findJsonError(text: string): JsonErrorAt {
  let i = 0;
  const fail = (expected: string): never => {
    throw { offset: i, expected } satisfies JsonErrorAt;
  };
  const ws = () => {
    while (i < text.length && WS.has(text[i]!)) i++;
  };
  const lit = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`a value`);
  };
  const str = () => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            fail('four hex digits after \\u');
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          fail('a valid escape sequence');
        }
      } else if (c < ' ') fail('no control characters inside a string');
      else i++;
    }
    fail('a closing quote');
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === '' || m[0] === '-') fail('a number');
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === undefined) fail('a value');
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('a string (an object key in double quotes)');
        str();
        ws();
        if (text[i] !== ':') fail("':' after an object key");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail("',' or '}' after an object value");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail("',' or ']' after an array element");
      }
    } else if (c === '"') str();
    else if (c === 't') lit('true');
    else if (c === 'f') lit('false');
    else if (c === 'n') lit('null');
    else if (c === '-' || (c >= '0' && c <= '9')) num();
    else fail('a value');
  };
  try {
    value();
    ws();
    if (i < text.length) fail('the end of the input');
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'offset' in e) return e as JsonErrorAt;
    throw e;
  }
  return { offset: text.length, expected: 'valid JSON' };
}
