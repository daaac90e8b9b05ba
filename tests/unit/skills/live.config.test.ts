import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { LiveSkill } from '../../../skills/live/index.js'
import type { LiveConfig } from '../../../skills/live/config.js'
import { parseConfig } from '../../../src/config/loadConfig.js'
import { formatProblem } from '../../../src/config/problems.js'
import { configErrors } from '../../helpers/configErrors.js'
import { summarize } from '../../../src/config/summary.js'

const NOW = DateTime.fromISO('2026-11-25T10:00:00', { zone: 'Asia/Shanghai' }).toMillis()

const yaml = (live: string, tz = 'Asia/Shanghai') => `bot:
  timezone: ${tz}
  admins: [wxid_boss]
groups:
  - name: sisley
    match: { topic: "希思黎*" }
    skills:
      live:
${live}`

function load(text: string) {
  return parseConfig('bot.yaml', text, [LiveSkill], NOW)
}

const errors = (text: string): string[] => configErrors(text, [LiveSkill], NOW)

const liveOf = (text: string) => load(text).groups[0]!.skills.get('live') as LiveConfig

describe('live config', () => {
  it('`live: {}` is valid, with Chinese defaults and reminders 1h and 10m before', () => {
    const c = liveOf(yaml('        {}\n'))
    expect(c.lives).toEqual([])
    expect(c.remind).toEqual([3600_000, 600_000])
    expect(c.remindText.source).toBe('【直播预告】{title} {in}后开播（{start}）\n{preview}{link}')
    expect(c.subscribeTriggers).toEqual(['预约', '预约直播'])
    expect(c.listTriggers).toEqual(['直播预告'])
  })

  it('reads times in bot.timezone, or ISO 8601 with an offset; remind accepts s, m, h, d', () => {
    const c = liveOf(
      yaml(`        lives:
          - { id: a, title: A, start: "2026-11-25 20:00" }
          - { id: b, title: B, start: "2026-11-25T20:00:30+08:00" }
          - { id: 11, title: C, start: "2026-11-25T12:00:00Z" }
        remind: [30s, 10m, 1d, 1h, 10m]
`),
    )
    expect(c.lives.map((l) => [l.id, new Date(l.start).toISOString()])).toEqual([
      ['a', '2026-11-25T12:00:00.000Z'],
      ['b', '2026-11-25T12:00:30.000Z'],
      ['11', '2026-11-25T12:00:00.000Z'],
    ])
    expect(c.remind).toEqual([86400_000, 3600_000, 600_000, 30_000])
    expect(liveOf(yaml('        lives: [{ id: a, title: A, start: "2026-11-25 20:00" }]\n', 'America/New_York')).lives[0]!.start).toBe(
      Date.UTC(2026, 10, 26, 1, 0),
    )
  })

  it('an unparseable time is an error at its file:line:col', () => {
    expect(
      errors(
        yaml(`        lives:
          - id: d11
            title: 双11返场直播
            start: "11月25日晚8点"
`),
      ),
    ).toEqual([
      'bot.yaml:12:20: "11月25日晚8点" is not a time; use "YYYY-MM-DD HH:mm" (in Asia/Shanghai) or ISO 8601 with an offset, like 2026-11-25T20:00:00+08:00',
    ])
    // an ISO time without an offset is ambiguous: refused too
    expect(errors(yaml('        lives: [{ id: a, title: A, start: "2026-11-25T20:00:00" }]\n'))[0]).toMatch(/^bot\.yaml:9:43: "2026-11-25T20:00:00" is not a time/)
  })

  it('a bad duration and an unknown template variable are errors at their place', () => {
    expect(errors(yaml('        remind: [1h, 10 minutes later]\n'))).toEqual([
      'bot.yaml:9:22: "10 minutes later" is not a duration; use a number and s, m, h or d (10m, 1h, 1d)',
    ])
    expect(errors(yaml('        startText: "{title} {names}"\n'))[0]).toMatch(/^bot\.yaml:9:29: unknown template variable \{names\}/)
  })

  it('duplicate live ids in a group are an error', () => {
    expect(
      errors(
        yaml(`        lives:
          - { id: d11, title: A, start: "2026-11-25 20:00" }
          - { id: d11, title: B, start: "2026-11-26 20:00" }
`),
      ),
    ).toEqual(['bot.yaml:11:19: live id "d11" is already used by live 1 of this group; ids must be unique'])
  })

  it('a live in the past at load is a warning, not an error', () => {
    const cfg = load(
      yaml(`        lives:
          - { id: old, title: 上周场, start: "2026-11-18 20:00" }
          - { id: new, title: 本周场, start: "2026-11-25 20:00" }
`),
    )
    expect(cfg.warnings.map(formatProblem)).toEqual([
      'bot.yaml:10:43: warning: live "old" starts at 2026-11-18 20:00 (Asia/Shanghai), which is in the past: nothing will be sent for it',
    ])
  })

  it('the check summary lists the upcoming lives', () => {
    const cfg = load(
      yaml(`        lives:
          - { id: later, title: 周末场, start: "2026-11-28 20:00" }
          - { id: old, title: 上周场, start: "2026-11-18 20:00" }
          - { id: d11, title: 双11返场直播, start: "2026-11-25 20:00" }
        remind: [1d, 90m]
`),
    )
    expect(summarize(cfg, [LiveSkill], NOW).slice(1)).toEqual([
      '  group sisley: live',
      '    live: upcoming d11: 2026-11-25 20:00 双11返场直播 (reminders 1d, 1h30m before)',
      '    live: upcoming later: 2026-11-28 20:00 周末场 (reminders 1d, 1h30m before)',
      // the check's 7-day calendar (every skill's calendar hook: lives here)
      '    next 7 days:',
      '      2026-11-25 周三 20:00 live d11: 双11返场直播',
      '      2026-11-28 周六 20:00 live later: 周末场',
    ])
    expect(summarize(load(yaml('        {}\n')), [LiveSkill], NOW).slice(2)).toEqual([
      '    live: no upcoming lives in the config (reminders 1h, 10m before; admins add some with #live add)',
      '    next 7 days: nothing scheduled',
    ])
  })
})
