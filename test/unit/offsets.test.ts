import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineIndex, lineBreakAfter, lineNumberAt, lineStartOf, utf16FromCodePoint, utf16FromUtf8 } from '../../server/src/engine/text/offsets';

describe('offset conversion', () => {
  it('converts UTF-8 byte offsets to UTF-16 offsets', () => {
    const text = 'aé😀b';
    // bytes: a(1) é(2) 😀(4) b(1)
    assert.equal(utf16FromUtf8(text, 0), 0);
    assert.equal(utf16FromUtf8(text, 1), 1);
    assert.equal(utf16FromUtf8(text, 3), 2);
    assert.equal(utf16FromUtf8(text, 7), 4);
    assert.equal(utf16FromUtf8(text, 8), 5);
    assert.equal(utf16FromUtf8(text, 100), 5);
  });

  it('converts code-point offsets to UTF-16 offsets', () => {
    const text = 'é😀b';
    assert.equal(utf16FromCodePoint(text, 1), 1);
    assert.equal(utf16FromCodePoint(text, 2), 3);
    assert.equal(utf16FromCodePoint(text, 3), 4);
  });

  it('counts a lone surrogate (an edit that split a pair) as one code point of three bytes, as the parser encodes it', () => {
    const text = 'a\ud83d\u00e9b\ude00c';
    // bytes: a(1) \ud83d(3) é(2) b(1) \ude00(3) c(1); code points: one each
    assert.equal(utf16FromUtf8(text, 4), 2);
    assert.equal(utf16FromUtf8(text, 6), 3);
    assert.equal(utf16FromUtf8(text, 7), 4);
    assert.equal(utf16FromUtf8(text, 10), 5);
    assert.equal(utf16FromCodePoint(text, 2), 2);
    assert.equal(utf16FromCodePoint(text, 5), 5);
    assert.equal(utf16FromCodePoint('\ud83d\ude00x', 1), 2, 'a pair is still one code point');
  });

  it('maps offsets to lines and UTF-16 columns across \\n, \\r\\n and \\r', () => {
    const index = new LineIndex('ab\r\ncd\nef\rgh');
    assert.deepEqual(index.positionAt(0), { line: 0, character: 0 });
    assert.deepEqual(index.positionAt(4), { line: 1, character: 0 });
    assert.deepEqual(index.positionAt(8), { line: 2, character: 1 });
    assert.deepEqual(index.positionAt(10), { line: 3, character: 0 });
    assert.equal(index.lineText(0), 'ab');
    assert.equal(index.offsetAt({ line: 1, character: 1 }), 5);
    assert.equal(index.offsetAt({ line: 0, character: 99 }), 2);
  });

  it('finds the same line starts as a loop over each character, for every text of up to 7 of \\r \\n a', () => {
    const reference = (text: string): number[] => {
      const starts = [0];
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 10) starts.push(i + 1);
        else if (c === 13) {
          if (text.charCodeAt(i + 1) === 10) i++;
          starts.push(i + 1);
        }
      }
      return starts;
    };
    let texts = [''];
    for (let n = 1; n <= 7; n++) {
      for (const t of texts.filter((x) => x.length === n - 1)) texts = texts.concat(['\r', '\n', 'a'].map((c) => t + c));
    }
    for (const text of texts) assert.deepEqual(new LineIndex(text).lineStarts, reference(text), JSON.stringify(text));
  });
});

describe('line breaks', () => {
  it('lineBreakAfter ends a line at \\n, \\r\\n or a lone \\r, and lineNumberAt and lineStartOf agree with LineIndex', () => {
    const text = 'ab\r\ncd\nef\rgh';
    assert.deepEqual(lineBreakAfter(text, 0), { end: 2, next: 4 });
    assert.deepEqual(lineBreakAfter(text, 4), { end: 6, next: 7 });
    assert.deepEqual(lineBreakAfter(text, 7), { end: 9, next: 10 });
    assert.deepEqual(lineBreakAfter(text, 10), { end: 12, next: 12 });
    const index = new LineIndex(text);
    for (let offset = 0; offset <= text.length; offset++) {
      if (text[offset - 1] === '\r' && text[offset] === '\n') continue; // inside a \r\n pair
      assert.equal(lineNumberAt(text, offset), index.positionAt(offset).line + 1, `offset ${offset}`);
      assert.equal(lineStartOf(text, offset), index.lineStarts[index.positionAt(offset).line], `line start at ${offset}`);
    }
  });
});
