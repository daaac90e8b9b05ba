import { stringify } from 'csv-stringify/sync'
import { describe, expect, it } from 'vitest'
import { csvRecord } from '../../../src/console/members/csvRecord.js'
import { prng } from '../../helpers/prng.js'


const PIECES = ['张三', 'wxid_a', ' ', ',', '"', '\n', '\r', '\t', '-', '=', '+', '@', '＝', '＋', '－', '＠', "'", 'a b', '2026-12-02T10:00:00+08:00', '', '/', ';']

describe('csvRecord: the member CSV’s records, as csv-stringify writes them', () => {
  it('equals csv-stringify with escape_formulas on random fields, hostile ones included', () => {
    const rnd = prng(11)
    let plain = 0
    for (let round = 0; round < 3000; round++) {
      const fields: Array<string | number> = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => {
        if (rnd() < 0.2) return Math.floor(rnd() * 2000) - (rnd() < 0.2 ? 1000 : 0)
        return Array.from({ length: Math.floor(rnd() * 4) }, () => PIECES[Math.floor(rnd() * PIECES.length)]!).join('')
      })
      const want = stringify([fields], { escape_formulas: true })
      expect(csvRecord(fields), JSON.stringify(fields)).toBe(want)
      if (want === fields.join(',') + '\n') plain++
    }
    // both paths were taken many times
    expect(plain).toBeGreaterThan(300)
    expect(plain).toBeLessThan(2700)
  })
})
