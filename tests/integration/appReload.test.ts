import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { silentLogger } from '../../src/log/logger.js'
import { startApp, type App } from '../../src/runtime/App.js'
import { AiStub } from '../helpers/aiStub.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const config = (ai: string) => `bot:
  admins: [wxid_boss]
  rateLimit: false
${ai}
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      autoreply:
        ai: { fallbackReply: "稍后回复你" }
`

/** The whole App in process, on a PuppetMock: what a reload changes at runtime. */
describe('App: #reload applies a new ai section without a restart', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let stub: AiStub
  let app: App
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const alice = mocker.createContact({ name: 'Alice', id: 'wxid_alice' })
  const boss = mocker.createContact({ name: '老板', id: 'wxid_boss' })
  const room = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, alice.id, boss.id] })
  const said: string[] = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id && m.payload.roomId === room.id) said.push(m.text() ?? '')
  })

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    stub = await AiStub.start({ answer: '满 500 元送小样' })
    await writeFile(join(dir, 'bot.yaml'), config(''))
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_KEY: 'sk-test' }, log: silentLogger, puppet })
    mocker.login(botUser)
    await app.runtime.ready
  })

  afterAll(async () => {
    await app?.stop()
    await stub?.close()
    await cleanup?.()
  })

  it('hands questions off while there is no model, and asks the model after the reload', async () => {
    alice.say('@小助手 有小样吗', [botUser]).to(room)
    await waitFor(() => said.find((t) => t.includes('稍后回复你')), { what: 'the fallback while the model is off' })

    await writeFile(join(dir, 'bot.yaml'), config(`ai:\n  model: stub-model\n  baseURL: ${stub.baseURL}\n  apiKeyEnv: SIYU_KEY\n  timeoutSeconds: 5`))
    boss.say('#reload').to(room)
    await waitFor(() => said.find((t) => t.includes('配置已重新加载')), { what: 'the reload confirmed' })
    alice.say('@小助手 有小样吗', [botUser]).to(room)
    await waitFor(() => said.find((t) => t.includes('满 500 元送小样')), { what: 'the model answer after the reload' })
    expect(stub.requests).toHaveLength(1)
  })
})
