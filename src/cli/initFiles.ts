import { Document, isMap, isScalar, isSeq, visit, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml'
import type { InitAnswers } from './initAnswers.js'

/*
 * What `siyu init` writes. The config is built with the `yaml` library's Document API rather
 * than pasted into a template: every value the operator typed (a brand with a colon, a topic
 * glob starting with `*`, a `/regex/`) gets the quoting YAML needs, and the comments sit on the
 * nodes they explain. The other files have nothing typed in them but names, so they are text.
 */

/** One starter per skill: settings worth seeing on day one (every other field has a default). */
interface Starter {
  about: string
  value: (a: InitAnswers) => Record<string, unknown>
  /** Comments on keys inside the value, by key path. */
  notes?: Record<string, string>
}

const STARTERS: Record<string, Starter> = {
  guard: {
    about: '防骚扰：链接、卡片、广告词、刷屏 → 警告，第 3 次移出 / keeps the group clean: strikes, the 3rd removes',
    value: () => ({ block: { links: true, miniPrograms: true, contactCards: true, words: ['加微信', '代购', '兼职'] }, strikes: 3, window: '7d' }),
    notes: { 'block.words': '包含任意一个 / the text contains any', strikes: '机器人要是群主或管理员才能移人 / removing needs the bot to be owner or admin' },
  },
  welcome: {
    about: '入群欢迎：一批新人一条欢迎，@ 每个人 / the entry ritual: one welcome that @s every newcomer of a batch',
    value: (a) => ({
      text: `欢迎 {names} 加入{topic}！${a.skills.includes('checkin') ? '发「签到」领积分' : '有问题随时问我'}${a.skills.includes('live') ? '，发「直播预告」看最近的直播' : ''}`,
      batchSeconds: 10,
    }),
    notes: { text: 'vars: names topic count', batchSeconds: '这段时间内入群的人合并成一条 / joins inside this window get one welcome' },
  },
  checkin: {
    about: '每日签到积分，连续签到奖励，积分榜 / daily check-in points, streaks, a leaderboard',
    value: (a) => ({ pool: a.brand, triggers: ['签到', '打卡'], points: 10, streakBonus: new Map([[7, 30], [30, 100]]) }),
    notes: { pool: '同一个 pool 的分组共享积分 / groups with the same pool share points', triggers: '整条消息 / the whole message', streakBonus: '连续 N 天的当天额外加分 / extra on the day the streak reaches N' },
  },
  tags: {
    about: '成员标签：#tag add|del|list @成员，「我的标签」/ member tags',
    value: () => ({ meTriggers: ['我的标签'] }),
  },
  shop: {
    about: '积分兑换：「积分商城」「兑换 <编号>」「我的兑换」/ the points shop',
    value: () => ({ items: [{ id: 'sample', name: '精华小样', price: 100, stock: 50, perMember: 1, delivery: 'admin' }] }),
    notes: { items: '会员发「兑换 sample」；delivery: admin 私信管理员发货，发货后 #order done <订单号> / the admins ship it' },
  },
  points: {
    about: '管理员调整积分：#points add|sub @成员 <分数> [原因] / admins correct points',
    value: () => ({}),
  },
  gate: {
    about: '门槛：私信机器人关键词，邀请进本分组的群 / a private keyword invites into a room of the group',
    value: () => ({ keywords: ['进群'], capacity: 450 }),
    notes: { keywords: '私信整句 / a private message with exactly this text', capacity: '按微信的人数算，加未接受的邀请 / as WeChat counts, pending invites included' },
  },
  live: {
    about: '直播预告和开播提醒：「预约」「直播预告」，管理员 #live add / livestream previews and reminders',
    value: () => ({ lives: [], remind: ['1h', '10m'], subscribeTriggers: ['预约'], listTriggers: ['直播预告'] }),
    notes: {
      lives: '也可以在群里发 #live add 2026-11-25 20:00 标题 [链接] / or an admin types #live add in a group',
      remind: '开播前提醒；单位 s m h d / before the start',
    },
  },
  ping: {
    about: '自检：发 ping 回 pong / operators: "ping" answers "pong"',
    value: () => ({}),
  },
  autoreply: {
    about: '自动回复：关键词优先，再交给模型（ai:）/ answers: keywords first, then the model',
    value: () => ({
      rules: [
        { keywords: ['退货', '退款', '换货', '坏了', '过敏', '没收到'], reply: '{name}，抱歉给你添麻烦了！已转给客服，稍后私信你处理～', handoff: true },
        { keywords: ['发货', '快递', '物流'], reply: '{name}，下单后 48 小时内发货～' },
      ],
    }),
    notes: { rules: '按顺序，第一条命中的回答；handoff: true 还会私信管理员 / in order, the first match answers; handoff also tells the admins' },
  },
}

export interface ConfigFileOptions {
  answers: InitAnswers
  /** The JSON schema, relative to the config's folder, for editors (yaml-language-server). */
  schemaPath: string
  /** The command a reader of this folder runs: `npx siyu` in a project, `npm run siyu --` in a clone. */
  siyu: string
}

export function configYaml({ answers: a, schemaPath, siyu }: ConfigFileOptions): string {
  const skills: Record<string, unknown> = {}
  for (const name of a.skills) skills[name] = STARTERS[name]?.value(a) ?? {}
  const doc = new Document({
    bot: {
      name: `${a.brand}小助手`,
      timezone: a.timezone,
      admins: a.admins,
      commandPrefix: '#',
      rateLimit: { roomPerMinute: 20, totalPerMinute: 60 },
    },
    console: { port: 7350, host: '127.0.0.1', tokenEnv: 'SIYU_CONSOLE_TOKEN' },
    defaults: { skills },
    groups: a.groups.map((g) => ({ name: g.name, match: { topic: g.topics.length === 1 ? g.topics[0] : g.topics } })),
  })
  // lists of words on one line, as people write them: [签到, 打卡]
  visit(doc, {
    Seq(_, seq) {
      if (seq.items.every((i) => isScalar(i))) seq.flow = true
    },
  })
  doc.commentBefore = [
    ` yaml-language-server: $schema=${schemaPath}`,
    '',
    ` ${a.brand} 的 siyu 配置 / siyu config for ${a.brand} — written by siyu init; edit freely.`,
    ` 检查 / check:  ${siyu} check      运行 / run:  ${siyu} start（没有 token 时是沙盒 / no token: the sandbox）`,
    ' 运行中保存文件或发 #reload 生效；有错时旧配置继续生效。',
    ' While running, save the file or send #reload; a config with errors is refused and the old one stays.',
    ' 每个技能的全部设置见 / every setting of every skill: node_modules/siyu/config/bot.example.yaml',
  ].join('\n')

  const note = (path: ReadonlyArray<string | number>, text: string): void => {
    const value = doc.getIn(path, true) as Node | undefined
    if (!value) return
    if (isMap(value) || isSeq(value)) {
      const short = isSeq(value) ? value.items.every((i) => !isMap(i) && !isSeq(i)) : value.items.length === 0
      if (short) {
        value.flow = true // [签到, 打卡] and {} on one line, the comment after them
        value.comment = ` ${text}`
        return
      }
      const pair = pairAt(doc, path)
      if (pair) (pair.key as Scalar).comment = ` ${text}`
      return
    }
    value.comment = ` ${text}`
  }
  const header = (key: string, text: string): void => {
    const pair = pairAt(doc, [key])
    if (!pair) return
    ;(pair.key as Scalar).spaceBefore = true
    ;(pair.key as Scalar).commentBefore = ` ${text}`
  }

  note(['bot', 'name'], '沙盒里机器人的名字 / the bot’s name in the sandbox')
  note(['bot', 'timezone'], '配置和回复里的所有时间 / every time in the config and in replies')
  note(['bot', 'admins'], a.admins.length > 0 ? '可执行管理命令的联系人 id（从不按昵称）/ contact ids, never names' : '还没有管理员：填联系人 id（wxid_…），从不按昵称 / no admins yet: add contact ids, never names')
  note(['bot', 'commandPrefix'], '管理命令前缀 / admin commands start with it')
  note(['bot', 'rateLimit'], '防封：机器人发言上限 / never send faster than this')
  note(['bot', 'rateLimit', 'roomPerMinute'], '每个群每分钟 / per room per minute')
  note(['bot', 'rateLimit', 'totalPerMinute'], '所有群每分钟 / overall per minute')
  header('console', '运营控制台和品牌 API / the operator console and brand API')
  note(['console', 'port'], '0 关闭 / 0 turns it off')
  note(['console', 'host'], '其他地址必须设置令牌 / anything else needs the token')
  note(['console', 'tokenEnv'], '存放令牌的环境变量名（.env.example）/ NAME of the env var with the token')
  header(
    'defaults',
    [
      '每个分组都运行这些技能；某个分组可以改设置或关掉一个：skills: { live: false }',
      'every group runs these skills; a group may change a setting or turn one off: skills: { live: false }',
      ...(a.skills.includes('autoreply')
        ? [
            '',
            '可选：没有规则命中时交给模型 / optional: the model for questions no rule answers',
            'ai:',
            '  model: gpt-4o-mini',
            '  apiKeyEnv: OPENAI_API_KEY    # 环境变量名，不是密钥 / the NAME of the env var, not the key',
            '然后在 autoreply 下加 / then under autoreply add:  ai: { fallbackReply: "稍后请工作人员回复你～" }',
          ]
        : []),
    ].join('\n '),
  )
  for (const name of a.skills) {
    const starter = STARTERS[name]
    if (!starter) continue
    note(['defaults', 'skills', name], starter.about)
    for (const [key, text] of Object.entries(starter.notes ?? {})) note(['defaults', 'skills', name, ...key.split('.')], text)
  }
  header('groups', '分组：按顺序匹配群名，第一个命中的生效；都不匹配的群机器人不说话\n first match wins; in a room no group matches the bot stays silent')
  a.groups.forEach((g, i) => {
    note(['groups', i, 'name'], '日志、统计和数据用的名字；改名等于新分组 / keys the group’s data: renaming starts afresh')
    note(['groups', i, 'match', 'topic'], '群名通配符（* ?），或 /正则/ / a glob on the room topic, or /regex/')
  })
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false })
}

function pairAt(doc: Document, path: ReadonlyArray<string | number>): Pair | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true)
  if (!isMap(parent)) return undefined
  return (parent as YAMLMap).items.find((p) => (p.key as Scalar | undefined)?.value === path.at(-1))
}

/** `.env.example`: the names of the variables the bot reads, never a value. */
export function envExample(a: InitAnswers): string {
  return `# ${a.brand} siyu 的环境变量 / environment variables — names only, never values here.
# 复制后填写 / copy, then fill in: .env (docker compose), /etc/siyu/siyu.env (systemd), mode 600.
# 填好的文件不要提交到 git / never commit the filled-in file. Empty means unset.

# puppet 服务的 token；不填就是沙盒 / the Wechaty puppet service token; empty: the sandbox
WECHATY_PUPPET_SERVICE_TOKEN=
# 服务商给了地址时 / when the provider gives an address instead of discovery
#WECHATY_PUPPET_SERVICE_ENDPOINT=
# 只有服务不走 TLS 时 / only if the service runs without TLS
#WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=

# 模型密钥，变量名是配置里 ai.apiKeyEnv 写的 / the model key, under the name in ai.apiKeyEnv
OPENAI_API_KEY=

# 管理台令牌（至少 16 位；console.host 不是 127.0.0.1 时必须）/ the console token (16+ characters)
SIYU_CONSOLE_TOKEN=

# 日志级别 / log level: debug, info (default), warn, error
#LOG_LEVEL=info
${
  a.deploy
    ? `
# compose.yaml 的数据库密码，只用字母和数字（它在连接 URL 里）/ the database password for compose.yaml:
# letters and digits only (it goes into the connection URL)
POSTGRES_PASSWORD=
`
    : ''
}`
}

/** Where the generated deploy files expect the project (a folder with package.json naming siyu). */
export const PROJECT_DIR = '/opt/siyu'
const SIYU_JS = 'node_modules/siyu/dist/src/cli/siyu.js'

/**
 * The systemd unit, made from the one siyu ships (deploy/siyu.service, the tested recipe):
 * the same user, limits and hardening, pointed at siyu inside the project's node_modules.
 */
export function systemdUnit(shipped: string, a: InitAnswers): string {
  const body = shipped.slice(shipped.indexOf('[Unit]'))
  if (!body.includes('ExecStart=node dist/src/cli/siyu.js ')) throw new Error('siyu init: the shipped deploy/siyu.service has no ExecStart to adapt')
  return `# ${a.brand} siyu — systemd unit written by siyu init (from siyu's deploy/siyu.service).
# This folder (package.json naming siyu, config/, .env.example) goes to ${PROJECT_DIR}:
#   sudo cp -r . ${PROJECT_DIR} && cd ${PROJECT_DIR} && sudo npm ci --omit=dev
#   sudo useradd --system --home-dir /var/lib/siyu --shell /usr/sbin/nologin siyu
#   sudo install -d -m 0755 /etc/siyu && sudo install -m 0600 .env.example /etc/siyu/siyu.env   # then fill it in
#   sudo cp deploy/siyu.service /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now siyu
# Details: node_modules/siyu/docs/deploy.md

${body
  .replace('ExecStart=node dist/src/cli/siyu.js ', `ExecStart=node ${SIYU_JS} `)
  .replace('Documentation=file:///opt/siyu/docs/deploy.md', `Documentation=file://${PROJECT_DIR}/node_modules/siyu/docs/deploy.md`)
  .replace('see deploy/siyu.env.example', 'see .env.example')}`
}

export function dockerfile(a: InitAnswers): string {
  return `# ${a.brand} siyu — container image, written by siyu init. Built by compose.yaml, or:
#   docker build -f deploy/Dockerfile -t siyu-${slug(a.brand)} .
# siyu comes compiled in its npm package: no build step. This folder's package.json and
# package-lock.json name it; config/ is mounted at run time, the state goes to PostgreSQL
# (compose.yaml) or to the /data volume.
FROM node:22-slim

ENV NODE_ENV=production
WORKDIR /app

# runtime dependencies from the lock file; no install scripts (siyu needs none of them)
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# the unprivileged \`node\` user owns only the data dir (the console's login-link file, or the
# JSON store without PostgreSQL); wechaty-puppet-service caches in /home/node/.wechaty
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
USER node
VOLUME ["/data"]

# the console (GET /healthz: 200 when logged in and the store is writable)
EXPOSE 7350
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 CMD ["node", "node_modules/siyu/deploy/healthcheck.mjs"]

# SIGTERM: the bot stops taking events, writes the store and exits 0 within 10 s
STOPSIGNAL SIGTERM
CMD ["node", "${SIYU_JS}", "start", "--config", "config/bot.yaml", "--data", "/data"]
`
}

export function dockerignore(): string {
  return `# only package.json and the lock file go into the image; config/ is mounted, secrets come
# from the environment, data lives in volumes
*
!package.json
!package-lock.json
`
}

export function composeYaml(a: InitAnswers): string {
  return `# ${a.brand} siyu — the bot and its PostgreSQL, written by siyu init.
#   cp .env.example .env && chmod 600 .env   # then fill in: the puppet token, POSTGRES_PASSWORD, ...
#   docker compose up -d --build
#   docker compose logs -f siyu              # the login QR code's URL is logged: scan it
# Without a token the bot runs the sandbox (a simulated WeChat): try it with siyu start first.
services:
  siyu:
    build: { context: ., dockerfile: deploy/Dockerfile }
    restart: unless-stopped
    stop_grace_period: 20s          # the bot needs up to 10 s after SIGTERM; Docker's default is 10 s
    env_file: .env
    environment:
      SIYU_STORE: postgres://siyu:\${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}@db:5432/siyu
    volumes:
      - ./config:/app/config:ro     # the folder, not the file: saving bot.yaml reloads it
      - siyu-data:/data
    # the console listens inside the container (its health check uses it); to open it from this
    # machine: console.host: 0.0.0.0 in config/bot.yaml, SIYU_CONSOLE_TOKEN in .env, and
    # ports: ["127.0.0.1:7350:7350"] here
    depends_on:
      db: { condition: service_healthy }
  db:
    image: postgres:17
    restart: unless-stopped
    environment:
      POSTGRES_USER: siyu
      POSTGRES_DB: siyu
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}
    volumes:
      - siyu-db:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U siyu -d siyu"]
      interval: 5s
      timeout: 5s
      retries: 12
volumes:
  siyu-data: {}
  siyu-db: {}
`
}

/** A name usable as an image tag: ASCII letters and digits, else "bot". */
function slug(brand: string): string {
  return (
    brand
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'bot'
  )
}
