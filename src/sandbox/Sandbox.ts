import { createInterface, type Interface } from 'node:readline'
import { mock } from 'wechaty-puppet-mock'
import type { LoadedConfig } from '../config/loadConfig.js'
import { MENTION_END } from '../text/Outgoing.js'
import { RehearsalPuppet, type Card } from './RehearsalPuppet.js'
import { sampleRoom } from './topicFor.js'

interface SandboxRoom {
  room: mock.RoomMock
  group: string
  topic: string
}

const HELP = `在沙盒里，你扮演群成员（You play the members）:
  <text>              以当前身份发言 (say it as the current member)
  /as <name> [text]   换成某个成员（可带一句话）(speak as someone; admins: /as admin)
  /join <name>        某人入群 (someone joins: the welcome ritual)
  /leave <name>       某人退群 (someone leaves)
  /room <n>           切换群 (switch room); /rooms lists them
  /friend <name> <hello>  陌生人加机器人好友，之后你就是他 (a friend request; you become them)
  /dm <text>          以当前身份私聊机器人 (a private message as the current member)
  /link <url> [title] 以当前身份发链接卡片 (post a link card; rehearse guard 防骚扰)
  /mini <title>       发小程序卡片 (post a mini-program card)
  /card <name>        发某人的名片 (post someone's name card)
  @bot <question>     @机器人提问 (mention the bot)
  /help               this help; Ctrl+C quits`

/**
 * A simulated WeChat on this machine (wechaty-puppet-mock) with a room for every configured
 * group. The real bot runs against it; the operator types as members in the terminal and
 * sees the bot's messages as the group would.
 */
export class Sandbox {
  readonly mocker = new mock.Mocker()
  readonly puppet: RehearsalPuppet
  readonly bot: mock.ContactMock
  readonly rooms: SandboxRoom[] = []
  private readonly people = new Map<string, mock.ContactMock>()
  private readonly admins: mock.ContactMock[] = []
  private current = 0
  private me: mock.ContactMock
  private rl: Interface | undefined

  constructor(
    config: LoadedConfig,
    private readonly out: NodeJS.WritableStream,
  ) {
    this.puppet = new RehearsalPuppet({ mocker: this.mocker })
    this.bot = this.mocker.createContact({ name: config.bot.name, id: 'sandbox-bot' })
    for (const id of config.bot.admins) {
      const admin = this.mocker.createContact({ id, name: `管理员(${id})` })
      this.admins.push(admin)
      this.people.set('admin', this.admins[0]!)
    }
    this.me = this.person('我')
    config.groups.forEach((g, i) => {
      const { id, topic } = sampleRoom(g.name, g.matcher, i + 1)
      const room = this.mocker.createRoom({ id, topic, memberIdList: [this.bot.id, this.me.id, ...this.admins.map((a) => a.id)] })
      this.rooms.push({ room, group: g.name, topic })
    })
    // every message is echoed on its talker: the bot's own are what the group would see
    this.bot.on('message', (m: mock.MessageMock) => this.show(m))
  }

  login(): void {
    this.mocker.login(this.bot)
  }

  banner(): string {
    const lines = [
      '沙盒 Sandbox: a simulated WeChat on this machine. To go live, set WECHATY_PUPPET_SERVICE_TOKEN (see README).',
      ...this.rooms.map((r, i) => `  [${i + 1}] ${r.topic}  (group ${r.group})`),
    ]
    if (this.rooms.length === 0) lines.push('  (no groups in the config: add one under groups: to get a room here)')
    return lines.join('\n')
  }

  /** Read commands from a terminal (or any stream). Closing it leaves the bot running. */
  attach(input: NodeJS.ReadableStream): void {
    const rl = createInterface({ input, output: this.out, terminal: (input as { isTTY?: boolean }).isTTY === true })
    this.rl = rl
    this.write(`${HELP}\n`)
    rl.setPrompt(this.prompt())
    rl.prompt()
    rl.on('line', (line) => {
      try {
        this.handle(line)
      } catch (err) {
        this.write(`! ${(err as Error).message}\n`)
      }
      rl.setPrompt(this.prompt())
      rl.prompt()
    })
    rl.on('close', () => {
      this.rl = undefined
      this.write('stdin closed: the sandbox bot keeps running (Ctrl+C or SIGTERM to stop).\n')
    })
  }

  /** One line typed by the operator. */
  handle(line: string): void {
    const text = line.trim()
    if (!text) return
    const room = this.rooms[this.current]
    if (text === '/help') return this.write(`${HELP}\n`)
    if (text === '/rooms') return this.write(`${this.banner()}\n`)
    const [cmd, ...rest] = text.split(/\s+/)
    const arg = rest.join(' ')
    if (cmd === '/room') {
      const n = Number(arg)
      if (!Number.isInteger(n) || n < 1 || n > this.rooms.length) return this.write(`no room ${arg}; /rooms lists them\n`)
      this.current = n - 1
      return
    }
    if (!room) return this.write('no rooms: the config has no groups\n')
    if (cmd === '/join') {
      if (!arg) return this.write('usage: /join <name>\n')
      const who = this.person(arg, false)
      room.room.add(who).by(this.me)
      return
    }
    if (cmd === '/leave') {
      const who = this.people.get(arg)
      if (!who) return this.write(`nobody called ${arg}\n`)
      room.room.remove(who).by(this.me)
      return
    }
    if (cmd === '/friend') {
      const [name, ...hello] = rest
      if (!name) return this.write('usage: /friend <name> <hello>\n')
      // a stranger: in no room yet, so the gate can invite them
      const who = this.person(name, false)
      this.me = who
      this.puppet.requestFriend(who, hello.join(' '))
      return this.write(`(${name} 发出好友申请；你现在是 ${name}，用 /dm 私聊机器人 / you are ${name} now; /dm talks privately)\n`)
    }
    if (cmd === '/dm') {
      if (!arg) return this.write('usage: /dm <text>\n')
      this.me.say(arg).to(this.bot)
      return
    }
    if (cmd === '/link' || cmd === '/mini' || cmd === '/card') {
      if (!arg) return this.write(`usage: ${cmd === '/link' ? '/link <url> [title]' : cmd === '/mini' ? '/mini <title>' : '/card <name>'}\n`)
      this.ensureMember(room, this.me)
      this.puppet.postCard(this.me, room.room, this.cardOf(cmd, rest))
      return
    }
    if (cmd === '/as') {
      const [name, ...words] = rest
      if (!name) return this.write('usage: /as <name> [text]\n')
      if (name === 'admin' && this.admins.length === 0) return this.write('no admins in bot.admins\n')
      this.me = this.person(name)
      if (words.length > 0) this.speak(room, words.join(' '))
      return
    }
    this.speak(room, text)
  }

  /** What /link, /mini and /card post. */
  private cardOf(cmd: string, words: readonly string[]): Card {
    if (cmd === '/link') return { kind: 'url', url: words[0]!, title: words.slice(1).join(' ') || words[0]! }
    if (cmd === '/mini') return { kind: 'miniProgram', title: words.join(' '), appid: 'wx-sandbox' }
    // a name card of someone (made up on first use, in no room)
    return { kind: 'contact', contactId: this.person(words.join(' '), false).id }
  }

  private speak(room: SandboxRoom, text: string): void {
    this.ensureMember(room, this.me)
    const mentionsBot = /@bot\b|@机器人/.test(text) || text.includes(`@${this.bot.payload.name}`)
    const said = mentionsBot ? text.replace(/@bot\b|@机器人/g, `@${this.bot.payload.name}${MENTION_END}`) : text
    // `@Alice` of someone the sandbox knows is a real mention (admin commands like #points need the id)
    const others = [...this.people.entries()].filter(([name, c]) => c !== this.me && said.includes(`@${name}`)).map(([, c]) => c)
    this.me.say(said, [...(mentionsBot ? [this.bot] : []), ...others]).to(room.room)
  }

  /** A contact by name (or admin), created on first use; silently in every room unless `seat` is false. */
  private person(name: string, seat = true): mock.ContactMock {
    let c = this.people.get(name)
    if (!c) {
      c = this.mocker.createContact({ name })
      this.people.set(name, c)
    }
    if (seat) for (const r of this.rooms) this.ensureMember(r, c)
    return c
  }

  private ensureMember(room: SandboxRoom, c: mock.ContactMock): void {
    const ids = room.room.payload.memberIdList
    if (!ids.includes(c.id)) ids.push(c.id)
  }

  private show(m: mock.MessageMock): void {
    if (m.payload.talkerId !== this.bot.id) return
    const text = m.text() ?? ''
    const roomId = m.payload.roomId
    const where = roomId ? (this.rooms.find((r) => r.room.id === roomId)?.topic ?? roomId) : `私信 → ${this.nameOf(m.payload.listenerId)}`
    const body = text.replace(new RegExp(MENTION_END, 'g'), ' ').replace(/\n/g, '\n    ')
    this.write(`\n[${where}] ${this.bot.payload.name}: ${body}\n`)
    // the bot spoke while the operator was at the prompt: draw it again, keeping what they typed
    if (this.rl && (this.out as { isTTY?: boolean }).isTTY) this.rl.prompt(true)
  }

  private nameOf(contactId: string | undefined): string {
    if (!contactId) return '?'
    try {
      return this.mocker.ContactMock.load(contactId).payload.name
    } catch {
      return contactId
    }
  }

  private prompt(): string {
    const r = this.rooms[this.current]
    return `${r ? r.topic : '-'} | ${this.me.payload.name} > `
  }

  private write(s: string): void {
    this.out.write(s)
  }
}
