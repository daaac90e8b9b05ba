/**
 * Counting tokens conservatively, so the digest never sends more than its budget. The count
 * is the cl100k_base tokenizer's (gpt-tokenizer, the registry's pure-JS tiktoken): for
 * Chinese it gives MORE tokens than the tokenizers of GPT-4o (o200k), Qwen, DeepSeek, GLM or
 * Moonshot (which merge common Chinese characters), about the same for English; 10 % is
 * added for the tokenizers we cannot know, and the chat framing (4 tokens a message, 3 for
 * the reply's start) on top. Special-token texts (`<|endoftext|>` typed by a member) count as
 * plain text, never as an error.
 *
 * The tokenizer (its tables are ~1 s and ~50 MB to load) is loaded the first time a summary
 * is made, never at start.
 */
type Counter = (text: string) => number

let loading: Promise<Counter> | undefined

export function loadCounter(): Promise<Counter> {
  loading ??= import('gpt-tokenizer/encoding/cl100k_base').then((m) => {
    const plain = { disallowedSpecial: new Set<string>() }
    return (text: string) => m.countTokens(text, plain)
  })
  return loading
}

/** Tokens per chat message (its role and framing) and for the reply's start. */
export const PER_MESSAGE = 4
export const PER_REQUEST = 3
/** The margin for tokenizers other than cl100k_base. */
export const MARGIN = 1.1

/** A text's tokens, counted conservatively. */
export function tokensOf(count: Counter, text: string): number {
  return Math.ceil(count(text) * MARGIN)
}

/** What one call sends: a system and a user message, framing included. */
export function promptTokens(count: Counter, system: string, user: string): number {
  return tokensOf(count, system) + tokensOf(count, user) + 2 * PER_MESSAGE + PER_REQUEST
}
