import { createInterface, type Interface } from 'node:readline'
import { mock } from 'wechaty-puppet-mock'
import type { LoadedConfig } from '../config/loadConfig.js'
import { MENTION_END } from '../text/Outgoing.js'
import { RehearsalPuppet, type Card } from './RehearsalPuppet.js'
import { sampleRoom } from './topicFor.js'

interface SandboxRoom {
  /** The room as the first account's world has it (every world has it, with the same id). */
  room: mock.RoomMock
  group: string
  topic: string
}

/**
 * One account's simulated WeChat: each account has its own puppet-mock (as each has its own
 * puppet service), and the sandbox mirrors the members and rooms into every one of them.
 */
interface AccountWorld {
  id: string
  mocker: mock.Mocker
  puppet: RehearsalPuppet
  bot: mock.ContactMock
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

const ACCOUNTS_HELP = `
  /logout <account>   该账号掉线，演练接管 (the account logs out: rehearse a takeover)
  /login <account>    该账号重新登录 (it logs in again); /accounts lists them`

/**
 * A simulated WeChat on this machine (wechaty-puppet-mock) with a room for every configured
 * group. The real bot runs against it; the operator types as members in the terminal and
 * sees the bot's messages as the group would.
 */
export class Sandbox {
  readonly mocker: mock.Mocker
  readonly puppet: RehearsalPuppet
  readonly bot: mock.ContactMock
  readonly rooms: SandboxRoom[] = []
  /** One per account (`accounts:` in the config), else the single bot's. */
  readonly worlds: AccountWorld[]
  private readonly people = new Map<string, mock.ContactMock>()
  private readonly admins: mock.ContactMock[] = []
  private current = 0
  private me: mock.ContactMock
  private rl: Interface | undefined

  constructor(
    config: LoadedConfig,
    private readonly out: NodeJS.WritableStream,
    /** Account ids (`accounts:`): the sandbox simulates each of them in every room. */
    private readonly accountIds: readonly string[] = [],
  ) {
    const bots = accountIds.length === 0 ? [{ id: 'bot', contact: 'sandbox-bot', name: config.bot.name }] : accountIds.map((id) => ({ id, contact: `sandbox-${id}`, name: `${config.bot.name}(${id})` }))
    this.worlds = bots.map((b) => {
      const mocker = new mock.Mocker()
      const puppet = new RehearsalPuppet({ mocker })
      return { id: b.id, mocker, puppet, bot: undefined as unknown as mock.ContactMock }
    })
    // every world knows every bot account (they share the rooms)
    for (const w of this.worlds) {
      for (const b of bots) {
        const c = w.mocker.createContact({ name: b.name, id: b.contact })
        if (b.id === w.id) w.bot = c
      }
    }
    const first = this.worlds[0]!
    this.mocker = first.mocker
    this.puppet = first.puppet
    this.bot = first.bot
    for (const id of config.bot.admins) {
      const admin = this.contact({ id, name: `管理员(${id})` })
      this.admins.push(admin)
      this.people.set('admin', this.admins[0]!)
    }
    this.me = this.person('我')
    config.groups.forEach((g, i) => {
      const { id, topic } = sampleRoom(g.name, g.matcher, i + 1)
      const memberIdList = [...bots.map((b) => b.contact), this.me.id, ...this.admins.map((a) => a.id)]
      const [room] = this.worlds.map((w) => w.mocker.createRoom({ id, topic, memberIdList: [...memberIdList] }))
      this.rooms.push({ room: room!, group: g.name, topic })
    })
    // every message is echoed on its talker: the bot's own are what the group would see
    for (const w of this.worlds) w.bot.on('message', (m: mock.MessageMock) => this.show(m, w))
  }

  /** The puppet of each account, by id (for the runtimes). */
  get puppets(): Map<string, RehearsalPuppet> {
    return new Map(this.worlds.map((w) => [w.id, w.puppet]))
  }

  login(): void {
    for (const w of this.worlds) w.mocker.login(w.bot)
  }

  banner(): string {
    const lines = [
      '沙盒 Sandbox: a simulated WeChat on this machine. To go live, set WECHATY_PUPPET_SERVICE_TOKEN (see README).',
      ...this.rooms.map((r, i) => `  [${i + 1}] ${r.topic}  (group ${r.group})`),
    ]
    if (this.accountIds.length > 0) lines.push(`  accounts: ${this.accountIds.join(', ')} — each in every room; /logout <account> rehearses a takeover`)
    if (this.rooms.length === 0) lines.push('  (no groups in the config: add one under groups: to get a room here)')
    return lines.join('\n')
  }

  /** Read commands from a terminal (or any stream). Closing it leaves the bot running. */
  attach(input: NodeJS.ReadableStream): void {
    const rl = createInterface({ input, output: this.out, terminal: (input as { isTTY?: boolean }).isTTY === true })
    this.rl = rl
    this.write(`${this.help()}\n`)
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
    if (text === '/help') return this.write(`${this.help()}\n`)
    if (text === '/rooms') return this.write(`${this.banner()}\n`)
    const [cmd, ...rest] = text.split(/\s+/)
    const arg = rest.join(' ')
    if (cmd === '/accounts' || cmd === '/login' || cmd === '/logout') return this.account(cmd, arg)
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
      this.inWorlds(room, (w, r) => r.add(w.mocker.ContactMock.load(who.id)).by(w.mocker.ContactMock.load(this.me.id)), (r) => r.payload.memberIdList.push(who.id))
      return
    }
    if (cmd === '/leave') {
      const who = this.people.get(arg)
      if (!who) return this.write(`nobody called ${arg}\n`)
      this.inWorlds(
        room,
        (w, r) => r.remove(w.mocker.ContactMock.load(who.id)).by(w.mocker.ContactMock.load(this.me.id)),
        (r) => r.payload.memberIdList.includes(who.id) && r.payload.memberIdList.splice(r.payload.memberIdList.indexOf(who.id), 1),
      )
      return
    }
    if (cmd === '/friend') {
      const [name, ...hello] = rest
      if (!name) return this.write('usage: /friend <name> <hello>\n')
      // a stranger: in no room yet, so the gate can invite them
      const who = this.person(name, false)
      this.me = who
      // a stranger befriends one account: the first one logged in
      const w = this.online()[0] ?? this.worlds[0]!
      w.puppet.requestFriend(w.mocker.ContactMock.load(who.id), hello.join(' '))
      return this.write(`(${name} 发出好友申请；你现在是 ${name}，用 /dm 私聊机器人 / you are ${name} now; /dm talks privately)\n`)
    }
    if (cmd === '/dm') {
      if (!arg) return this.write('usage: /dm <text>\n')
      const w = this.online()[0] ?? this.worlds[0]!
      w.mocker.ContactMock.load(this.me.id).say(arg).to(w.bot)
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
    // the same message reaches every account in the room (each through its own WeChat)
    for (const w of this.online()) {
      const bots = mentionsBot ? this.worlds.map((b) => w.mocker.ContactMock.load(b.bot.id)) : []
      const mentioned = [...bots, ...others.map((c) => w.mocker.ContactMock.load(c.id))]
      w.mocker.ContactMock.load(this.me.id).say(said, mentioned).to(w.mocker.RoomMock.load(room.room.id))
    }
  }

  /** `/accounts`, `/login <id>`, `/logout <id>`: rehearse a takeover. */
  private account(cmd: string, arg: string): void {
    if (this.accountIds.length === 0) return this.write('one account only: add accounts: to the config to rehearse a takeover\n')
    if (cmd === '/accounts') {
      return this.write(`${this.worlds.map((w) => `  ${w.id}: ${w.puppet.isLoggedIn ? '在线 online' : '离线 offline'}`).join('\n')}\n`)
    }
    const w = this.worlds.find((x) => x.id === arg)
    if (!w) return this.write(`usage: ${cmd} <account>; accounts: ${this.accountIds.join(', ')}\n`)
    if (cmd === '/logout') {
      if (!w.puppet.isLoggedIn) return this.write(`${w.id} is offline already\n`)
      void w.puppet.logout('sandbox /logout')
      return this.write(`(${w.id} 掉线；另一个账号将在接管期后接手它的群 / ${w.id} is out: another account takes its rooms after the grace period)\n`)
    }
    if (w.puppet.isLoggedIn) return this.write(`${w.id} is online already\n`)
    w.mocker.login(w.bot)
    this.write(`(${w.id} 重新登录 / ${w.id} is back)\n`)
  }

  private online(): AccountWorld[] {
    return this.worlds.filter((w) => w.puppet.isLoggedIn)
  }

  /** Do something to a room in every world where its account is online; elsewhere just note it. */
  private inWorlds(room: SandboxRoom, live: (w: AccountWorld, r: mock.RoomMock) => void, quiet: (r: mock.RoomMock) => void): void {
    for (const w of this.worlds) {
      const r = w.mocker.RoomMock.load(room.room.id)
      if (w.puppet.isLoggedIn) live(w, r)
      else quiet(r)
    }
  }

  /** A contact in every world, with the same id. */
  private contact(payload: { name: string; id?: string }): mock.ContactMock {
    const first = this.worlds[0]!.mocker.createContact(payload)
    for (const w of this.worlds.slice(1)) w.mocker.createContact({ name: payload.name, id: first.id })
    return first
  }

  /** A contact by name (or admin), created on first use; silently in every room unless `seat` is false. */
  private person(name: string, seat = true): mock.ContactMock {
    let c = this.people.get(name)
    if (!c) {
      c = this.contact({ name })
      this.people.set(name, c)
    }
    if (seat) for (const r of this.rooms) this.ensureMember(r, c)
    return c
  }

  private ensureMember(room: SandboxRoom, c: mock.ContactMock): void {
    for (const w of this.worlds) {
      const ids = w.mocker.RoomMock.load(room.room.id).payload.memberIdList
      if (!ids.includes(c.id)) ids.push(c.id)
    }
  }

  private help(): string {
    return this.accountIds.length > 0 ? HELP + ACCOUNTS_HELP : HELP
  }

  private show(m: mock.MessageMock, w: AccountWorld): void {
    if (m.payload.talkerId !== w.bot.id) return
    // a picture, file or card: what it is (`[图片 群规.png 120 KB]`, `[小程序 积分商城 pages/index]`)
    const text = w.puppet.shown(m.id) ?? m.text() ?? ''
    const roomId = m.payload.roomId
    const where = roomId ? (this.rooms.find((r) => r.room.id === roomId)?.topic ?? roomId) : `私信 → ${this.nameOf(m.payload.listenerId)}`
    const body = text.replace(new RegExp(MENTION_END, 'g'), ' ').replace(/\n/g, '\n    ')
    this.write(`\n[${where}] ${w.bot.payload.name}: ${body}\n`)
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
