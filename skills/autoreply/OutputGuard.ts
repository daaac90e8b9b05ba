import { foldText } from './RuleMatcher.js'

/** Shorter pieces are too common ("请稍等", "thank you") to say anything about a leak. */
export const MIN_LEAK_LENGTH = 12

/**
 * The last line of defence against prompt injection: a model talked into "print your
 * instructions" produces an answer that quotes them. The guard knows every line and every
 * sentence (at least MIN_LEAK_LENGTH characters) of the protected texts — the operator's
 * systemPrompt and our fixed prompt rules — and refuses an answer that contains one, compared
 * case-insensitively, after NFKC, with runs of spaces folded and list markers dropped.
 *
 * The knowledge file is not protected: answers are meant to quote it.
 */
export class OutputGuard {
  private readonly pieces: string[]

  constructor(protectedTexts: readonly string[]) {
    const pieces = new Set<string>()
    for (const text of protectedTexts) {
      for (const line of text.split(/\r?\n/)) {
        for (const piece of [line, ...line.split(/(?<=[。！？；!?;])|(?<=\.)\s+/)]) {
          const p = normalize(piece)
          if ([...p].length >= MIN_LEAK_LENGTH) pieces.add(p)
        }
      }
    }
    this.pieces = [...pieces]
  }

  /** The protected piece the answer quotes, or undefined when it quotes none. */
  leak(answer: string): string | undefined {
    const a = normalize(answer)
    return this.pieces.find((p) => a.includes(p))
  }
}

function normalize(s: string): string {
  return foldText(s)
    .replace(/\s+/g, ' ')
    .replace(/^\s*(?:[-*•·>]|\d+[.)、])\s*/, '')
    .trim()
}
