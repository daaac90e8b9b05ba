/**
 * Is a member's text a question? A heuristic for the digest's list, by hand because no
 * library classifies short Chinese chat: a question mark (full- or half-width), or one of the
 * words questions are asked with (吗, 怎么, 什么时候, 多少, 能不能…). An @ of the bot counts
 * too (members @ the bot to ask). It errs towards listing: the staff skim the list.
 */
const ASKING = /[?？]|吗|么[?？]?$|怎么|怎样|如何|为什么|为啥|什么|啥时候|多少|几点|几号|几天|哪里|哪儿|哪个|哪些|是否|能不能|能否|可不可以|可以吗|有没有|是不是|请问|咋/u

export function isQuestion(text: string, mentionsBot: boolean): boolean {
  return mentionsBot || ASKING.test(text)
}
